"""A backtest fetched from the simulated broker, run off the loop, and kept as evidence."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.backtesting import BacktestRequest, BacktestService
from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.backtest import BacktestCancelledError
from livetrader_gui.processing.engine import CandleDataError
from tests.builders import strategy
from tests.fakes import FakeBacktestRepository, FakeClock
from tests.sim import MARKET_OPEN_T0, sim_broker


def week_before(calendar: ExchangeTradingCalendar) -> BacktestRequest:
    return BacktestRequest(
        strategy=strategy(entry_rule="close > sma(close, 20)", exit_rule="close < sma(close, 20)"),
        start=datetime(2026, 11, 16, tzinfo=UTC),
        end=datetime(2026, 11, 21, tzinfo=UTC),
        initial_capital=Decimal(10_000_000),
        calendar=calendar,
    )


async def test_a_backtest_is_stored_with_the_strategys_rules_hash(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = sim_broker(xkrx)
    await broker.connect()
    results = FakeBacktestRepository()
    service = BacktestService(ProcessingEngine(), results, FakeClock(MARKET_OPEN_T0))
    seen: list[float] = []

    result, outcome = await service.run(week_before(xkrx), broker, progress=seen.append)

    assert results.results == [result]
    assert result.rules_hash == week_before(xkrx).strategy.rules_hash
    assert result.created_at == MARKET_OPEN_T0
    assert result.metrics == outcome.metrics
    assert result.metrics.num_trades == len([t for t in outcome.trades if not t.is_open]) > 0
    assert result.final_equity == outcome.final_equity
    assert result.start.date().isoformat() == "2026-11-16"
    assert len(outcome.equity) == 5 * 390  # five KRX sessions of 1-minute candles
    assert seen[-1] == 1.0
    latest = await results.get_latest_by_strategy(week_before(xkrx).strategy.id, result.rules_hash)
    assert latest == result


async def test_a_cancelled_backtest_stores_nothing(xkrx: ExchangeTradingCalendar) -> None:
    broker, _ = sim_broker(xkrx)
    await broker.connect()
    results = FakeBacktestRepository()
    service = BacktestService(ProcessingEngine(), results, FakeClock(MARKET_OPEN_T0))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BacktestCancelledError):
        await service.run(week_before(xkrx), broker, cancel=cancel)
    assert results.results == []


async def test_a_period_without_candles_is_refused_by_name(xkrx: ExchangeTradingCalendar) -> None:
    broker, _ = sim_broker(xkrx)
    await broker.connect()
    service = BacktestService(
        ProcessingEngine(), FakeBacktestRepository(), FakeClock(MARKET_OPEN_T0)
    )
    sunday = BacktestRequest(
        week_before(xkrx).strategy,
        datetime(2026, 11, 22, tzinfo=UTC),
        datetime(2026, 11, 22, 12, tzinfo=UTC),
        Decimal(1_000_000),
    )
    with pytest.raises(CandleDataError, match="no candles for 005930 between 2026-11-22 00:00"):
        await service.run(sunday, broker)
