"""A session's book: positions built from fills, orders in flight, and the P&L they add up to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from livetrader_gui.domain import Fill, InvalidValueError, Order, Position, TradeDirection


class SessionBook:
    """Positions and open orders of one session; the runner's single source for counts and P&L.

    Positions derive from fills only. ``reserved`` counts entries decided but not yet recorded
    as orders, so that symbols processed concurrently cannot together exceed max positions.
    """

    def __init__(self) -> None:
        self.positions: dict[str, Position] = {}
        self.open_orders: dict[str, Order] = {}
        self.realized_pnl = Decimal(0)
        self.reserved = 0
        # The symbols held, kept as fills come: counting them must not walk every position on
        # each decision (a pushed quote decides on its own, hundreds of times a second).
        self._held: set[str] = set()
        # symbol -> its orders that can still fill, for the same reason.
        self._ordering: dict[str, int] = {}

    @classmethod
    def rebuild(cls, orders: Iterable[Order], fills: Iterable[Fill]) -> SessionBook:
        """Return the book that *orders* and their *fills* leave behind.

        The fills are replayed in the order given, which must be the order they were recorded
        in: their times can go backwards (a simulated clock that restarted), their sequence
        cannot. Raises ``InvalidValueError`` naming the fill that cannot apply.
        """
        book = cls()
        for fill in fills:
            try:
                book.apply_fill(fill)
            except InvalidValueError as error:
                raise InvalidValueError(
                    f"fill {fill.fill_id} of order {fill.client_order_id} ({fill.direction.value} "
                    f"{fill.quantity} {fill.symbol} at {fill.at.isoformat()}): {error}"
                ) from None
        for order in orders:
            book.track(order)
        return book

    def apply_fill(self, fill: Fill) -> Position:
        """Apply *fill* to its position and return the position."""
        position = self.positions.setdefault(fill.symbol, Position(fill.symbol))
        self.realized_pnl += position.apply_fill(fill)
        if position.is_flat:
            self._held.discard(fill.symbol)
        else:
            self._held.add(fill.symbol)
        return position

    def track(self, order: Order) -> None:
        """Keep *order* while it can still fill; forget it once it cannot."""
        key, symbol = order.client_order_id, order.symbol
        known = key in self.open_orders
        if order.status.is_terminal:
            if known:
                del self.open_orders[key]
                left = self._ordering[symbol] - 1
                if left:
                    self._ordering[symbol] = left
                else:
                    del self._ordering[symbol]
        else:
            self.open_orders[key] = order
            if not known:
                self._ordering[symbol] = self._ordering.get(symbol, 0) + 1

    def held(self, symbol: str) -> Decimal:
        """Return the quantity held of *symbol*."""
        position = self.positions.get(symbol)
        return Decimal(0) if position is None else position.quantity

    def has_open_order(self, symbol: str) -> bool:
        """Tell whether an order for *symbol* can still fill."""
        return symbol in self._ordering

    @property
    def open_positions(self) -> int:
        """Return positions held plus entries in flight (orders and reservations)."""
        held = self._held
        entering = {
            o.symbol
            for o in self.open_orders.values()
            if o.request.direction is TradeDirection.BUY and o.symbol not in held
        }
        return len(held) + len(entering) + self.reserved

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the unrealized P&L of every open position at its last mark."""
        positions = self.positions
        return sum((positions[s].unrealized_pnl for s in self._held), Decimal(0))

    def view(self) -> TickView:
        """Return the book as a tick begins, for the tick's decisions to see."""
        positions = self.positions
        return TickView(
            self.open_positions,
            self.realized_pnl,
            {
                s: (p.quantity, p.average_price, p.last_price)
                for s in self._held
                for p in (positions[s],)
            },
        )

    @property
    def market_value(self) -> Decimal:
        """Return the value of every open position at its last mark."""
        return sum((p.market_value for p in self.positions.values()), Decimal(0))


@dataclass(slots=True)
class TickView:
    """What one tick's decisions see of the book: the book as the tick began, the marks of the
    symbols decided so far, and the entries approved since.

    Orders carried out during the tick change the book as their answers come in; the decisions
    of the tick do not see those changes, so a tick decides the same way whatever order the
    broker's answers arrive in (and the backtester can decide the same way).
    """

    positions_at_start: int
    realized: Decimal
    # symbol -> (quantity, average price, last mark), for the positions held at the start.
    holdings: dict[str, tuple[Decimal, Decimal, Decimal | None]]
    entries: int = 0
    marks: dict[str, Decimal] = field(default_factory=dict)

    @property
    def open_positions(self) -> int:
        """Return the slots taken: positions and entries in flight at the start, and the
        entries approved since."""
        return self.positions_at_start + self.entries

    @property
    def unrealized(self) -> Decimal:
        """Return the unrealized P&L of the positions held at the start, at the latest marks."""
        total = Decimal(0)
        for symbol, (quantity, average, last) in self.holdings.items():
            mark = self.marks.get(symbol, last)
            if mark is not None:
                total += quantity * (mark - average)
        return total
