"""The positions, orders and signals tables of a session."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from livetrader_gui.application.read_models import OrderSnapshot, PositionSnapshot, SignalSnapshot
from livetrader_gui.domain import OrderStatus, SignalStatus, TradeDirection
from livetrader_gui.ui.colours import Tone, signed
from livetrader_gui.ui.models.snapshot_table_model import Row, SnapshotTableModel, number

_DIRECTION_TONE = {TradeDirection.BUY: Tone.UP, TradeDirection.SELL: Tone.DOWN}


class _Zoned(SnapshotTableModel):
    """A table that shows times in the exchange's time zone."""

    def __init__(self, timezone: str = "UTC", parent: Any = None, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._zone = ZoneInfo(timezone)

    def time(self, at: datetime | None) -> str:
        return "" if at is None else at.astimezone(self._zone).strftime("%H:%M:%S")


class PositionsTableModel(SnapshotTableModel):
    """Open positions: a position closed out leaves the table."""

    COLUMNS = ("Symbol", "Quantity", "Avg price", "Last", "Unrealized P&L", "Realized P&L")
    NUMERIC = frozenset({1, 2, 3, 4, 5})

    def key(self, item: PositionSnapshot) -> str:
        return f"{item.session_id}/{item.symbol}"

    def keep(self, item: PositionSnapshot) -> bool:
        return item.quantity != 0

    def format(self, item: PositionSnapshot) -> Row:
        return Row(
            item,
            [
                self.symbol(item.symbol),
                number(item.quantity),
                number(item.average_price),
                number(item.last_price),
                number(item.unrealized_pnl),
                number(item.realized_pnl),
            ],
            {4: signed(item.unrealized_pnl), 5: signed(item.realized_pnl)},
        )


_ORDER_TONE = {
    OrderStatus.FILLED: Tone.GOOD,
    OrderStatus.REJECTED: Tone.BAD,
    OrderStatus.CANCELLED: Tone.MUTED,
    OrderStatus.PENDING_SUBMIT: Tone.WARN,
}


class OrdersTableModel(_Zoned):
    """Every order of the session, newest last, with its state and why it was refused."""

    COLUMNS = ("Time", "Symbol", "Side", "Quantity", "Filled", "Avg fill", "Status", "Detail")
    NUMERIC = frozenset({3, 4, 5})

    def key(self, item: OrderSnapshot) -> str:
        return item.client_order_id

    def format(self, item: OrderSnapshot) -> Row:
        return Row(
            item,
            [
                self.time(item.updated_at),
                self.symbol(item.symbol),
                item.direction.value,
                number(item.quantity),
                number(item.filled_quantity),
                number(item.average_fill_price),
                item.status.value.replace("_", " "),
                item.reject_reason or "",
            ],
            {2: _DIRECTION_TONE[item.direction], 6: _ORDER_TONE.get(item.status)},
        )


_SIGNAL_TONE = {
    SignalStatus.PENDING: Tone.WARN,
    SignalStatus.EXECUTED: Tone.GOOD,
    SignalStatus.REJECTED: Tone.BAD,
    SignalStatus.EXPIRED: Tone.MUTED,
    SignalStatus.DISMISSED: Tone.MUTED,
}


class SignalsTableModel(_Zoned):
    """Every signal of the session with what became of it."""

    COLUMNS = ("Time", "Symbol", "Side", "Quantity", "Price", "Reason", "Status", "Detail")
    NUMERIC = frozenset({3, 4})

    def key(self, item: SignalSnapshot) -> str:
        return item.signal_id

    def format(self, item: SignalSnapshot) -> Row:
        return Row(
            item,
            [
                self.time(item.created_at),
                self.symbol(item.symbol),
                item.direction.value,
                number(item.quantity),
                number(item.price),
                item.reason.value.replace("_", " ").lower(),
                item.status.value,
                item.status_detail,
            ],
            {2: _DIRECTION_TONE[item.direction], 6: _SIGNAL_TONE[item.status]},
        )
