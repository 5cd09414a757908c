"""Timeouts are measured on the injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.application.timeouts import within
from tests.fakes import FakeClock


async def test_the_result_comes_back_when_the_work_finishes_in_time() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    async def work() -> int:
        await clock.sleep(1)
        return 42

    call = asyncio.ensure_future(within(clock, work(), 5))
    await clock.settle()  # the work's own sleep; a timeout is a deadline, not a wait
    clock.advance(1)
    assert await call == 42
    assert clock.sleepers == 0


async def test_a_timeout_cancels_the_work() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    cancelled = asyncio.Event()

    async def work() -> None:
        try:
            await clock.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    call = asyncio.ensure_future(within(clock, work(), 5))
    await clock.settle()
    clock.advance(4)
    await asyncio.sleep(0)
    assert not call.done()
    clock.advance(1)
    with pytest.raises(TimeoutError, match="no answer within 5 s"):
        await call
    assert cancelled.is_set()


async def test_an_error_of_the_work_is_raised_as_it_is() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    async def work() -> None:
        raise LookupError("broker said no")

    with pytest.raises(LookupError, match="broker said no"):
        await within(clock, work(), 5)


async def test_cancelling_the_caller_cancels_the_work() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await clock.sleep(60)

    call = asyncio.ensure_future(within(clock, work(), 30))
    await started.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert clock.sleepers == 0


async def test_a_timeout_error_of_the_work_itself_is_not_renamed() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    async def work() -> None:
        raise TimeoutError("the broker's own deadline")

    with pytest.raises(TimeoutError, match="the broker's own deadline"):
        await within(clock, work(), 5)


async def test_the_system_clock_times_out_on_the_event_loop() -> None:
    never = asyncio.Event()

    with pytest.raises(TimeoutError, match="no answer within 0 s"):
        await within(SystemClock(), never.wait(), 0)
