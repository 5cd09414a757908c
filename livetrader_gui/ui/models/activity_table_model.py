"""The activity log of a session: what the runner did and why a signal did not trade."""

from __future__ import annotations

from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer

from livetrader_gui.application.read_models import LogEntry, LogLevel
from livetrader_gui.ui.colours import PALETTE, Tone
from livetrader_gui.ui.models.snapshot_table_model import FLUSH_INTERVAL_MS, Index

MAX_ROWS = 5_000  # per session; older lines stay in the log file and the journal
_TONE = {LogLevel.WARNING: Tone.WARN, LogLevel.ERROR: Tone.BAD}
COLUMNS = ("Time", "Level", "Message")


class ActivityTableModel(QAbstractTableModel):
    """The newest lines of one session's log (lines of no session show with every session)."""

    def __init__(
        self, timezone: str = "UTC", parent: Any = None, flush_ms: int = FLUSH_INTERVAL_MS
    ) -> None:
        super().__init__(parent)
        self._zone = ZoneInfo(timezone)
        self._by_session: dict[str | None, deque[LogEntry]] = {}
        self._session: str | None = None
        self._rows: list[tuple[LogEntry, str]] = []  # a list: data() indexes it at random
        self._pending: list[LogEntry] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    def push(self, entry: LogEntry) -> None:
        """Record *entry*; it shows at the next flush, at most one frame away."""
        self._pending.append(entry)
        if not self._timer.isActive():
            self._timer.start()

    def show_session(self, session_id: str | None) -> None:
        """Show the log of *session_id*."""
        self.flush()
        self.beginResetModel()
        self._session = session_id
        lines = [*self._by_session.get(None, ()), *self._by_session.get(session_id, ())]
        lines.sort(key=lambda e: e.at)
        self._rows = [(e, self._time(e)) for e in lines[-MAX_ROWS:]]
        self.endResetModel()

    def flush(self) -> None:
        """Append the lines received since the last flush, dropping the oldest past the limit."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        shown = []
        for entry in pending:
            kept = self._by_session.setdefault(entry.session_id, deque(maxlen=MAX_ROWS))
            kept.append(entry)
            if self._session is not None and entry.session_id in (None, self._session):
                shown.append(entry)
        if not shown:
            return
        overflow = len(self._rows) + len(shown) - MAX_ROWS
        if overflow > 0:
            drop = min(overflow, len(self._rows))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self._rows[:drop]
            self.endRemoveRows()
            shown = shown[-MAX_ROWS:]
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
        self._rows.extend((e, self._time(e)) for e in shown)
        self.endInsertRows()

    def message(self, row: int) -> str:
        """Return the message of *row*."""
        return self._rows[row][0].message

    def _time(self, entry: LogEntry) -> str:
        return entry.at.astimezone(self._zone).strftime("%H:%M:%S")

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry, time = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return time
            return entry.level.value if column == 1 else entry.message
        if role == Qt.ItemDataRole.ForegroundRole:
            tone = _TONE.get(entry.level)
            return None if tone is None else PALETTE.colour(tone)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
