"""Parity: on the same candles, strategy and costs, the backtester trades as the live runner does.

The live runner runs as the replay runs it (the session manager, the runner, the paper book,
minute by minute); the backtester runs with the options that make it see what the replay sees
(stops on closes, the exchange's hours, quotes stale after two minutes). Hypothesis draws
multi-day, multi-symbol price paths and strategies; each scenario below is built to reach one
of the rules (the daily loss limit, max positions, the position-size cap, stop-loss,
take-profit), and the test checks that it did, so that parity is shown where the rules bite.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider, ExchangeTradingCalendar
from livetrader_gui.adapters.candle_file import CandleColumns
from livetrader_gui.app.replay import run_replay
from livetrader_gui.app.simulation_inputs import REPLAY_STALE_AFTER, instrument_of
from livetrader_gui.application.backtesting import trading_hours
from livetrader_gui.domain import Candle, RiskConfig, RiskControls, Strategy
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.backtest import (
    BacktestConfig,
    Backtester,
    BacktestOutcome,
    ExitPrices,
)
from livetrader_gui.processing.frames import candles_frame
from tests.builders import T0

DAYS = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25))
SYMBOLS = ("005930", "000660", "035420")
CAPITAL = Decimal(10_000_000)

Fill = tuple[str, str, datetime, Decimal, Decimal]  # symbol, side, minute, quantity, price


@dataclass(frozen=True)
class Scenario:
    """What one drawn example trades: a strategy, costs and candles."""

    strategy: Strategy
    costs: TradingCosts
    candles: dict[str, list[Candle]]


def walk(draw: st.DrawFn, start: int, minutes: int, drift: int, swing: int) -> list[int]:
    """Return closes on a whole-won grid of 100 that move by up to *swing* ticks a minute."""
    closes, price = [], start
    steps = draw(st.lists(st.integers(-swing, swing), min_size=minutes, max_size=minutes))
    for step in steps:
        price = max(1_000, price + 100 * (step + drift))
        closes.append(price)
    return closes


def session_candles(
    draw: st.DrawFn,
    calendar: ExchangeTradingCalendar,
    symbols: tuple[str, ...],
    minutes: int,
    drift: int,
    swing: int,
) -> dict[str, list[Candle]]:
    """Draw the first *minutes* of each of ``DAYS`` for each symbol, with no gap between a
    symbol's minutes (a symbol with gaps would go stale in the replay)."""
    candles: dict[str, list[Candle]] = {s: [] for s in symbols}
    for symbol in symbols:
        price = draw(st.integers(50, 150)) * 1_000
        for day in DAYS:
            opens, _ = calendar.session_bounds(day)
            closes = walk(draw, price, minutes, drift, swing)
            previous = price
            for minute, close in enumerate(closes):
                wick = 100 * draw(st.integers(0, 3))
                high = max(previous, close) + wick
                low = max(100, min(previous, close) - wick)
                candles[symbol].append(
                    Candle(
                        symbol,
                        opens + timedelta(minutes=minute),
                        Decimal(previous),
                        Decimal(high),
                        Decimal(low),
                        Decimal(close),
                        Decimal(1_000),
                    )
                )
                previous = close
            price = previous
    return candles


RULES = (
    ("close > ref(close, 1)", "close < ref(close, 1)"),
    ("close > sma(close, 3)", "close < sma(close, 3)"),
    ("close >= highest(close, 5)", "close <= lowest(close, 5)"),
    ("close > 0", "close < ref(close, 2)"),
)


def strategy_of(
    draw: st.DrawFn, symbols: tuple[str, ...], controls: RiskControls, position_pct: Decimal
) -> Strategy:
    entry, exit_ = draw(st.sampled_from(RULES))
    return Strategy(
        id="parity",
        name="Parity",
        symbols=symbols,
        exchange="XKRX",
        entry_rule=entry,
        exit_rule=exit_,
        risk_config=RiskConfig(controls),
        position_pct=position_pct,
        created_at=T0,
        updated_at=T0,
    )


def costs_of(draw: st.DrawFn) -> TradingCosts:
    return TradingCosts(
        commission_rate=draw(st.sampled_from([Decimal(0), Decimal("0.00015"), Decimal("0.001")])),
        sell_tax_rate=draw(st.sampled_from([Decimal(0), Decimal("0.002")])),
        slippage_ticks=draw(st.integers(0, 2)),
    )


def pct(draw: st.DrawFn, low: str, high: str) -> Decimal:
    return draw(st.decimals(Decimal(low), Decimal(high), places=1))


