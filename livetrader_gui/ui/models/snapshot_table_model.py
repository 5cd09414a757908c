"""The base of the session tables: rows of frozen snapshots, keyed, coalesced, per session.

Snapshots of every session are kept; the view shows one session's at a time. ``push`` only
records the newest snapshot per key; the first push after a flush starts a one-frame timer that
applies what arrived meanwhile with row inserts and removals and a ``dataChanged`` per run of
changed rows. So a burst of facts costs one repaint of the rows it changed, a fact is on screen
within a frame or two, an idle table costs nothing, and the model is never reset by a tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer

from livetrader_gui.ui.colours import PALETTE, Tone

# One frame at 60 Hz: at most 60 repaints a second, whatever the rate of facts, and a quote on
# screen well within the 50 ms of issue 5 (bench/gui_load.py).
FLUSH_INTERVAL_MS = 16

Index = QModelIndex | QPersistentModelIndex


def number(value: Decimal | None) -> str:
    """Return *value* with thousands separators, decimals only when it has them."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"


@dataclass(slots=True)
class Row:
    """A formatted row: texts and, per column, the tone of the text (None: the theme's)."""

    item: Any
    cells: list[str]
    tones: dict[int, Tone | None] = field(default_factory=dict)


class SnapshotTableModel(QAbstractTableModel):
    """Rows of one session's snapshots; subclasses say how to key, file and format them."""

    COLUMNS: tuple[str, ...] = ()
    NUMERIC: frozenset[int] = frozenset()
    PER_SESSION = True  # False: every row shows whatever session is selected

    def __init__(
        self,
        parent: Any = None,
        flush_ms: int = FLUSH_INTERVAL_MS,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.names: Mapping[str, str] = names or {}
        self._items: dict[str, Any] = {}  # every session's, by key, in arrival order
        self._session: str | None = None
        self._rows: list[Row] = []
        self._row_of: dict[str, int] = {}
        self._pending: dict[str, Any] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    def symbol(self, code: str) -> str:
        """Return *code* with the instrument's name beside it, where the name is known."""
        name = self.names.get(code)
        return f"{code} {name}" if name else code

    # ------------------------------------------------------------------ what subclasses define

    def key(self, item: Any) -> str:
        """Return the key of *item*: a newer snapshot with the same key replaces it."""
        raise NotImplementedError

    def session_of(self, item: Any) -> str | None:
        """Return the session *item* belongs to (None: shown with every session)."""
        return getattr(item, "session_id", None)

    def keep(self, item: Any) -> bool:
        """Tell whether *item* still deserves a row (a flat position does not)."""
        return True

    def format(self, item: Any) -> Row:
        """Return the formatted row of *item*."""
        raise NotImplementedError

    # ------------------------------------------------------------------ feeding

    def push(self, item: Any) -> None:
        """Record *item*; it shows at the next flush, at most one frame away."""
        self._pending[self.key(item)] = item
        if not self._timer.isActive():
            self._timer.start()

    def load(self, items: list[Any]) -> None:
        """Record items read from storage; a key already known keeps its newer live snapshot."""
        for item in items:
            key = self.key(item)
            if key not in self._items and key not in self._pending:
                self._pending[key] = item
        self.flush()

    def show_session(self, session_id: str | None) -> None:
        """Show the rows of *session_id* (None: no session)."""
        self.flush()
        self.beginResetModel()
        self._session = session_id
        self._rows = []
        self._row_of = {}
        for key, item in self._items.items():
            if self._visible(item):
                self._row_of[key] = len(self._rows)
                self._rows.append(self.format(item))
        self.endResetModel()

    def item(self, row: int) -> Any:
        """Return the snapshot shown in *row*."""
        return self._rows[row].item

    def flush(self) -> None:
        """Apply the snapshots received since the last flush."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        changed: list[str] = []
        for key, item in pending.items():
            kept = self.keep(item)
            if kept:
                self._items[key] = item  # an update keeps its place in the arrival order
            else:
                self._items.pop(key, None)
            row = self._row_of.get(key)
            if row is None:
                if kept and self._visible(item):
                    self._append(key, item)
            elif kept:
                self._rows[row] = self.format(item)
                changed.append(key)
            else:
                self._remove(key, row)
        # Rows are looked up after the removals, which move the rows below them up.
        rows = sorted(self._row_of[key] for key in changed if key in self._row_of)
        # One signal per run of adjacent rows: the view repaints only the rows that changed
        # (a single range from the first to the last would repaint every row in between).
        last_column = len(self.COLUMNS) - 1
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                self.dataChanged.emit(
                    self.index(rows[start], 0), self.index(rows[i - 1], last_column)
                )
                start = i

    def _visible(self, item: Any) -> bool:
        if not self.PER_SESSION:
            return True
        session = self.session_of(item)
        return self._session is not None and (session is None or session == self._session)

    def _append(self, key: str, item: Any) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(self.format(item))
        self._row_of[key] = row
        self.endInsertRows()

    def _remove(self, key: str, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._row_of[key]
        for other, index in self._row_of.items():
            if index > row:
                self._row_of[other] = index - 1
        self.endRemoveRows()

    # ------------------------------------------------------------------ Qt's model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()].cells[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            tone = self._rows[index.row()].tones.get(index.column())
            return None if tone is None else PALETTE.colour(tone)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None
