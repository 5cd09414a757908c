"""The real clock, and a manual one that moves only when told (replays, tests)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from types import TracebackType


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
        self._alarms: list[tuple[datetime, int, _ManualTimeout]] = []
        self._order = itertools.count()
        self.parked = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance_to(self, at: datetime) -> None:
        """Move time to *at* (never back) and wake every wait whose deadline has come."""
        self._now = max(self._now, at)
        alarms = self._alarms
        while alarms and alarms[0][0] <= self._now:
            heapq.heappop(alarms)[2].expire()
        sleepers = self._sleepers
        while sleepers and sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(sleepers)
            if not future.done():
                future.set_result(None)

    def next_deadline(self) -> datetime | None:
        """Return when the earliest wait or timeout parked on this clock is due, if any."""
        due = [d for d, _, f in self._sleepers if not f.done()]
        due.extend(d for d, _, alarm in self._alarms if alarm.active)
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

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[asyncio.Timeout]:
        return _ManualTimeout(self, seconds)

    def _alarm(self, seconds: float, alarm: _ManualTimeout) -> None:
        deadline = self._now + timedelta(seconds=max(0.0, seconds))
        heapq.heappush(self._alarms, (deadline, next(self._order), alarm))

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        loop = asyncio.get_running_loop()
        # One parked future that either the deadline or ``event.set()`` resolves: a replay waits
        # once a minute, and a task per wait cost a tenth of its time. asyncio's Event wakes
        # the futures in its ``_waiters``; where that is missing, a task waits on the event.
        wake: asyncio.Future[None] = loop.create_future()
        deadline = self._now + timedelta(seconds=max(0.0, seconds))
        heapq.heappush(self._sleepers, (deadline, next(self._order), wake))
        waiters = getattr(event, "_waiters", None)
        waiter: asyncio.Task[bool] | None = None
        if isinstance(waiters, collections.deque):
            waiters.append(wake)
        else:
            waiter = loop.create_task(event.wait())
            waiter.add_done_callback(lambda _: _resolve(wake))
        self.parked.set()
        try:
            await wake
        finally:
            wake.cancel()
            if waiter is not None:
                waiter.cancel()
            elif isinstance(waiters, collections.deque):
                with contextlib.suppress(ValueError):
                    waiters.remove(wake)
        return event.is_set()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _ManualTimeout:
    """``asyncio.timeout`` whose deadline is on a ``ManualClock``: when the clock is advanced
    past it, asyncio's own timeout is made to fire at once, so the body is cancelled exactly as
    on a real clock. A class rather than a generator: replays enter one for every broker call."""

    __slots__ = ("_clock", "_loop", "_seconds", "_timeout", "active")

    def __init__(self, clock: ManualClock, seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.active = False

    async def __aenter__(self) -> asyncio.Timeout:
        self._loop = asyncio.get_running_loop()
        self._timeout = asyncio.timeout(None)
        expiry = await self._timeout.__aenter__()
        self.active = True
        self._clock._alarm(self._seconds, self)
        return expiry

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.active = False
        assert self._timeout is not None
        await self._timeout.__aexit__(kind, error, trace)

    def expire(self) -> None:
        """Make the timeout fire, unless its body has finished first (the clock may be advanced
        from outside the loop: the timeout is moved on the loop)."""
        if self.active and self._loop is not None:
            self._loop.call_soon(self._fire)

    def _fire(self) -> None:
        if self.active and self._timeout is not None and self._loop is not None:
            self._timeout.reschedule(self._loop.time())
