"""Market-watch table: the latest quote per symbol, refreshed a few times a second."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer

from livetrader_gui.domain import Quote

FLUSH_INTERVAL_MS = 150
COLUMNS = ("Symbol", "Name", "Last", "Bid", "Ask", "Volume", "Time")
_NUMERIC = frozenset({2, 3, 4, 5})

Index = QModelIndex | QPersistentModelIndex


def _number(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


@dataclass(slots=True)
class _Row:
    symbol: str
    cells: list[str]


class QuoteTableModel(QAbstractTableModel):
    """Rows of formatted quotes.

    ``push`` only records the latest quote of a symbol; a timer applies what arrived since the
    last flush with one ranged ``dataChanged``, so a burst of quotes costs one repaint.
    """

    def __init__(
        self,
        names: dict[str, str],
        timezone: str,
        parent: Any = None,
        flush_ms: int = FLUSH_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._names = dict(names)
        self._zone = ZoneInfo(timezone)
        self._rows: list[_Row] = []
        self._row_of: dict[str, int] = {}
        self._pending: dict[str, Quote] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    def push(self, quote: Quote) -> None:
        """Record *quote*; it shows at the next flush."""
        self._pending[quote.symbol] = quote

    def flush(self) -> None:
        """Apply the quotes received since the last flush."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        changed: list[int] = []
        for symbol, quote in pending.items():
            cells = self._format(quote)
            row = self._row_of.get(symbol)
            if row is None:
                row = len(self._rows)
                self.beginInsertRows(QModelIndex(), row, row)
                self._rows.append(_Row(symbol, cells))
                self._row_of[symbol] = row
                self.endInsertRows()
            else:
                self._rows[row].cells = cells
                changed.append(row)
        if changed:
            self.dataChanged.emit(
                self.index(min(changed), 0),
                self.index(max(changed), len(COLUMNS) - 1),
                [Qt.ItemDataRole.DisplayRole],
            )

    def _format(self, quote: Quote) -> list[str]:
        local = quote.at.astimezone(self._zone)
        return [
            quote.symbol,
            self._names.get(quote.symbol, ""),
            _number(quote.last),
            _number(quote.bid),
            _number(quote.ask),
            _number(quote.volume),
            local.strftime("%H:%M:%S"),
        ]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()].cells[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
