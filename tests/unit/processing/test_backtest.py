"""The backtester against trades worked out by hand, and its metrics against a separate
computation."""

from __future__ import annotations

import itertools
import math
import statistics
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from livetrader_gui.domain.instrument import Instrument, TickTable
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.backtest import (
    BacktestCancelledError,
    BacktestConfig,
    Backtester,
    BacktestOutcome,
    ExitReason,
)
from livetrader_gui.processing.engine import CandleDataError
from livetrader_gui.processing.metrics import measure
from tests.builders import risk_controls, strategy
from tests.unit.processing.candles import random_candles

NO_COSTS = TradingCosts(commission_rate=Decimal(0), sell_tax_rate=Decimal(0))
START = pd.Timestamp("2026-11-02 00:00", tz="UTC")  # 09:00 KST


def stock(symbol: str = "AAA") -> Instrument:
    return Instrument(symbol, f"{symbol} Corp", "XKRX", "KRW", TickTable.fixed(1))


def candles(
    closes: list[float],
    *,
    opens: list[float] | None = None,
    lows: list[float] | None = None,
    highs: list[float] | None = None,
    freq: str = "1min",
) -> pd.DataFrame:
    index = pd.date_range(START, periods=len(closes), freq=freq)
    opens = opens or closes
    return pd.DataFrame(
        {
            "open": opens,
            "high": highs or [max(o, c) for o, c in zip(opens, closes, strict=True)],
            "low": lows or [min(o, c) for o, c in zip(opens, closes, strict=True)],
            "close": closes,
            "volume": [1000.0] * len(closes),
        },
        index=index,
    )


def run(
    rules: dict[str, str],
    frames: dict[str, pd.DataFrame],
    *,
    costs: TradingCosts = NO_COSTS,
    capital: int = 1_000_000,
    position_pct: int = 50,
    **controls: object,
) -> BacktestOutcome:
    risk: dict[str, object] = {
        "max_position_size_pct": Decimal(50),
        "stop_loss_pct": None,
        "take_profit_pct": None,
    }
    risk.update(controls)
    subject = strategy(
        symbols=tuple(frames),
        entry_rule=rules["entry"],
        exit_rule=rules["exit"],
        position_pct=Decimal(position_pct),
        risk_config=strategy().risk_config.__class__(risk_controls(**risk)),
    )
    config = BacktestConfig(Decimal(capital), costs=costs, timezone="Asia/Seoul")
    instruments = {name: stock(name) for name in frames}
    return Backtester(ProcessingEngine()).run(subject, frames, instruments, config)


def test_a_trade_enters_and_exits_at_the_close_of_the_signalling_candles() -> None:
    frame = candles([100, 101, 110, 120, 115, 130])
    outcome = run({"entry": "close > 105", "exit": "close < ref(close, 1)"}, {"AAA": frame})
    trade, last = outcome.trades
    assert (trade.entry_price, trade.exit_price) == (Decimal(110), Decimal(115))
    assert trade.quantity == Decimal(4545)  # 50 % of 1,000,000 at 110, whole shares
    assert trade.pnl == Decimal(4545 * 5)
    assert trade.exit_reason is ExitReason.RULE
    # Orders fill when the candle that decided them closes: the third closes at 09:03 KST.
    assert trade.entry_time == START.to_pydatetime().replace(minute=3)
    assert trade.exit_time == START.to_pydatetime().replace(minute=5)
    # Flat again after the exit bar; the entry rule holds on the last bar: a second position is
    # still open when the data ends, valued at the last close.
    assert (last.entry_price, last.exit_reason, last.exit_time, last.pnl) == (
        Decimal(130),
        None,
        None,
        0,
    )
    assert last.is_open
    assert outcome.final_equity == Decimal(1_000_000 + 4545 * 5)


