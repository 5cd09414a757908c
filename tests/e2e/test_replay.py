"""``livetrader-gui replay``: the live runner on recorded candles, and clear errors on bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from livetrader_gui.app.main import main

KST = timezone(timedelta(hours=9))
OPEN = datetime(2026, 11, 24, 9, 0, tzinfo=KST)  # a Tuesday, XKRX in session
STRATEGY = """\
name = "Breakout"
symbols = ["005930", "000660"]
exchange = "XKRX"
entry_rule = "close > sma(close, 3)"
exit_rule = "close < sma(close, 3)"

[risk]
max_positions = 1
max_position_size_pct = 20
max_daily_loss_pct = 2

[sizing]
position_pct = 10
"""
# Samsung: flat, a jump (entry), then a drop (exit). Hynix jumps while Samsung is held.
CLOSES = {
    "005930": [70_000, 70_000, 70_000, 71_000, 71_000, 69_000, 69_000],
    "000660": [200_000, 200_000, 200_000, 200_000, 210_000, 200_000, 200_000],
}


def write_candles(path: Path, closes: dict[str, list[int]] = CLOSES) -> None:
    rows = ["timestamp,symbol,open,high,low,close,volume"]
    for minute in range(len(next(iter(closes.values())))):
        stamp = (OPEN + timedelta(minutes=minute)).isoformat()
        for symbol, series in closes.items():
            close = series[minute]
            rows.append(f"{stamp},{symbol},{close},{close},{close},{close},1000")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "strategy": tmp_path / "strategy.toml",
        "candles": tmp_path / "candles.csv",
        "out": tmp_path / "journal.jsonl",
    }
    paths["strategy"].write_text(STRATEGY, encoding="utf-8")
    write_candles(paths["candles"])
    return paths


def run(files: dict[str, Path], *extra: str) -> int:
    return main(
        [
            "replay",
            "--strategy",
            str(files["strategy"]),
            "--candles",
            str(files["candles"]),
            "--out",
            str(files["out"]),
            *extra,
        ]
    )


def journal(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_replay_trades_the_rules_at_candle_closes_and_ends_with_a_summary(
    files: dict[str, Path],
) -> None:
    assert run(files) == 0

    lines = journal(files["out"])
    assert all({"type", "ts"} <= line.keys() for line in lines)
    assert all(datetime.fromisoformat(str(line["ts"])).tzinfo is not None for line in lines)
    fills = [(f["symbol"], f["side"], f["quantity"], f["price"]) for f in _of(lines, "fill")]
    # 10 % of 10,000,000 buys 14 Samsung at 71,000; the exit sells them at 69,000.
    assert fills == [("005930", "BUY", "14", "71000"), ("005930", "SELL", "14", "69000")]
    refused = [d for d in _of(lines, "risk_decision") if not d["approved"]]
    assert [(d["symbol"], d["reasons"]) for d in refused] == [("000660", ["max_positions"])]
    assert {o["status"] for o in _of(lines, "order")} == {"PENDING_SUBMIT", "FILLED"}
    assert _of(lines, "signal")[0] == {
        **_of(lines, "signal")[0],
        "symbol": "005930",
        "direction": "BUY",
        "price": "71000",
    }
    assert [s["status"] for s in _of(lines, "session")] == ["RUNNING", "STOPPED"]
    assert lines[0]["type"] == "gate_skipped"
    assert lines[-1] == {
        "type": "summary",
        "ts": lines[-1]["ts"],
        "positions": {},
        "realized_pnl": "-28000",
        "equity": "9972000",
        "simulation": True,
    }


def test_fees_are_charged_only_when_asked_for(files: dict[str, Path]) -> None:
    assert run(files, "--commission", "0.001", "--sell-tax", "0.002") == 0

    summary = journal(files["out"])[-1]
    # Buy 994,000 + 994 commission; sell 966,000 - 966 commission - 1,932 tax.
    assert summary["realized_pnl"] == "-31892"


def test_the_capital_sizes_the_positions(files: dict[str, Path]) -> None:
    assert run(files, "--capital", "1000000") == 0

    (buy, _sell) = _of(journal(files["out"]), "fill")
    assert buy["quantity"] == "1"


def _of(lines: list[dict[str, object]], kind: str) -> list[dict[str, object]]:
    return [line for line in lines if line["type"] == kind]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f["candles"].write_text("timestamp,symbol,open,high,low,close\n"),
            "candles.csv:1: missing column volume",
        ),
        (
            lambda f: f["candles"].write_text(
                f["candles"].read_text().replace("71000,71000,71000,71000", "71000,abc,1,1", 1)
            ),
            "candles.csv:8: high 'abc' is not a number",
        ),
        (
            lambda f: f["candles"].write_text(
                f["candles"].read_text().replace("+09:00,000660", "+09:00,035420", 1)
            ),
            "candles.csv:3: symbol '035420' is not one of the strategy's symbols",
        ),
        (
            lambda f: f["strategy"].write_text(
                STRATEGY.replace('sma(close, 3)"\nexit', 'smaa(close, 3)"\nexit')
            ),
            "strategy.toml:4: entry_rule: unknown function 'smaa' at column 9 — did you mean",
        ),
        (
            lambda f: f["strategy"].write_text(STRATEGY.replace('"XKRX"', '"XKRZ"')),
            "strategy.toml:3: Unknown exchange calendar 'XKRZ'. Did you mean XKRX",
        ),
        (
            lambda f: f["strategy"].write_text(
                STRATEGY.replace("max_positions = 1", "max_positions = 0")
            ),
            "strategy.toml:8: max positions must be between 1 and 1000",
        ),
        (
            lambda f: f["strategy"].write_text(STRATEGY.replace("[sizing]", "[sizng]")),
            "strategy.toml:12: unknown setting 'sizng'",
        ),
    ],
    ids=[
        "missing-column",
        "bad-number",
        "unknown-symbol",
        "bad-formula",
        "unknown-exchange",
        "bad-limit",
        "typo",
    ],
)
def test_bad_input_is_named_with_its_file_and_line_and_writes_no_journal(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    change: object,
    message: str,
) -> None:
    change(files)  # type: ignore[operator]

    assert run(files) == 2

    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error
    assert not files["out"].exists()
    assert list(files["out"].parent.glob("*.partial")) == []
