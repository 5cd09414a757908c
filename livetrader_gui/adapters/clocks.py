"""The real clock, and a manual one that moves only when told (replays, tests)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta


class SystemClock:
    """A ``Clock`` on the machine's time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[asyncio.Timeout]:
        return asyncio.timeout(max(0.0, seconds))

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        try:
            await asyncio.wait_for(event.wait(), max(0.0, seconds))
        except TimeoutError:
            return event.is_set()
        return True


class ManualClock:
    """A ``Clock`` that stands still until ``advance_to`` moves it; waits park until then.

    ``parked`` is set whenever a task waits on an event (a runner between ticks), which is how a
    replay knows a tick has finished before it moves time on.
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        # Timeouts are kept apart: they are deadlines, not waits, and ``sleepers`` counts waits.
        self._alarms: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.parked = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance_to(self, at: datetime) -> None:
        """Move time to *at* (never back) and wake every wait whose deadline has come."""
        self._now = max(self._now, at)
        for heap in (self._alarms, self._sleepers):
            while heap and heap[0][0] <= self._now:
                _, _, future = heapq.heappop(heap)
                if not future.done():
                    future.set_result(None)

    def next_deadline(self) -> datetime | None:
        """Return when the earliest wait or timeout parked on this clock is due, if any."""
        due = [d for heap in (self._sleepers, self._alarms) for d, _, f in heap if not f.done()]
        return min(due, default=None)

    @property
    def sleepers(self) -> int:
        """Return how many waits are parked."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    @contextlib.asynccontextmanager
    async def timeout(self, seconds: float) -> AsyncIterator[asyncio.Timeout]:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as expiry:
            # A parked sleeper whose wake-up makes asyncio's own timeout fire at once, so the
            # body is cancelled exactly as on a real clock when time is advanced past it.
            alarm: asyncio.Future[None] = loop.create_future()
            alarm.add_done_callback(
                lambda f: None if f.cancelled() else expiry.reschedule(loop.time())
            )
            deadline = self._now + timedelta(seconds=max(0.0, seconds))
            heapq.heappush(self._alarms, (deadline, next(self._order), alarm))
            try:
                yield expiry
            finally:
                alarm.cancel()

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        waiter = asyncio.ensure_future(event.wait())
        timer = asyncio.ensure_future(self.sleep(seconds))
        self.parked.set()
        _, pending = await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return event.is_set()
