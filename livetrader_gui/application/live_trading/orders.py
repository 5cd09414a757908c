"""Order execution: persist first, then send; resolve doubt by asking the broker, never resending.

An order is saved as PENDING_SUBMIT with its client order id before the gateway is called. The
broker's answers then move it through the order state machine. When an answer is lost (a timeout
or a dropped link) the order stays PENDING_SUBMIT and is looked up by its client order id; only
the broker's "never received" (``get_order`` returns None) after the link is back lets it be
closed as not sent — it is never placed a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerError,
    BrokerOrderState,
    BrokerTimeoutError,
    Clock,
    IAuditJournal,
    IBrokerGateway,
    IOrderRepository,
    ISessionObserver,
)
from livetrader_gui.application.read_models import OrderSnapshot
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import (
    AuditEntry,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    TradeDirection,
    new_client_order_id,
)
from livetrader_gui.domain.values import plain

_log = logging.getLogger(__name__)
NOT_RECEIVED = "the broker never received the order; it was not sent again"


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What one exchange with the broker did to an order."""

    order: Order
    new_fills: tuple[Fill, ...]
    changed: bool


class OrderExecutor:
    """Sends, tracks and reconciles the orders of one session."""

    def __init__(
        self,
        session_id: str,
        gateway: IBrokerGateway,
        orders: IOrderRepository,
        journal: IAuditJournal,
        observer: ISessionObserver,
        clock: Clock,
        timeout: float,
        id_factory: Callable[[], str] = new_client_order_id,
    ) -> None:
        self._session_id = session_id
        self._gateway = gateway
        self._orders = orders
        self._journal = journal
        self._observer = observer
        self._clock = clock
        self._timeout = timeout
        self._new_id = id_factory

    async def submit(
        self, symbol: str, direction: TradeDirection, quantity: Decimal
    ) -> OrderUpdate:
        """Record a market order, then send it; return it with whatever filled at once."""
        request = OrderRequest(self._new_id(), symbol, direction, OrderType.MARKET, quantity)
        order = Order(request, self._clock.now(), session_id=self._session_id)
        await self._orders.save(order)  # the record exists before the broker hears of it
        await self._record(order)
        try:
            state = await within(self._clock, self._gateway.place_order(request), self._timeout)
        except (BrokerTimeoutError, TimeoutError, BrokerConnectionError) as error:
            _log.warning(
                "order %s: answer lost (%s); asking the broker", order.client_order_id, error
            )
            return await self.resolve(order)
        return await self.apply(order, state)

    async def resolve(self, order: Order) -> OrderUpdate:
        """Ask the broker what became of *order* and apply it; unchanged if it cannot answer."""
        try:
            state = await within(
                self._clock, self._gateway.get_order(order.client_order_id), self._timeout
            )
        except (BrokerError, TimeoutError) as error:
            _log.warning("order %s still unknown: %s", order.client_order_id, error)
            return OrderUpdate(order, (), False)
        if state is None:
            if order.status is OrderStatus.PENDING_SUBMIT:
                order.mark_rejected(NOT_RECEIVED, self._clock.now())
                await self._orders.save(order)
                await self._record(order)
                return OrderUpdate(order, (), True)
            return OrderUpdate(order, (), False)
        return await self.apply(order, state)

    async def cancel(self, order: Order) -> OrderUpdate:
        """Cancel what is left of *order*; its fills so far stay."""
        try:
            state = await within(
                self._clock, self._gateway.cancel_order(order.client_order_id), self._timeout
            )
        except (BrokerError, TimeoutError) as error:
            _log.warning("cancel of %s failed: %s", order.client_order_id, error)
            return await self.resolve(order)
        except ValueError:
            return await self.resolve(order)  # the broker does not know it: find out why
        return await self.apply(order, state)

    async def apply(self, order: Order, state: BrokerOrderState) -> OrderUpdate:
        """Move *order* to what *state* reports, storing each new fill once."""
        before = (order.status, order.filled_quantity)
        if order.status is OrderStatus.PENDING_SUBMIT and (
            state.status is not OrderStatus.REJECTED
        ):
            order.mark_submitted(state.broker_order_id, state.updated_at)
        new_fills: list[Fill] = []
        for fill in state.fills:
            if fill.fill_id in order.fill_ids:
                continue
            if await self._orders.add_fill(fill) and order.apply_fill(fill):
                new_fills.append(fill)
        if not order.status.is_terminal and state.status is not order.status:
            self._close(order, state)
        changed = (order.status, order.filled_quantity) != before
        if changed:
            await self._orders.save(order)
            await self._record(order)
        for fill in new_fills:
            await self._journal.append(
                AuditEntry(
                    "fill",
                    f"{fill.direction.value} {plain(fill.quantity)} {fill.symbol} "
                    f"at {plain(fill.price)}",
                    fill.at,
                    self._session_id,
                    {
                        "symbol": fill.symbol,
                        "side": fill.direction.value,
                        "quantity": plain(fill.quantity),
                        "price": plain(fill.price),
                        "client_order_id": fill.client_order_id,
                        "fees": plain(fill.fees),
                    },
                )
            )
        return OrderUpdate(order, tuple(new_fills), changed)

    def _close(self, order: Order, state: BrokerOrderState) -> None:
        at = state.updated_at
        if state.status is OrderStatus.REJECTED:
            order.mark_rejected(state.reject_reason or "rejected by the broker", at)
        elif state.status is OrderStatus.CANCELLED:
            order.mark_cancelled(at)
        elif state.status is OrderStatus.EXPIRED:
            order.mark_expired(at)

    async def _record(self, order: Order) -> None:
        self._observer.on_order_updated(OrderSnapshot.of(order))
        detail = f" ({order.reject_reason})" if order.reject_reason else ""
        await self._journal.append(
            AuditEntry(
                "order",
                f"order {order.client_order_id}: {order.request.direction.value} "
                f"{plain(order.request.quantity)} {order.symbol} {order.status.value}{detail}",
                order.updated_at or order.created_at,
                self._session_id,
                {
                    "symbol": order.symbol,
                    "side": order.request.direction.value,
                    "quantity": plain(order.request.quantity),
                    "status": order.status.value,
                    "client_order_id": order.client_order_id,
                    "filled_quantity": plain(order.filled_quantity),
                    "reason": order.reject_reason,
                },
            )
        )
