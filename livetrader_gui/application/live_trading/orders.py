"""Order execution: persist first, then send; resolve doubt by asking the broker, never resending.

An order is saved as PENDING_SUBMIT with its client order id before the gateway is called. The
broker's answers then move it through the order state machine; the order and its new fills are
recorded in one transaction. When an answer is lost (a timeout or a dropped link) the order
stays PENDING_SUBMIT and is looked up by its client order id; only the broker's "never
received" (``get_order`` returns None) lets it be closed as not sent — it is never placed twice.

When an answer cannot be recorded (the database is locked, the disk is full), the answer is kept
here, unsaved, and the caller is told (``OrderUpdate.saved`` is False): the runner then halts
the session and has ``flush_unsaved`` retry until the record is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from livetrader_gui.application import crash_points
from livetrader_gui.application.ports import (
    BrokerError,
    BrokerOrderState,
    BrokerRateLimitError,
    Clock,
    FillConflict,
    IAuditJournal,
    IBrokerGateway,
    IOrderRepository,
    ISessionObserver,
    StorageError,
)
from livetrader_gui.application.read_models import OrderSnapshot
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import (
    AuditEntry,
    DomainError,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    TradeDirection,
)
from livetrader_gui.domain.values import plain

_log = logging.getLogger(__name__)
NOT_RECEIVED = "the broker never received the order; it was not sent again"
# How long after a lost answer the broker's "not found" is believed (real seconds): a request
# held up on the way can still reach the broker after the first lookup. Until then the order
# stays in doubt, and is asked about again.
NOT_RECEIVED_AFTER = 30.0


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What one exchange with the broker did to an order.

    ``order`` is the order as the broker's answer leaves it. ``saved`` is False when that
    answer could not be recorded (it is kept in memory and retried); ``problems`` name a
    broker answer that could not be applied (a fill id already stored for another order, a
    fill larger than the order): the order is then left as it was.
    """

    order: Order
    new_fills: tuple[Fill, ...]
    changed: bool
    saved: bool = True
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Unsaved:
    order: Order
    fills: tuple[Fill, ...]
    error: str


