"""Trading calendars from ``exchange_calendars``: XKRX, XNYS, 24/7 and every other it knows.

Building a calendar is slow (XKRX computes lunar holidays: seconds), so the provider builds each
one once, off the event loop, and caches it. Lookups then use plain sorted lists and ``bisect``:
``exchange_calendars.is_open_at_time`` costs ~250 µs a call, too much for every tick of every
symbol.
"""

from __future__ import annotations

import asyncio
import difflib
import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta

import exchange_calendars as xcals
import pandas as pd

# How far back calendars (and so simulated history) reach; enough for backtests.
DEFAULT_HISTORY = timedelta(days=730)


def _utc(stamp: pd.Timestamp) -> datetime:
    return stamp.to_pydatetime().astimezone(UTC)


class CalendarError(ValueError):
    """A calendar code is unknown, or a time lies outside the calendar's range."""


class ExchangeTradingCalendar:
    """An ``ITradingCalendar`` over one exchange's sessions."""

    def __init__(self, calendar: xcals.ExchangeCalendar) -> None:
        self._code = str(calendar.name)
        self._timezone = str(calendar.tz)
        schedule = calendar.schedule
        self._days: list[date] = [ts.date() for ts in schedule.index]
        self._opens: list[datetime] = [_utc(ts) for ts in schedule["open"]]
        self._closes: list[datetime] = [_utc(ts) for ts in schedule["close"]]
        self._breaks: list[tuple[datetime, datetime] | None] = [
            None if pd.isna(start) else (_utc(start), _utc(end))
            for start, end in zip(schedule["break_start"], schedule["break_end"], strict=True)
        ]

    @property
    def code(self) -> str:
        return self._code

    @property
    def timezone(self) -> str:
        return self._timezone

    def _check_time(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise CalendarError(f"{self._code}: times must carry a time zone, got {at}")
        if not self._opens[0] - timedelta(days=7) <= at <= self._closes[-1]:
            raise CalendarError(
                f"{at.isoformat()} is outside the {self._code} calendar, which covers "
                f"{self._days[0]} to {self._days[-1]}"
            )

    def _check_day(self, day: date) -> None:
        if not self._days[0] <= day <= self._days[-1]:
            raise CalendarError(
                f"{day} is outside the {self._code} calendar, which covers "
                f"{self._days[0]} to {self._days[-1]}"
            )

    def is_open(self, at: datetime) -> bool:
        self._check_time(at)
        index = bisect_right(self._opens, at) - 1
        if index < 0 or at >= self._closes[index]:
            return False
        pause = self._breaks[index]
        return pause is None or not pause[0] <= at < pause[1]

    def is_session(self, day: date) -> bool:
        self._check_day(day)
        index = bisect_left(self._days, day)
        return self._days[index] == day

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        if not self.is_session(day):
            raise CalendarError(f"{day} is not a {self._code} trading day")
        index = bisect_left(self._days, day)
        return self._opens[index], self._closes[index]

    def sessions_between(self, first: date, last: date) -> list[date]:
        return self._days[bisect_left(self._days, first) : bisect_right(self._days, last)]

    def next_open(self, at: datetime) -> datetime:
        self._check_time(at)
        index = bisect_right(self._opens, at)
        if index >= len(self._opens):
            raise CalendarError(f"no {self._code} session after {at.isoformat()} in the calendar")
        return self._opens[index]

    def session_date(self, at: datetime) -> date:
        self._check_time(at)
        index = bisect_right(self._opens, at) - 1
        if index >= 0 and at < self._closes[index]:
            return self._days[index]
        if index + 1 >= len(self._days):
            raise CalendarError(f"no {self._code} session after {at.isoformat()} in the calendar")
        return self._days[index + 1]


class ExchangeCalendarProvider:
    """An ``ICalendarProvider``: builds calendars lazily, once per process, in a worker thread."""

    def __init__(self, start: date | None = None, end: date | None = None) -> None:
        self._start = start or (datetime.now(UTC).date() - DEFAULT_HISTORY)
        self._end = end
        self._cache: dict[str, ExchangeTradingCalendar] = {}
        self._lock = threading.Lock()

    async def get(self, code: str) -> ExchangeTradingCalendar:
        cached = self._cache.get(code)
        if cached is not None:
            return cached
        return await asyncio.get_running_loop().run_in_executor(None, self.load, code)

    def load(self, code: str) -> ExchangeTradingCalendar:
        """Return the calendar for *code*, building it here if needed (blocking)."""
        with self._lock:
            cached = self._cache.get(code)
            if cached is not None:
                return cached
            names = xcals.get_calendar_names(include_aliases=True)
            if code not in names:
                close = difflib.get_close_matches(code, names, n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise CalendarError(f"Unknown exchange calendar '{code}'.{hint}")
            built = xcals.get_calendar(code, start=self._start, end=self._end)
            calendar = ExchangeTradingCalendar(built)
            self._cache[code] = calendar
            return calendar
