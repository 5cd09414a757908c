"""``livetrader-gui replay``: the live runner on recorded candles (bad input: see
``test_simulation_commands``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.simulation_files import json_lines, run_command, simulation_files


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return simulation_files(tmp_path)


def run(files: dict[str, Path], *extra: str) -> int:
    return run_command("replay", files, *extra)


def journal(path: Path) -> list[dict[str, object]]:
    return json_lines(path)


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
