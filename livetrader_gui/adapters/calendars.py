"""Trading calendars from ``exchange_calendars``: XKRX, XNYS, 24/7 and every other it knows.

Building a calendar is slow (XKRX computes lunar holidays: seconds), so the provider builds each
one once, off the event loop, and caches it; given a folder, it also keeps each calendar's
sessions there, keyed by the library's version, the code and the range, so that the next process
reads them in milliseconds. Any kept file of the same code and version whose range covers the one
asked for serves it, cut to that range: the calendars shipped with the app (``resources/
calendars``, written by ``packaging/calendars.py``) make even a first launch fast.

Lookups then use plain sorted lists and ``bisect``:
``exchange_calendars.is_open_at_time`` costs ~250 µs a call, too much for every tick of every
symbol.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import os
import re
import tempfile
import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np
import pandas as pd

# How far back calendars (and so simulated history) reach; enough for backtests.
DEFAULT_HISTORY = timedelta(days=730)
# How far ahead, as exchange_calendars' own default end.
DEFAULT_AHEAD = timedelta(days=365)
if TYPE_CHECKING:
    import exchange_calendars as xcals

_NONE = np.iinfo(np.int64).min  # no lunch break in a session
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_log = logging.getLogger(__name__)


def _utc(stamp: pd.Timestamp) -> datetime:
    return stamp.to_pydatetime().astimezone(UTC)


class CalendarError(ValueError):
    """A calendar code is unknown, or a time lies outside the calendar's range."""


