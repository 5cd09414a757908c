"""``BufferedJournal``: an audit journal that keeps what it could not write, and writes it later.

The journal records every decision, so a journal write must never be what stops an order from
being tracked: when the store refuses an entry (the database is locked, the disk is full), the
entry waits here, in order, and goes out with the next append or ``flush``. Nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from livetrader_gui.application.ports import IAuditJournal, ISessionObserver, StorageError
from livetrader_gui.application.read_models import LogEntry, LogLevel
from livetrader_gui.domain import AuditEntry

_log = logging.getLogger(__name__)


class BufferedJournal:
    """An ``IAuditJournal`` over another one; ``append`` never raises ``StorageError``."""

    def __init__(self, journal: IAuditJournal) -> None:
        self._journal = journal
        self._waiting: deque[AuditEntry] = deque()
        # One writer at a time: concurrent appends must not write the same waiting entry twice.
        self._writing = asyncio.Lock()
        self.last_error: str | None = None

    @property
    def backlog(self) -> int:
        """Return how many entries wait to be written."""
        return len(self._waiting)

    async def append(self, entry: AuditEntry) -> None:
        self._waiting.append(entry)
        await self.flush()

    async def flush(self) -> bool:
        """Write the waiting entries in order; return True once none waits."""
        async with self._writing:
            return await self._write_waiting()

    async def _write_waiting(self) -> bool:
        while self._waiting:
            try:
                await self._journal.append(self._waiting[0])
            except StorageError as error:
                if self.last_error is None:
                    _log.warning("journal entries wait to be written: %s", error)
                self.last_error = str(error)
                return False
            self._waiting.popleft()
        if self.last_error is not None:
            _log.info("the journal's waiting entries are written")
            self.last_error = None
        return True

    async def list_entries(
        self, session_id: str | None = None, limit: int = 1_000
    ) -> list[AuditEntry]:
        stored = await self._journal.list_entries(session_id, limit)
        waiting = [e for e in self._waiting if session_id in (None, e.session_id)]
        return (stored + waiting)[-limit:]


class NarratedJournal:
    """An ``IAuditJournal`` that also tells the observers each entry it has written, as a line
    of the Activity log: the journal is the story of a session, and the log shows it as it
    happens. An entry the store refused is told when a later append or flush writes it, once.
    """

    def __init__(self, journal: IAuditJournal, observer: ISessionObserver) -> None:
        self._journal = journal
        self._observer = observer

    async def append(self, entry: AuditEntry) -> None:
        await self._journal.append(entry)
        if self._observer.listening:  # a replay journals thousands of entries to nobody
            self._observer.on_log(
                LogEntry(entry.at, level_of(entry), entry.message, entry.session_id)
            )

    async def list_entries(
        self, session_id: str | None = None, limit: int = 1_000
    ) -> list[AuditEntry]:
        return await self._journal.list_entries(session_id, limit)


_ERRORS = frozenset({"fill_conflict", "fill_excluded"})
_WARNINGS = frozenset({"kill_switch", "reconcile", "position_adjusted", "unclean_shutdown"})


def level_of(entry: AuditEntry) -> LogLevel:
    """Return how much a journal entry matters to the trader reading the Activity log."""
    data = entry.data
    if entry.kind in _ERRORS or data.get("status") in ("ERROR", "REJECTED"):
        return LogLevel.ERROR
    if entry.kind in _WARNINGS or data.get("approved") is False or data.get("differences"):
        return LogLevel.WARNING
    if data.get("trading_state") in ("HALTED", "REDUCING") or data.get("status") == "PAUSED":
        return LogLevel.WARNING
    return LogLevel.INFO