class OrderExecutor:
    """Sends, tracks and reconciles the orders of one session.

    *clock* stamps orders (the session's market time); *timer* measures the broker's answers,
    which take real time whatever speed a simulated market runs at. *venue* is the id of the
    books that hold the orders (a broker, or a paper account).
    """

    def __init__(
        self,
        session_id: str,
        gateway: IBrokerGateway,
        orders: IOrderRepository,
        journal: IAuditJournal,
        observer: ISessionObserver,
        clock: Clock,
        timeout: float,
        *,
        timer: Clock | None = None,
        venue: str | None = None,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        """*id_factory* makes client order ids (the gateway's own format when not given)."""
        # None: an order of the account itself, which no session placed (the restart review's).
        self._session_id = session_id or None
        self._gateway = gateway
        self._orders = orders
        self._journal = journal
        self._observer = observer
        self._clock = clock
        self._timer = timer or clock
        self._timeout = timeout
        self._venue = venue or gateway.broker_id
        self._id_factory = id_factory
        self._unsaved: dict[str, _Unsaved] = {}
        # When each order in doubt lost its answer (the timer's time).
        self._unanswered: dict[str, datetime] = {}

    def _new_id(self) -> str:
        # Asked of the gateway each time: its format is the venue's, whatever it is now.
        factory = self._id_factory or self._gateway.client_order_ids.new
        return factory()

    @property
    def venue(self) -> str:
        """Return the id of the books that hold this session's orders."""
        return self._venue

    @property
    def unsaved(self) -> tuple[str, ...]:
        """Return why each broker answer still waiting to be recorded could not be."""
        return tuple(
            f"order {u.order.client_order_id} ({u.order.status.value}): {u.error}"
            for u in self._unsaved.values()
        )

    async def submit(
        self, symbol: str, direction: TradeDirection, quantity: Decimal
    ) -> OrderUpdate:
        """Record a market order, then send it; return it with whatever filled at once.

        Raises ``StorageError`` when the order cannot be recorded: then nothing was sent.
        """
        request = OrderRequest(self._new_id(), symbol, direction, OrderType.MARKET, quantity)
        order = Order(
            request, self._clock.now(), session_id=self._session_id, broker_id=self._venue
        )
        await self._orders.save(order)  # the record exists before the broker hears of it
        await self._record(order)
        crash_points.reach(crash_points.PERSISTED)
        try:
            state = await within(self._timer, self._gateway.place_order(request), self._timeout)
        except BrokerRateLimitError as error:
            if error.sent:
                return await self._unknown(order, error)
            # Held back before it left (the venue asked for a pause): certainly not at the
            # broker, so it closes here and is never sent.
            closed = order.copy()
            closed.mark_rejected(f"not sent: {error}", self._clock.now())
            return await self._store(order, closed, ())
        except Exception as error:
            return await self._unknown(order, error)
        crash_points.reach(crash_points.SENT)
        return await self.apply(order, state)

    async def _unknown(self, order: Order, error: Exception) -> OrderUpdate:
        # Whatever went wrong, the order may have reached the broker: its outcome is unknown
        # until the broker says, by client order id. It is never sent again.
        _log.warning(
            "order %s: no answer (%s: %s); asking the broker",
            order.client_order_id,
            type(error).__name__,
            error,
        )
        self._unanswered.setdefault(order.client_order_id, self._timer.now())
        return await self.resolve(order)

    async def resolve(self, order: Order) -> OrderUpdate:
        """Ask the broker what became of *order* and apply it; unchanged if it cannot answer."""
        try:
            state = await within(
                self._timer,
                self._gateway.get_order(order.client_order_id, symbol=order.symbol),
                self._timeout,
            )
        except (BrokerError, TimeoutError) as error:
            _log.warning("order %s still unknown: %s", order.client_order_id, error)
            return OrderUpdate(order, (), False)
        cid = order.client_order_id
        if state is None:
            if order.status is not OrderStatus.PENDING_SUBMIT:
                return OrderUpdate(order, (), False)
            lost = self._unanswered.get(cid)
            if lost is not None and (self._timer.now() - lost).total_seconds() < NOT_RECEIVED_AFTER:
                return OrderUpdate(order, (), False)  # it may still be on its way
            # The broker says, by our client order id, that it never received the order (and
            # a request held up on the way would have arrived by now).
            self._unanswered.pop(cid, None)
            closed = order.copy()
            closed.mark_rejected(NOT_RECEIVED, self._clock.now())
            return await self._store(order, closed, ())
        self._unanswered.pop(cid, None)
        return await self.apply(order, state)

    async def cancel(self, order: Order) -> OrderUpdate:
        """Cancel what is left of *order*; its fills so far stay."""
        try:
            state = await within(
                self._timer,
                self._gateway.cancel_order(order.client_order_id, symbol=order.symbol),
                self._timeout,
            )
        except (BrokerError, TimeoutError) as error:
            _log.warning("cancel of %s failed: %s", order.client_order_id, error)
            return await self.resolve(order)
        except ValueError:
            return await self.resolve(order)  # the broker does not know it: find out why
        return await self.apply(order, state)

    async def apply(self, order: Order, state: BrokerOrderState) -> OrderUpdate:
        """Return *order* moved to what *state* reports, recorded with its new fills.

        *order* itself is not changed: the update carries the order as it now stands.
        """
        updated = order.copy()
        new_fills = tuple(f for f in state.fills if f.fill_id not in updated.fill_ids)
        try:
            if updated.status is OrderStatus.PENDING_SUBMIT and (
                state.status is not OrderStatus.REJECTED
            ):
                updated.mark_submitted(state.broker_order_id, state.updated_at)
            for fill in new_fills:
                updated.apply_fill(fill)
            if not updated.status.is_terminal and state.status is not updated.status:
                self._close(updated, state)
        except DomainError as error:
            # The broker's answer does not fit the order (a fill too large, another symbol).
            problem = f"order {order.client_order_id}: the broker's answer cannot apply: {error}"
            await self._problems(order, (problem,))
            return OrderUpdate(order, (), False, problems=(problem,))
        return await self._store(order, updated, new_fills)

    async def _store(self, before: Order, order: Order, new_fills: tuple[Fill, ...]) -> OrderUpdate:
        changed = (order.status, order.filled_quantity) != (before.status, before.filled_quantity)
        if not (changed or new_fills):
            return OrderUpdate(order, (), False)
        waiting = self._unsaved.get(order.client_order_id)
        if waiting is not None:
            # An earlier answer about this order is not recorded yet: record both together.
            new_fills = waiting.fills + new_fills
        if new_fills:
            crash_points.reach(crash_points.FILL_SEEN)
        try:
            conflicts = await self._orders.record(order, new_fills)
        except StorageError as error:
            # The broker has answered: keep its answer, and retry until it is recorded.
            self._unsaved[order.client_order_id] = _Unsaved(order, new_fills, str(error))
            _log.error(
                "order %s: the broker's answer is not saved: %s", order.client_order_id, error
            )
            self._observer.on_order_updated(OrderSnapshot.of(order))
            return OrderUpdate(order, new_fills, changed, saved=False)
        if conflicts:
            await self._problems(before, tuple(c.explanation for c in conflicts), conflicts)
            return OrderUpdate(before, (), False, problems=tuple(c.explanation for c in conflicts))
        self._unsaved.pop(order.client_order_id, None)
        await self._told(order, new_fills, changed)
        return OrderUpdate(order, new_fills, changed)

    async def flush_unsaved(self) -> bool:
        """Record the broker answers kept in memory, oldest first; True once none is left."""
        for client_order_id, waiting in list(self._unsaved.items()):
            try:
                conflicts = await self._orders.record(waiting.order, waiting.fills)
            except StorageError as error:
                self._unsaved[client_order_id] = _Unsaved(waiting.order, waiting.fills, str(error))
                return False
            self._unsaved.pop(client_order_id, None)
            if conflicts:
                await self._problems(
                    waiting.order, tuple(c.explanation for c in conflicts), conflicts
                )
                continue
            _log.info("order %s: the broker's answer is saved now", client_order_id)
            await self._told(waiting.order, waiting.fills, True)
        return True

    def _close(self, order: Order, state: BrokerOrderState) -> None:
        at = state.updated_at
        if state.status is OrderStatus.REJECTED:
            order.mark_rejected(state.reject_reason or "rejected by the broker", at)
        elif state.status is OrderStatus.CANCELLED:
            order.mark_cancelled(at)
        elif state.status is OrderStatus.EXPIRED:
            order.mark_expired(at)

    async def _told(self, order: Order, new_fills: tuple[Fill, ...], changed: bool) -> None:
        if changed:
            await self._record(order)
        for fill in new_fills:
            details = {
                "filled_at": fill.at.isoformat(),
                "symbol": fill.symbol,
                "side": fill.direction.value,
                "quantity": plain(fill.quantity),
                "price": plain(fill.price),
                "client_order_id": fill.client_order_id,
                "broker_order_id": order.broker_order_id,
                "fill_id": fill.fill_id,
                "fees": plain(fill.fees),
            }
            what = f"{fill.direction.value} {plain(fill.quantity)} {fill.symbol}"
            summary = f"{what} at {plain(fill.price)}"
            if fill.fee_quantity:
                details["fee_quantity"] = plain(fill.fee_quantity)
                summary += f" ({plain(fill.fee_quantity)} kept by the broker as its fee)"
            # Stamped when it is recorded: the journal's times never go backwards, whereas a
            # broker reports a fill at the moment it matched, which can be a little earlier.
            await self._journal.append(
                AuditEntry("fill", summary, self._clock.now(), self._session_id, details)
            )

    async def _problems(
        self, order: Order, problems: tuple[str, ...], conflicts: tuple[FillConflict, ...] = ()
    ) -> None:
        for problem in problems:
            _log.error("session %s: %s", self._session_id, problem)
        await self._journal.append(
            AuditEntry(
                "fill_conflict",
                "; ".join(problems),
                self._clock.now(),
                self._session_id,
                {
                    "client_order_id": order.client_order_id,
                    "broker_order_id": order.broker_order_id,
                    "fill_ids": tuple(c.fill.fill_id for c in conflicts),
                    "stored_for": tuple(c.stored.client_order_id for c in conflicts),
                },
            )
        )

    async def _record(self, order: Order) -> None:
        self._observer.on_order_updated(OrderSnapshot.of(order))
        detail = f" ({order.reject_reason})" if order.reject_reason else ""
        await self._journal.append(
            AuditEntry(
                "order",
                f"order {order.client_order_id}: {order.request.direction.value} "
                f"{plain(order.request.quantity)} {order.symbol} {order.status.value}{detail}",
                self._clock.now(),
                self._session_id,
                {
                    "symbol": order.symbol,
                    "side": order.request.direction.value,
                    "quantity": plain(order.request.quantity),
                    "status": order.status.value,
                    "client_order_id": order.client_order_id,
                    "broker_order_id": order.broker_order_id,
                    "filled_quantity": plain(order.filled_quantity),
                    "reason": order.reject_reason,
                },
            )
        )
