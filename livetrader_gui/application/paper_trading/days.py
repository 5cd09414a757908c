"""``PaperDays``: which trading days a paper session really traded through.

The go-live gate counts distinct trading days with paper activity. A day counts once the paper
runner has completed ticks in at least ``MIN_SESSION_COVERAGE`` of that day's regular session,
counted in minutes: a session started five minutes before five closes is not five days of
evidence. Minutes are counted in memory, so a restart in the middle of a day starts that day's
count again: it can only make the evidence stricter, never inflate it.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from livetrader_gui.application.ports import (
    IAuditJournal,
    IPaperTradingSessionRepository,
    ISessionObserver,
    ITradingCalendar,
)
from livetrader_gui.application.read_models import LogEntry, LogLevel
from livetrader_gui.domain import AuditEntry, PaperTradingSession

MIN_SESSION_COVERAGE = 0.5


class PaperDays:
    """Records a paper session's trading days as the runner's ticks cover them."""

    def __init__(
        self,
        paper: PaperTradingSession,
        repository: IPaperTradingSessionRepository,
        calendar: ITradingCalendar,
        journal: IAuditJournal,
        observer: ISessionObserver,
        coverage: float = MIN_SESSION_COVERAGE,
    ) -> None:
        if not 0 < coverage <= 1:
            raise ValueError(f"paper-day coverage must be in (0, 1], got {coverage}")
        self._paper = paper
        self._repository = repository
        self._calendar = calendar
        self._journal = journal
        self._observer = observer
        self._coverage = coverage
        self._day: date | None = None
        self._minutes: set[datetime] = set()

    @property
    def paper(self) -> PaperTradingSession:
        """Return the paper session whose days are recorded."""
        return self._paper

    def minutes_needed(self, day: date) -> int:
        """Return how many minutes of *day*'s regular session make it a paper day."""
        opens, closes = self._calendar.session_bounds(day)
        return max(1, math.ceil((closes - opens).total_seconds() / 60 * self._coverage))

    async def tick_completed(self, now: datetime) -> date | None:
        """Count the minute of *now* if the market is open; return a day that just counted."""
        if not self._calendar.is_open(now):
            return None
        day = self._calendar.session_date(now)
        if day in self._paper.trading_days:
            return None
        if day != self._day:
            self._day, self._minutes = day, set()  # only today's minutes are ever kept
        self._minutes.add(now.replace(second=0, microsecond=0))
        needed = self.minutes_needed(day)
        if len(self._minutes) < needed:
            return None
        self._paper.record_activity(day)
        await self._repository.save(self._paper)
        total = len(self._paper.trading_days)
        message = (
            f"paper day {day.isoformat()} recorded after {len(self._minutes)} traded minutes "
            f"of its session ({total} in this paper session)"
        )
        session_id = self._paper.live_session_id
        await self._journal.append(
            AuditEntry(
                "paper_day",
                message,
                now,
                session_id,
                {"day": day.isoformat(), "minutes": len(self._minutes), "needed": needed},
            )
        )
        self._observer.on_log(LogEntry(now, LogLevel.INFO, message, session_id))
        return day
