"""Market-watch table: the latest quote per symbol, on screen within a frame or two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from livetrader_gui.domain import Quote
from livetrader_gui.ui.colours import signed
from livetrader_gui.ui.models.snapshot_table_model import (
    FLUSH_INTERVAL_MS,
    Row,
    SnapshotTableModel,
)

# Wide enough for KRX prices and volumes at 1280×800: every column but Time fits beside the
# sessions (tests/ui/test_main_window.py checks it).
# Room for a venue's codes (KRW-BTC) and a coin's prices in KRW (90,404,000).
QUOTE_WIDTHS = (70, 136, 84, 62, 80, 80, 70)


def _number(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value:+.2f}%"


class QuoteTableModel(SnapshotTableModel):
    """Rows of formatted quotes, one per symbol, whatever session is selected.

    ``push`` only records the latest quote of a symbol; the base's one-frame timer applies what
    arrived since the last flush, so a burst of quotes costs one repaint of the rows it changed.
    """

    COLUMNS = ("Symbol", "Name", "Last", "Change %", "Bid", "Ask", "Volume", "Time")
    NUMERIC = frozenset({2, 3, 4, 5, 6})
    PER_SESSION = False

    def __init__(
        self,
        names: dict[str, str],
        timezone: str,
        parent: Any = None,
        flush_ms: int = FLUSH_INTERVAL_MS,
    ) -> None:
        super().__init__(parent, flush_ms)
        self._names = dict(names)
        self._zone = ZoneInfo(timezone)
        self._watched: frozenset[str] | None = None  # None: every symbol quoted

    def show_symbols(self, symbols: Sequence[str], names: Mapping[str, str]) -> None:
        """Show the quotes of *symbols* only (one broker's market watch), named by *names*."""
        self._watched = frozenset(symbols)
        self._names.update(names)
        self.show_session(None)  # rebuilds the rows of what is visible now

    def _visible(self, item: Quote) -> bool:
        return self._watched is None or item.symbol in self._watched

    def key(self, item: Quote) -> str:
        return item.symbol

    def format(self, item: Quote) -> Row:
        local = item.at.astimezone(self._zone)
        return Row(
            item,
            [
                item.symbol,
                self._names.get(item.symbol, ""),
                _number(item.last),
                _percent(item.change_pct),
                _number(item.bid),
                _number(item.ask),
                _number(item.volume),
                local.strftime("%H:%M:%S"),
            ],
            {2: signed(item.change), 3: signed(item.change)},
        )
