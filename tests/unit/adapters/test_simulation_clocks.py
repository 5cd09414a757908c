"""The simulator's clocks: accelerated time, and market time that skips closed hours."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livetrader_gui.adapters.brokers.simulated import (
    MarketHoursClock,
    SimulatedClock,
    default_market_start,
)
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.timeouts import within
from tests.fakes import FakeClock

# 2026-11-24 15:29 KST, one minute before the close.
BEFORE_CLOSE = datetime(2026, 11, 24, 6, 29, tzinfo=UTC)
NEXT_OPEN = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_a_simulated_clock_runs_speed_times_its_base() -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = SimulatedClock(base, BEFORE_CLOSE, speed=60)
    base.advance(1)
    assert clock.now() == BEFORE_CLOSE + timedelta(minutes=1)


def test_market_hours_jump_from_the_close_to_the_next_open(xkrx: ExchangeTradingCalendar) -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = MarketHoursClock(base, xkrx, BEFORE_CLOSE, speed=1)

    base.advance(59)
    assert clock.now() == BEFORE_CLOSE + timedelta(seconds=59)
    base.advance(1)
    assert clock.now() == NEXT_OPEN
    base.advance(30)
    assert clock.now() == NEXT_OPEN + timedelta(seconds=30)
    assert xkrx.is_open(clock.now())


def test_a_market_hours_clock_started_while_closed_starts_at_the_next_open(
    xkrx: ExchangeTradingCalendar,
) -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    assert MarketHoursClock(base, xkrx, NEXT_OPEN - timedelta(hours=3)).now() == NEXT_OPEN


def test_many_sessions_pass_correctly_at_high_speed(xkrx: ExchangeTradingCalendar) -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = MarketHoursClock(base, xkrx, NEXT_OPEN, speed=3_600)
    base.advance(6.5 * 5)  # five full sessions of 6.5 open hours
    assert clock.now() == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


async def test_a_wait_across_the_close_lasts_only_the_open_time(
    xkrx: ExchangeTradingCalendar,
) -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = MarketHoursClock(base, xkrx, BEFORE_CLOSE, speed=1)
    # From 15:29 to 10:00 the next day: one open minute today and one open hour tomorrow.
    sleeper = asyncio.ensure_future(clock.sleep((timedelta(hours=18, minutes=31)).total_seconds()))
    await asyncio.sleep(0)

    base.advance(60 + 3_599)
    await asyncio.sleep(0)
    assert not sleeper.done()
    base.advance(1)
    await asyncio.sleep(0)
    assert sleeper.done()
    assert clock.now() == NEXT_OPEN + timedelta(hours=1)


async def test_a_wait_ends_early_when_its_event_is_set(xkrx: ExchangeTradingCalendar) -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = MarketHoursClock(base, xkrx, BEFORE_CLOSE, speed=10)
    stop = asyncio.Event()
    waiter = asyncio.ensure_future(clock.wait(stop, 60))
    await asyncio.sleep(0)
    stop.set()
    assert await waiter is True


def test_the_demo_market_starts_now_when_open_else_inside_the_latest_session(
    xkrx: ExchangeTradingCalendar,
) -> None:
    open_now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert default_market_start(xkrx, open_now) == open_now
    sunday_night = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    assert default_market_start(xkrx, sunday_night) == datetime(2026, 11, 27, 0, 30, tzinfo=UTC)


async def test_a_timeout_on_a_fast_simulated_clock_expires_in_its_own_time() -> None:
    base = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = SimulatedClock(base, BEFORE_CLOSE, speed=10)
    never = asyncio.Event()

    call = asyncio.ensure_future(within(clock, never.wait(), 10))
    await asyncio.sleep(0)
    base.advance(0.9)
    await asyncio.sleep(0)
    assert not call.done()
    base.advance(0.1)  # ten simulated seconds

    with pytest.raises(TimeoutError, match="no answer within 10 s"):
        await call