def test_commission_tax_and_slippage_are_charged_on_each_fill() -> None:
    frame = candles([100, 110, 120, 100])
    costs = TradingCosts(Decimal("0.001"), Decimal("0.002"), slippage_ticks=1)
    outcome = run({"entry": "close > 105", "exit": "close > 115"}, {"AAA": frame}, costs=costs)
    trade = outcome.trades[0]
    assert trade.entry_price == Decimal(111)  # one tick worse than the close of 110
    assert trade.exit_price == Decimal(119)
    quantity = trade.quantity
    assert quantity == Decimal(500_000 // 110)  # sized on the quote, as the runner sizes
    buy_fee = (quantity * 111 * Decimal("0.001")).to_integral_value(rounding="ROUND_FLOOR")
    sell_fee = (quantity * 119 * Decimal("0.001")).to_integral_value(rounding="ROUND_FLOOR")
    tax = (quantity * 119 * Decimal("0.002")).to_integral_value(rounding="ROUND_FLOOR")
    assert trade.costs == buy_fee + sell_fee + tax
    assert trade.pnl == quantity * (119 - 111) - buy_fee - sell_fee - tax


def test_a_stop_loss_fills_at_its_level_or_at_the_open_after_a_gap() -> None:
    frame = candles([100, 100, 99, 90], opens=[100, 100, 99, 80], lows=[100, 100, 96, 80])
    outcome = run(
        {"entry": "close >= 100 and ref(close, 1) < 100 or close == 100", "exit": "close > 1000"},
        {"AAA": frame},
        stop_loss_pct=Decimal(3),
    )
    first = outcome.trades[0]
    assert first.exit_reason is ExitReason.STOP_LOSS
    assert first.exit_price == Decimal(97)  # the low of 96 touched the stop at 97
    gapped = run(
        {"entry": "close == 100", "exit": "close > 1000"},
        {"AAA": candles([100, 99, 90], opens=[100, 99, 80], lows=[100, 99, 80])},
        stop_loss_pct=Decimal(3),
    ).trades[0]
    assert gapped.exit_price == Decimal(80)  # opened below the stop: filled at the open


def test_a_take_profit_fills_at_its_level() -> None:
    frame = candles([100, 101, 104], highs=[100, 101, 107])
    outcome = run(
        {"entry": "close == 100", "exit": "close > 1000"},
        {"AAA": frame},
        take_profit_pct=Decimal(5),
    )
    assert outcome.trades[0].exit_reason is ExitReason.TAKE_PROFIT
    assert outcome.trades[0].exit_price == Decimal(105)


def test_a_position_still_open_at_the_end_is_valued_at_the_last_close() -> None:
    outcome = run(
        {"entry": "close == 100", "exit": "close > 1000"}, {"AAA": candles([100, 102, 104])}
    )
    (trade,) = outcome.trades
    assert (trade.exit_reason, trade.exit_price, trade.exit_time) == (None, None, None)
    assert trade.pnl == trade.quantity * 4
    assert outcome.final_equity == 1_000_000 + trade.quantity * 4
    assert outcome.metrics.num_trades == 0  # no round trip was completed


def test_max_positions_lets_the_first_symbol_in_order_take_the_last_slot() -> None:
    frames = {"AAA": candles([100, 110, 111]), "BBB": candles([100, 110, 111])}
    outcome = run(
        {"entry": "close > 105", "exit": "close > 1000"}, frames, max_positions=1, position_pct=10
    )
    assert [t.symbol for t in outcome.trades] == ["AAA"]
    assert outcome.skipped_entries["max_positions"] == 2  # BBB on both bars it signalled


def test_the_daily_loss_limit_stops_entries_until_the_next_trading_day() -> None:
    # Day 1: a loss of 10 % of the position (5 % of equity) hits a 2 % daily limit.
    day_one = candles([100, 90, 90, 100], freq="1min")
    day_two = candles([100, 100], freq="1min")
    day_two.index = day_two.index + pd.Timedelta(days=1)
    frame = pd.concat([day_one, day_two])
    outcome = run(
        {"entry": "close >= 90", "exit": "close < ref(close, 1)"},
        {"AAA": frame},
        max_daily_loss_pct=Decimal(2),
    )
    assert outcome.skipped_entries["daily_loss"] >= 1
    assert [t.entry_time.day for t in outcome.trades] == [2, 3]


def test_sizing_takes_the_smaller_of_the_position_size_and_the_risk_limit() -> None:
    outcome = run(
        {"entry": "close == 100", "exit": "close > 1000"},
        {"AAA": candles([100, 100])},
        position_pct=80,
        max_position_size_pct=Decimal(25),
    )
    assert outcome.trades[0].quantity == Decimal(2500)


def test_long_backtests_report_progress_and_can_be_cancelled() -> None:
    frame = pd.DataFrame(
        random_candles(3000, 5), index=pd.date_range(START, periods=3000, freq="1min")
    )
    unlimited = strategy().risk_config.__class__(risk_controls(max_daily_loss_pct=Decimal(100)))
    subject = strategy(entry_rule="close > open", exit_rule="close < open", risk_config=unlimited)
    config = BacktestConfig(Decimal(1_000_000), timezone="Asia/Seoul")
    seen: list[float] = []
    outcome = Backtester(ProcessingEngine()).run(
        subject, {"005930": frame}, {"005930": stock("005930")}, config, progress=seen.append
    )
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert len(seen) > 2
    assert seen == sorted(seen)
    assert outcome.metrics.num_trades > 100
    with pytest.raises(BacktestCancelledError):
        Backtester(ProcessingEngine()).run(
            subject,
            {"005930": frame},
            {"005930": stock("005930")},
            config,
            is_cancelled=lambda: True,
        )


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ({}, "no candles for AAA"),
        ({"AAA": candles([1.0]).tz_localize(None)}, "time-zone aware"),
        ({"AAA": candles([1.0, 2.0]).iloc[::-1]}, "in time order"),
    ],
)
def test_unusable_candles_are_refused_by_symbol(
    frames: dict[str, pd.DataFrame], message: str
) -> None:
    subject = strategy(symbols=("AAA",), entry_rule="close > 1", exit_rule="close < 1")
    with pytest.raises(CandleDataError, match=message):
        Backtester(ProcessingEngine()).run(
            subject, frames, {"AAA": stock()}, BacktestConfig(Decimal(1))
        )