class ExchangeTradingCalendar:
    """An ``ITradingCalendar`` over one exchange's sessions."""

    def __init__(
        self,
        code: str,
        timezone: str,
        days: list[date],
        opens: list[datetime],
        closes: list[datetime],
        breaks: list[tuple[datetime, datetime] | None],
    ) -> None:
        self._code = code
        self._timezone = timezone
        self._days = days
        self._opens = opens
        self._closes = closes
        self._breaks = breaks
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._earliest = opens[0] - timedelta(days=7)

    @classmethod
    def of(cls, calendar: xcals.ExchangeCalendar) -> ExchangeTradingCalendar:
        """Return the sessions of an ``exchange_calendars`` calendar."""
        schedule = calendar.schedule
        return cls(
            str(calendar.name),
            str(calendar.tz),
            [ts.date() for ts in schedule.index],
            [_utc(ts) for ts in schedule["open"]],
            [_utc(ts) for ts in schedule["close"]],
            [
                None if pd.isna(start) else (_utc(start), _utc(end))
                for start, end in zip(schedule["break_start"], schedule["break_end"], strict=True)
            ],
        )

    def save(self, path: Path) -> None:
        """Write the sessions to *path* (whole or not at all)."""

        def ns(moments: list[datetime]) -> np.ndarray:
            return np.array([_ns(m) for m in moments], dtype=np.int64)

        breaks = [pause or (None, None) for pause in self._breaks]
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez_compressed(
                    file,
                    meta=np.array([self._code, self._timezone]),
                    days=np.array([d.toordinal() for d in self._days], dtype=np.int64),
                    opens=ns(self._opens),
                    closes=ns(self._closes),
                    break_starts=np.array([_ns(b) for b, _ in breaks], dtype=np.int64),
                    break_ends=np.array([_ns(e) for _, e in breaks], dtype=np.int64),
                )
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> ExchangeTradingCalendar:
        """Read sessions written by ``save``; raise ``ValueError`` or ``OSError``."""
        with np.load(path, allow_pickle=False) as data:
            code, timezone = (str(v) for v in data["meta"])
            days = [date.fromordinal(int(d)) for d in data["days"]]
            opens = [_moment(int(v)) for v in data["opens"]]
            closes = [_moment(int(v)) for v in data["closes"]]
            breaks: list[tuple[datetime, datetime] | None] = [
                None if int(b) == _NONE else (_moment(int(b)), _moment(int(e)))
                for b, e in zip(data["break_starts"], data["break_ends"], strict=True)
            ]
        if not (len(days) == len(opens) == len(closes) == len(breaks) > 0):
            raise ValueError(f"{path}: the sessions are incomplete")
        return cls(code, timezone, days, opens, closes, breaks)

    def between(self, first: date, last: date) -> ExchangeTradingCalendar:
        """Return the calendar cut to the sessions from *first* to *last*."""
        low, high = bisect_left(self._days, first), bisect_right(self._days, last)
        if low >= high:
            raise CalendarError(f"no {self._code} session from {first} to {last}")
        return ExchangeTradingCalendar(
            self._code,
            self._timezone,
            self._days[low:high],
            self._opens[low:high],
            self._closes[low:high],
            self._breaks[low:high],
        )

    def _table(self) -> tuple[np.ndarray, ...]:
        table = self._arrays
        if table is None:
            breaks = [pause or (None, None) for pause in self._breaks]
            table = self._arrays = (
                np.array([_ns(m) for m in self._opens], dtype=np.int64),
                np.array([_ns(m) for m in self._closes], dtype=np.int64),
                np.array([_ns(b) for b, _ in breaks], dtype=np.int64),
                np.array([_ns(e) for _, e in breaks], dtype=np.int64),
                np.array([d.toordinal() for d in self._days], dtype=np.int64),
            )
        return table

    def _check_instants(self, instants: np.ndarray) -> None:
        if len(instants) == 0:
            return
        low, high = int(instants.min()), int(instants.max())
        for ns in (low, high):
            self._check_time(_moment(ns))

    def open_mask(self, instants: np.ndarray) -> np.ndarray:
        """Return ``is_open`` of each instant (UTC nanoseconds), computed at once."""
        self._check_instants(instants)
        opens, closes, break_starts, break_ends, _ = self._table()
        index = np.searchsorted(opens, instants, side="right") - 1
        at = np.maximum(index, 0)
        paused = (break_starts[at] <= instants) & (instants < break_ends[at])
        result: np.ndarray = (index >= 0) & (instants < closes[at]) & ~paused
        return result

    def session_days(self, instants: np.ndarray) -> np.ndarray:
        """Return ``session_date(...).toordinal()`` of each instant (UTC nanoseconds)."""
        self._check_instants(instants)
        opens, closes, _, _, days = self._table()
        index = np.searchsorted(opens, instants, side="right") - 1
        within = (index >= 0) & (instants < closes[np.maximum(index, 0)])
        session = np.where(within, index, index + 1)
        if len(session) and int(session.max()) >= len(days):
            beyond = int(instants[int(np.argmax(session >= len(days)))])
            raise CalendarError(
                f"no {self._code} session after {_moment(beyond).isoformat()} in the calendar"
            )
        result: np.ndarray = days[session]
        return result

    @property
    def code(self) -> str:
        return self._code

    @property
    def timezone(self) -> str:
        return self._timezone

    def _check_time(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise CalendarError(f"{self._code}: times must carry a time zone, got {at}")
        if not self._earliest <= at <= self._closes[-1]:
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


def _ns(moment: datetime | None) -> int:
    if moment is None:
        return int(_NONE)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _moment(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


class ExchangeCalendarProvider:
    """An ``ICalendarProvider``: builds calendars lazily, once per process, in a worker thread.

    With a *cache* folder, each calendar's sessions are kept there between processes (a file
    that cannot be read is rebuilt; one that cannot be written is only logged). *shipped* are
    folders only read, searched after the cache: the calendars that come with the app.
    """

    def __init__(
        self,
        start: date | None = None,
        end: date | None = None,
        cache: Path | None = None,
        shipped: tuple[Path, ...] = (),
    ) -> None:
        today = datetime.now(UTC).date()
        self._start = start or (today - DEFAULT_HISTORY)
        # Always a fixed end: the library's default moves with the date, and so would the key.
        self._end = end or (today + DEFAULT_AHEAD)
        self._folder = cache
        self._shipped = shipped
        self._cache: dict[str, ExchangeTradingCalendar] = {}
        self._lock = threading.Lock()

    @property
    def span(self) -> tuple[date, date]:
        """The first and last day every calendar of this provider covers."""
        return self._start, self._end

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
            # A kept calendar needs no exchange_calendars at all (its import alone takes 0.1 s).
            calendar = self._stored(code)
            if calendar is None:
                calendar = self.build(code)
                self._store(code, calendar)
            self._cache[code] = calendar
            return calendar

    def build(self, code: str) -> ExchangeTradingCalendar:
        """Build the calendar for *code* with exchange_calendars, over this provider's span."""
        import exchange_calendars as xcals

        names = xcals.get_calendar_names(include_aliases=True)
        if code not in names:
            close = difflib.get_close_matches(code, names, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise CalendarError(f"Unknown exchange calendar '{code}'.{hint}")
        return ExchangeTradingCalendar.of(
            xcals.get_calendar(code, start=self._start, end=self._end)
        )

    def file_name(self, code: str) -> str:
        """Return the name this provider's calendar of *code* is kept under."""
        # Quoted: codes come from strategy files, and one of them is "24/7".
        name = quote(code, safe="")
        return f"{name}-{self._start.isoformat()}-{self._end.isoformat()}-xcals{_version()}.npz"

    def _candidates(self, code: str) -> list[Path]:
        """Return the kept files of *code* and this library version whose span covers ours."""
        pattern = re.compile(
            re.escape(quote(code, safe=""))
            + r"-(\d{4}-\d\d-\d\d)-(\d{4}-\d\d-\d\d)-xcals"
            + re.escape(_version())
            + r"\.npz"
        )
        found = []
        for folder in (*((self._folder,) if self._folder else ()), *self._shipped):
            if not folder.is_dir():
                continue
            exact = folder / self.file_name(code)
            if exact.is_file():
                found.append(exact)
            for path in sorted(folder.glob(f"{quote(code, safe='')}-*.npz")):
                match = pattern.fullmatch(path.name)
                if match is None or path == exact:
                    continue
                first, last = (date.fromisoformat(g) for g in match.groups())
                if first <= self._start and self._end <= last:
                    found.append(path)
        return found

    def _stored(self, code: str) -> ExchangeTradingCalendar | None:
        for path in self._candidates(code):
            try:
                stored = ExchangeTradingCalendar.load(path)
                return stored.between(self._start, self._end)
            except (OSError, ValueError, KeyError) as error:
                _log.warning("the kept calendar %s is unusable (%s); trying another", path, error)
        return None

    def _store(self, code: str, calendar: ExchangeTradingCalendar) -> None:
        if self._folder is None:
            return
        path = self._folder / self.file_name(code)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            calendar.save(path)
        except OSError as error:
            _log.warning("cannot keep the calendar in %s: %s", path, error)


@functools.cache
def _version() -> str:
    return metadata.version("exchange_calendars")


def user_cache() -> Path:
    """Return the folder this user's calendars are kept in between runs."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("LiveTrader", appauthor=False)) / "calendars"
