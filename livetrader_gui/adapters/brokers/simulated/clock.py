"""The simulated market's own clocks.

``SimulatedClock`` runs from a chosen instant at ``speed`` times a base clock. ``MarketHoursClock``
also skips the time the exchange is closed, so the demo shows a market in session at any hour of
the day: when a session closes the clock moves to the next open. Trading-hours logic is not
bypassed — it reads this clock like any other and finds the market open.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from livetrader_gui.application.ports import Clock, ITradingCalendar


class SimulatedClock:
    """A ``Clock`` that starts at *start* and runs *speed* times as fast as *base*."""

    def __init__(self, base: Clock, start: datetime, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"the simulation speed must be above 0, got {speed}")
        self._base = base
        self._speed = speed
        self._anchor_base = base.now()
        self._anchor = start

    @property
    def speed(self) -> float:
        """Return how many simulated seconds pass per base second."""
        return self._speed

    def _elapsed(self) -> float:
        return (self._base.now() - self._anchor_base).total_seconds() * self._speed

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=self._elapsed())

    def _base_seconds(self, seconds: float) -> float:
        return max(0.0, seconds) / self._speed

    async def sleep(self, seconds: float) -> None:
        await self._base.sleep(self._base_seconds(seconds))

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        return await self._base.wait(event, self._base_seconds(seconds))

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[asyncio.Timeout]:
        return self._base.timeout(self._base_seconds(seconds))


class MarketHoursClock(SimulatedClock):
    """A ``SimulatedClock`` on which only open market time passes."""

    def __init__(
        self, base: Clock, calendar: ITradingCalendar, start: datetime, speed: float = 1.0
    ) -> None:
        super().__init__(base, start, speed)
        self._calendar = calendar
        self._anchor = self._into_session(start)

    def _into_session(self, at: datetime) -> datetime:
        return at if self._calendar.is_open(at) else self._calendar.next_open(at)

    def now(self) -> datetime:
        elapsed = self._elapsed()
        at = self._anchor
        while True:
            close = self._calendar.session_bounds(self._calendar.session_date(at))[1]
            left = (close - at).total_seconds()
            if elapsed < left:
                return at + timedelta(seconds=elapsed)
            # Crossing a close: re-anchor at the next open so later calls stay O(1).
            elapsed -= left
            at = self._calendar.next_open(close)
            self._anchor = at
            self._anchor_base = self._base.now() - timedelta(seconds=elapsed / self._speed)

    def _base_seconds(self, seconds: float) -> float:
        # Only open time passes on this clock, so a wait lasts the open time up to its target.
        at = self.now()
        target = at + timedelta(seconds=max(0.0, seconds))
        open_seconds = 0.0
        while at < target:
            session_open, close = self._calendar.session_bounds(self._calendar.session_date(at))
            at = max(at, session_open)
            if at >= target:
                break
            open_seconds += (min(close, target) - at).total_seconds()
            at = self._calendar.next_open(close)
        return open_seconds / self._speed
