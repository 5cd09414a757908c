"""The files the ``replay`` and ``backtest`` commands read, and how a test runs them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def candle_rows(closes: dict[str, list[int]] = CLOSES, start: datetime = OPEN) -> list[str]:
    """Return the CSV lines of *closes*, header first, one candle a minute from *start*."""
    rows = ["timestamp,symbol,open,high,low,close,volume"]
    for minute in range(len(next(iter(closes.values())))):
        stamp = (start + timedelta(minutes=minute)).isoformat()
        for symbol, series in closes.items():
            close = series[minute]
            rows.append(f"{stamp},{symbol},{close},{close},{close},{close},1000")
    return rows


def write_candles(path: Path, closes: dict[str, list[int]] = CLOSES) -> None:
    path.write_text("\n".join(candle_rows(closes)) + "\n", encoding="utf-8")


def simulation_files(folder: Path) -> dict[str, Path]:
    """Write the strategy and candles into *folder*; name the output beside them."""
    paths = {
        "strategy": folder / "strategy.toml",
        "candles": folder / "candles.csv",
        "out": folder / "out.jsonl",
    }
    paths["strategy"].write_text(STRATEGY, encoding="utf-8")
    write_candles(paths["candles"])
    return paths


def run_command(command: str, files: dict[str, Path], *extra: str) -> int:
    """Run ``livetrader-gui COMMAND`` on *files* in this process; return its exit code."""
    return main(
        [
            command,
            "--strategy",
            str(files["strategy"]),
            "--candles",
            str(files["candles"]),
            "--out",
            str(files["out"]),
            *extra,
        ]
    )


def json_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
