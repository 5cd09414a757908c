"""The manual clock (replays, tests): a wait ends at its deadline or when its event is set,
whichever comes first, and leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from livetrader_gui.adapters.clocks import ManualClock

START = datetime(2026, 1, 5, tzinfo=UTC)


class _PlainEvent:
    """An event without asyncio.Event's insides, as another implementation might be."""

    def __init__(self) -> None:
        self._inner = asyncio.Event()

    def is_set(self) -> bool:
        return self._inner.is_set()

    def set(self) -> None:
        self._inner.set()

    async def wait(self) -> bool:
        return await self._inner.wait()


async def _waiting(clock: ManualClock, event: object, seconds: float) -> asyncio.Task[bool]:
    clock.parked.clear()
    task = asyncio.ensure_future(clock.wait(event, seconds))  # type: ignore[arg-type]
    await clock.parked.wait()
    return task


async def test_a_wait_ends_at_its_deadline_without_its_event() -> None:
    clock = ManualClock(START)
    event = asyncio.Event()
    task = await _waiting(clock, event, 60)

    clock.advance_to(START + timedelta(seconds=59))
    await asyncio.sleep(0)
    assert not task.done()
    clock.advance_to(START + timedelta(seconds=60))

    assert await task is False
    assert clock.sleepers == 0
    assert not event._waiters


async def test_a_wait_ends_when_its_event_is_set_before_the_deadline() -> None:
    clock = ManualClock(START)
    event = asyncio.Event()
    task = await _waiting(clock, event, 60)

    event.set()

    assert await task is True
    assert clock.sleepers == 0
    assert clock.next_deadline() is None


async def test_an_event_of_another_kind_is_waited_on_as_well() -> None:
    clock = ManualClock(START)
    event = _PlainEvent()
    early = await _waiting(clock, event, 60)
    event.set()
    assert await early is True

    late = await _waiting(clock, _PlainEvent(), 60)
    clock.advance_to(START + timedelta(minutes=1))
    assert await late is False
    await asyncio.sleep(0)  # the helper task ends at the next turn
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_a_cancelled_wait_leaves_no_sleeper_and_no_waiter() -> None:
    clock = ManualClock(START)
    event = asyncio.Event()
    task = await _waiting(clock, event, 60)

    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert clock.sleepers == 0
    assert not event._waiters
    event.set()  # nothing left to wake
