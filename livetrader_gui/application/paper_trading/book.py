"""``PaperBook``: cash and positions of a simulated account whose market orders fill at once.

Paper trading and the replay share it: both fill a market order in full at one price the caller
chooses (the quote's ask or bid, or a candle's close), charge the session's costs, and refuse what
a cash account would refuse (not enough cash, selling more than is held). Everything is ``Decimal``.

The book numbers its orders ``P-000001``, ``P-000002``… for as long as the account lives: after a
restart ``restore`` carries the numbering on from the orders recorded, so an order id, and the
id of its fill, is never given twice in one account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from livetrader_gui.application.ports import BrokerOrderState, BrokerPosition
from livetrader_gui.domain import (
    Fill,
    Instrument,
    InvalidValueError,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    TradeDirection,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import plain


class PaperBook:
    """The books of a simulated cash account; orders are final the moment they are placed."""

    def __init__(self, capital: Decimal, costs: TradingCosts, prefix: str = "P") -> None:
        if not capital > 0:
            raise ValueError(f"paper capital must be above 0, got {plain(capital)}")
        self.capital = capital
        self.cash = capital
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, BrokerOrderState] = {}
        self._costs = costs
        self._prefix = prefix
        self._sequence = 0

    @property
    def costs(self) -> TradingCosts:
        """Return the commission, tax and slippage the book charges."""
        return self._costs

    def restore(self, orders: Iterable[Order], fills: Sequence[Fill]) -> None:
        """Rebuild the account after a restart from the orders and fills recorded.

        *fills* are replayed in the order given, which must be the order they were recorded
        in (their times can go backwards: a simulated clock may have restarted). Raises
        ``InvalidValueError`` (naming the fill) if they cannot be replayed, such as a sale of
        more than is held.
        """
        by_order: dict[str, list[Fill]] = {}
        for fill in fills:
            by_order.setdefault(fill.client_order_id, []).append(fill)
        for order in orders:
            if order.broker_order_id is None:
                continue  # never reached this account
            self._sequence = max(self._sequence, self._number(order.broker_order_id))
            self.orders[order.client_order_id] = BrokerOrderState(
                order.request,
                order.broker_order_id,
                order.status,
                order.filled_quantity,
                order.average_fill_price,
                tuple(by_order.get(order.client_order_id, ())),
                order.updated_at or order.created_at,
                order.reject_reason,
            )
        for fill in fills:
            try:
                self._book(fill)
            except InvalidValueError as error:
                raise InvalidValueError(
                    f"the paper account cannot replay fill {fill.fill_id} of order "
                    f"{fill.client_order_id}: {error}"
                ) from None

    def _number(self, broker_order_id: str) -> int:
        head, _, number = broker_order_id.rpartition("-")
        return int(number) if head == self._prefix and number.isdigit() else 0

    def next_order_id(self) -> str:
        """Return the next order id of this account (never one given before)."""
        self._sequence += 1
        return f"{self._prefix}-{self._sequence:06d}"

    def reject(self, request: OrderRequest, now: datetime, reason: str) -> BrokerOrderState:
        """Refuse *request* for *reason* and keep the refusal as the order's state."""
        known = self.orders.get(request.client_order_id)
        if known is not None:
            return known
        state = BrokerOrderState(
            request, self.next_order_id(), OrderStatus.REJECTED, Decimal(0), None, (), now, reason
        )
        self.orders[request.client_order_id] = state
        return state

    def execute(
        self,
        request: OrderRequest,
        price: Decimal | None,
        instrument: Instrument,
        now: datetime,
    ) -> BrokerOrderState:
        """Fill *request* in full at *price*, or refuse it; a known client order id is
        answered with the order as it stands, never executed twice."""
        known = self.orders.get(request.client_order_id)
        if known is not None:
            return known
        refusal, fees = self._refusal(request, price, instrument)
        if refusal is not None or price is None:
            return self.reject(request, now, refusal or f"no {request.symbol} price to fill at")
        broker_order_id = self.next_order_id()
        commission = self._costs.buy_costs(request.quantity * price, instrument.currency)
        fill = Fill(
            f"{broker_order_id}-F1",
            request.client_order_id,
            request.symbol,
            request.direction,
            request.quantity,
            price,
            now,
            commission=commission,
            tax=fees - commission,
        )
        self._book(fill)
        state = BrokerOrderState(
            request, broker_order_id, OrderStatus.FILLED, request.quantity, price, (fill,), now
        )
        self.orders[request.client_order_id] = state
        return state

    def _refusal(
        self, request: OrderRequest, price: Decimal | None, instrument: Instrument
    ) -> tuple[str | None, Decimal]:
        """Return why a cash account refuses *request* (None: it does not) and its fees."""
        if request.order_type is not OrderType.MARKET:
            kind = request.order_type.value
            return f"simulated fills take market orders only, not {kind}", Decimal(0)
        if price is None:
            return f"no {request.symbol} price to fill at", Decimal(0)
        value = request.quantity * price
        if request.direction is TradeDirection.BUY:
            fees = self._costs.buy_costs(value, instrument.currency)
            needed = value + fees
            if needed > self.cash:
                return f"insufficient cash: {plain(needed)} needed, {plain(self.cash)} available", (
                    fees
                )
            return None, fees
        fees = self._costs.sell_costs(value, instrument.currency)
        held = self.held(request.symbol)
        if request.quantity > held:
            wanted = plain(request.quantity)
            return f"cannot sell {wanted} {request.symbol}: {plain(held)} held", fees
        return None, fees

    def _book(self, fill: Fill) -> None:
        self.positions.setdefault(fill.symbol, Position(fill.symbol)).apply_fill(fill)
        if fill.direction is TradeDirection.BUY:
            self.cash -= fill.gross_value + fill.fees
        else:
            self.cash += fill.gross_value - fill.fees

    def held(self, symbol: str) -> Decimal:
        """Return the quantity of *symbol* held."""
        position = self.positions.get(symbol)
        return position.quantity if position is not None else Decimal(0)

    def broker_positions(self) -> list[BrokerPosition]:
        """Return the open positions as a broker reports them."""
        return [
            BrokerPosition(p.symbol, p.quantity, p.average_price)
            for p in self.positions.values()
            if not p.is_flat
        ]

    def equity(self, marks: dict[str, Decimal]) -> Decimal:
        """Return cash plus holdings at *marks* (a symbol without a mark at its entry price)."""
        holdings = sum(
            (p.quantity * marks.get(p.symbol, p.average_price) for p in self.positions.values()),
            Decimal(0),
        )
        return self.cash + holdings