def test_the_equity_curve_marks_open_positions_at_each_close() -> None:
    outcome = run(
        {"entry": "close == 100", "exit": "close > 1000"}, {"AAA": candles([100, 110, 90])}
    )
    quantity = 5000
    assert outcome.equity.tolist() == [
        1_000_000,
        1_000_000 + quantity * 10,
        1_000_000 - quantity * 10,
    ]
    assert outcome.metrics.exposure_pct == 100  # held from the first close through the last
    ruled = run(
        {"entry": "close == 100", "exit": "close < 100"}, {"AAA": candles([100, 110, 90, 95])}
    )
    assert ruled.metrics.exposure_pct == 50  # bought on bar 1 of 4, sold on bar 3


def test_metrics_agree_with_a_separate_computation() -> None:
    days = pd.date_range("2026-01-05 06:00", periods=60, freq="B", tz="UTC")
    rng = np.random.default_rng(3)
    values = 1_000_000 * np.cumprod(1 + rng.normal(0.001, 0.01, 60))
    equity = pd.Series(values, index=days)
    pnls = [Decimal(5), Decimal(-3), Decimal(7), Decimal(0)]
    metrics = measure(
        equity,
        pnls,
        initial_capital=1_000_000.0,
        timezone="Asia/Seoul",
        risk_free_rate=0.02,
        bars_in_market=30,
    ).rounded()

    closes = [1_000_000.0, *values.tolist()]
    returns = [b / a - 1 for a, b in itertools.pairwise(closes)]
    excess = [r - 0.02 / 252 for r in returns]
    sharpe = statistics.mean(excess) / statistics.stdev(excess) * math.sqrt(252)
    downside = math.sqrt(sum(min(e, 0.0) ** 2 for e in excess) / len(excess))
    sortino = statistics.mean(excess) / downside * math.sqrt(252)
    peak, drawdown = closes[0], 0.0
    for value in closes:
        peak = max(peak, value)
        drawdown = max(drawdown, (peak - value) / peak)
    years = (days[-1] - days[0]).total_seconds() / (365.25 * 86_400)
    cagr = ((values[-1] / 1_000_000) ** (1 / years) - 1) * 100

    assert float(metrics.sharpe_ratio) == pytest.approx(sharpe, abs=1e-4)  # type: ignore[arg-type]
    assert float(metrics.sortino_ratio) == pytest.approx(sortino, abs=1e-4)  # type: ignore[arg-type]
    assert float(metrics.max_drawdown_pct) == pytest.approx(drawdown * 100, abs=1e-6)
    assert float(metrics.total_return_pct) == pytest.approx((values[-1] / 1e6 - 1) * 100, abs=1e-6)
    assert float(metrics.cagr_pct) == pytest.approx(cagr, rel=1e-6)
    assert metrics.win_rate_pct == Decimal(50)
    assert metrics.num_trades == 4
    assert metrics.exposure_pct == Decimal(50)


def test_a_curve_without_variance_has_no_sharpe_and_no_losing_day_has_no_sortino() -> None:
    days = pd.date_range("2026-01-05 06:00", periods=5, freq="B", tz="UTC")
    flat = measure(
        pd.Series([1e6] * 5, index=days), [], initial_capital=1e6, timezone="UTC"
    ).rounded()
    assert flat.sharpe_ratio is None
    assert flat.sortino_ratio is None
    assert flat.win_rate_pct == 0
    assert flat.cagr_pct == 0
    rising = measure(
        pd.Series([1.01e6, 1.03e6, 1.04e6, 1.07e6, 1.08e6], index=days),
        [],
        initial_capital=1e6,
        timezone="UTC",
    ).rounded()
    assert rising.sharpe_ratio is not None
    assert rising.sortino_ratio is None
