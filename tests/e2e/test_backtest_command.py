"""``livetrader-gui backtest``: trades and a summary as JSON lines, as the replay would trade.

Bad inputs and the output's safety are shared with ``replay``: ``test_simulation_commands``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.simulation_files import (
    STRATEGY,
    candle_rows,
    json_lines,
    run_command,
    simulation_files,
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return simulation_files(tmp_path)


def test_a_backtest_writes_each_trade_then_a_summary(files: dict[str, Path]) -> None:
    assert run_command("backtest", files) == 0

    *trades, summary = json_lines(files["out"])
    # 10 % of 10,000,000 buys 14 Samsung at 71,000; the exit rule sells them at 69,000.
    assert trades == [
        {
            "type": "trade",
            "symbol": "005930",
            "entry_ts": "2026-11-24T00:04:00+00:00",
            "exit_ts": "2026-11-24T00:06:00+00:00",
            "entry_price": "71000",
            "exit_price": "69000",
            "quantity": "14",
            "costs": "0",
            "pnl": "-28000",
            "exit_reason": "rule",
        }
    ]
    assert summary["type"] == "summary"
    assert summary["equity"] == "9972000"
    assert summary["capital"] == "10000000"
    assert summary["total_return"] == pytest.approx(-0.0028, abs=1e-12)
    assert summary["max_drawdown"] == pytest.approx(0.0028, abs=1e-12)
    assert summary["trades"] == 1
    assert summary["open_trades"] == 0
    assert summary["win_rate"] == 0.0
    assert summary["sharpe"] is None  # one day: no deviation to divide by
    assert summary["skipped_entries"] == {"max_positions": 1}
    assert {"cagr", "sortino", "exposure", "start", "end"} <= summary.keys()


def test_a_position_still_open_at_the_end_has_no_exit(files: dict[str, Path]) -> None:
    files["strategy"].write_text(STRATEGY.replace('"close < sma(close, 3)"', '"close < 1"'))

    assert run_command("backtest", files) == 0

    (trade, summary) = json_lines(files["out"])
    assert (trade["exit_ts"], trade["exit_price"], trade["exit_reason"]) == (None, None, None)
    # Valued at the last close, 69,000: 14 × (69,000 − 71,000).
    assert trade["pnl"] == "-28000"
    assert (summary["trades"], summary["open_trades"]) == (0, 1)


STOPS = STRATEGY.replace("max_daily_loss_pct = 2", "max_daily_loss_pct = 2\nstop_loss_pct = 1")


def test_on_closes_the_backtest_trades_exactly_as_the_replay_does(files: dict[str, Path]) -> None:
    # A stop-loss, fees, a tax and slippage: each must be charged and triggered the same way.
    files["strategy"].write_text(STOPS.replace('"close < sma(close, 3)"', '"close < 1"'))
    closes = {
        "005930": [70_000, 70_000, 70_000, 71_000, 70_500, 70_200, 70_000, 71_000, 71_500, 71_500],
        "000660": [200_000] * 10,
    }
    files["candles"].write_text("\n".join(candle_rows(closes)) + "\n", encoding="utf-8")
    costs = ["--commission", "0.00015", "--sell-tax", "0.002", "--slippage", "1"]
    replayed = files["out"].with_name("replay.jsonl")

    assert run_command("backtest", files, "--exits", "close", *costs) == 0
    assert run_command("replay", {**files, "out": replayed}, *costs) == 0

    fills = [
        (f["symbol"], f["side"], f["ts"], Decimal(str(f["quantity"])), Decimal(str(f["price"])))
        for f in json_lines(replayed)
        if f["type"] == "fill"
    ]
    *trades, summary = json_lines(files["out"])
    traded = []
    for t in trades:
        quantity = Decimal(str(t["quantity"]))
        traded.append(("005930", "BUY", t["entry_ts"], quantity, Decimal(str(t["entry_price"]))))
        if t["exit_ts"] is not None:
            traded.append(("005930", "SELL", t["exit_ts"], quantity, Decimal(str(t["exit_price"]))))
    assert [t["exit_reason"] for t in trades][:1] == ["stop_loss"]
    assert sorted(traded, key=lambda f: (str(f[2]), f[1])) == fills
    assert summary["equity"] == json_lines(replayed)[-1]["equity"]
    # Slippage: bought a tick (100 won) above the close of 71,000.
    assert fills[0][4] == Decimal(71_100)
    assert datetime.fromisoformat(str(fills[0][2])).utcoffset() is not None


def test_by_default_stops_fill_at_their_level_within_the_candle(files: dict[str, Path]) -> None:
    files["strategy"].write_text(STOPS.replace('"close < sma(close, 3)"', '"close < 1"'))
    rows = candle_rows()
    # The minute after the entry trades down to 69,000 and closes back at 71,000.
    rows[9] = rows[9].replace("71000,71000,71000,71000", "71000,71000,69000,71000")
    files["candles"].write_text("\n".join(rows) + "\n", encoding="utf-8")

    assert run_command("backtest", files) == 0

    trade = json_lines(files["out"])[0]
    assert trade["exit_reason"] == "stop_loss"
    assert trade["exit_price"] == "70200"  # 1 % under 71,000 (70,290), down to a 100-won tick