@st.composite
def scenarios(draw: st.DrawFn, calendar: ExchangeTradingCalendar, rule: str) -> Scenario:
    """Draw a scenario built to reach *rule*."""
    symbols = SYMBOLS[: draw(st.integers(2, 3))]
    stop = take = None
    max_positions, size_cap, daily = len(symbols), Decimal(50), Decimal(50)
    position_pct = pct(draw, "5", "30")
    drift, swing = 0, draw(st.integers(1, 4))
    if rule == "daily_loss":
        daily, drift, swing = pct(draw, "0.1", "1.0"), -1, draw(st.integers(2, 6))
        position_pct = pct(draw, "20", "45")
    elif rule == "max_positions":
        max_positions = 1
    elif rule == "position_size":
        size_cap = pct(draw, "2", "15")
        position_pct = size_cap + pct(draw, "1", "30")
    elif rule == "stop_loss":
        stop, swing = pct(draw, "0.2", "1.5"), draw(st.integers(3, 8))
    elif rule == "take_profit":
        take, swing = pct(draw, "0.2", "1.5"), draw(st.integers(3, 8))
    controls = RiskControls(
        max_positions=max_positions,
        max_position_size_pct=size_cap,
        max_daily_loss_pct=daily,
        stop_loss_pct=stop,
        take_profit_pct=take,
    )
    minutes = draw(st.integers(20, 45))
    return Scenario(
        strategy_of(draw, symbols, controls, position_pct),
        costs_of(draw),
        session_candles(draw, calendar, symbols, minutes, drift, swing),
    )


def replay_fills(scenario: Scenario, calendars: ExchangeCalendarProvider) -> list[Fill]:
    lines = asyncio.run(
        run_replay(
            scenario.strategy,
            {s: CandleColumns.of(s, rows) for s, rows in scenario.candles.items()},
            calendars,
            CAPITAL,
            scenario.costs,
        )
    )
    return sorted(
        (
            line["symbol"],
            line["side"],
            datetime.fromisoformat(line["ts"]),
            Decimal(line["quantity"]),
            Decimal(line["price"]),
        )
        for line in lines
        if line["type"] == "fill"
    )


def backtest(scenario: Scenario, calendar: ExchangeTradingCalendar) -> BacktestOutcome:
    strategy = scenario.strategy
    frames = {s: candles_frame(rows) for s, rows in scenario.candles.items()}
    instruments = {s: instrument_of(s, strategy.exchange) for s in strategy.symbols}
    config = BacktestConfig(
        CAPITAL,
        costs=scenario.costs,
        timezone=calendar.timezone,
        hours=trading_hours(calendar),
        exits=ExitPrices.CLOSE,
        stale_after=REPLAY_STALE_AFTER,
    )
    return Backtester(ProcessingEngine()).run(strategy, frames, instruments, config)


def backtest_fills(outcome: BacktestOutcome) -> list[Fill]:
    fills: list[Fill] = []
    for trade in outcome.trades:
        fills.append((trade.symbol, "BUY", trade.entry_time, trade.quantity, trade.entry_price))
        if trade.exit_time is not None and trade.exit_price is not None:
            fills.append((trade.symbol, "SELL", trade.exit_time, trade.quantity, trade.exit_price))
    return sorted(fills)


def reached(rule: str, outcome: BacktestOutcome) -> bool:
    """Tell whether the backtest met *rule* (a refusal, a cut size or an exit by it)."""
    reasons = Counter(t.exit_reason.name for t in outcome.trades if t.exit_reason is not None)
    if rule in ("stop_loss", "take_profit"):
        return reasons[rule.upper()] > 0
    if rule == "position_size":
        return bool(outcome.trades)  # every entry was cut to the cap (sizing, then the check)
    return outcome.skipped_entries.get(rule, 0) > 0


RULE_NAMES = ("daily_loss", "max_positions", "position_size", "stop_loss", "take_profit")
_hits: Counter[str] = Counter()


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULE_NAMES)
def test_the_backtester_trades_as_the_live_runner_does(
    rule: str, calendars: ExchangeCalendarProvider, xkrx: ExchangeTradingCalendar
) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenario=scenarios(xkrx, rule))
    def check(scenario: Scenario) -> None:
        outcome = backtest(scenario, xkrx)
        expected = replay_fills(scenario, calendars)
        assert backtest_fills(outcome) == expected
        if reached(rule, outcome):
            _hits[rule] += 1

    check()
    assert _hits[rule] > 0, f"no example reached {rule}: the scenario does not test it"


def test_a_position_size_above_the_cap_is_cut_to_it_in_both_engines(
    calendars: ExchangeCalendarProvider, xkrx: ExchangeTradingCalendar
) -> None:
    opens, _ = xkrx.session_bounds(DAYS[0])
    rows = []
    for minute, close in enumerate([70_000, 70_100, 70_200]):
        price = Decimal(close)
        start = opens + timedelta(minutes=minute)
        rows.append(Candle("005930", start, price, price, price, price, Decimal(1_000)))
    capped = RiskControls(3, Decimal(10), Decimal(50))
    strategy = Strategy(
        "cap", "Cap", ("005930",), "XKRX", "close > 0", "close < 0", RiskConfig(capped),
        position_pct=Decimal(40), created_at=T0, updated_at=T0,
    )  # fmt: skip
    scenario = Scenario(strategy, TradingCosts(Decimal(0), Decimal(0)), {"005930": rows})

    fills = backtest_fills(backtest(scenario, xkrx))

    assert fills == replay_fills(scenario, calendars)
    (buy,) = fills
    assert buy[3] * buy[4] <= CAPITAL * Decimal("0.10")  # cut to the 10 % cap, not 40 %
