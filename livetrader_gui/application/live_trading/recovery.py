"""Putting records right with a broker: a shared account reconciled, a broken history repaired.

``reconcile_shared`` reconciles a broker account that several live sessions trade: every open
order any session placed there is resolved with the broker (those of stopped sessions too),
then every stored fill of the account is compared with what the broker holds, both ways.

``HistoryRepair`` is the way out for a session whose fills cannot be replayed after a restart
(a sale of more than was bought): each fill that cannot apply is left out of every replay from
then on, kept with the reason; a live session's positions are then set to what its broker holds
for it, by adjustment fills. Positions keep deriving from fills, and the journal says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.orders import OrderExecutor
from livetrader_gui.application.live_trading.reconcile import StoredExpectation
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.ports import Clock, IAuditJournal, IBrokerGateway, IOrderRepository
from livetrader_gui.domain import (
    AuditEntry,
    DomainError,
    Fill,
    LiveTradingSession,
    Order,
    OrderRequest,
    OrderType,
    TradeDirection,
)
from livetrader_gui.domain.values import plain


async def reconcile_shared(
    broker_id: str,
    runners: Sequence[LiveTradingRunner],
    services: RunnerServices,
    timer: Clock,
    limits: RunnerLimits,
) -> list[str]:
    """Reconcile the account of *broker_id*, which the live sessions of *runners* trade."""
    if not runners:
        return []

    async def resolve_open_orders() -> None:
        tracked: set[str] = set()
        for runner in runners:
            await runner.sync_orders()
            tracked.update(runner.book.open_orders)
        gateway = runners[0].broker
        for order in await services.orders.list_open(broker_id=broker_id):
            if order.client_order_id in tracked:
                continue
            # An order no running session tracks (its session stopped, or the app died before
            # recording the answer): ask the broker what became of it.
            executor = OrderExecutor(
                order.session_id or "",
                gateway,
                services.orders,
                services.journal,
                services.observer,
                gateway.clock,
                limits.broker_timeout,
                timer=timer,
                venue=broker_id,
            )
            await executor.resolve(order)

    await resolve_open_orders()
    return await runners[0].compare_account(
        StoredExpectation(services.orders, broker_id), resolve_open_orders
    )


class HistoryRepair:
    """Repairs the recorded history of one session in ERROR."""

    def __init__(
        self,
        session: LiveTradingSession,
        orders: IOrderRepository,
        journal: IAuditJournal,
        clock: Clock,
    ) -> None:
        self._session = session
        self._orders = orders
        self._journal = journal
        self._clock = clock

    async def leave_out_what_cannot_replay(self) -> tuple[SessionBook, int]:
        """Replay the fills, leaving out each that cannot apply; return the book and how many
        were left out."""
        book, left_out = SessionBook(), 0
        for fill in await self._orders.list_session_fills(self._session.id):
            try:
                book.apply_fill(fill)
            except DomainError as error:
                reason = f"left out when the session was recovered: {error}"
                await self._orders.exclude_fill(fill.client_order_id, fill.fill_id, reason)
                await self.note("fill_excluded", f"fill {fill.fill_id}: {reason}")
                left_out += 1
        return book, left_out

    async def adopt_broker_positions(self, gateway: IBrokerGateway, book: SessionBook) -> int:
        """Set the session's positions to what *gateway* holds for it (beyond what the other
        sessions on it have recorded); return how many positions were adjusted."""
        held = {p.symbol: p for p in await gateway.get_positions()}
        recorded = await self._orders.net_positions(gateway.broker_id)
        adjusted = 0
        for symbol in self._session.symbols:
            ours = book.held(symbol)
            others = recorded.get(symbol, Decimal(0)) - ours
            at_broker = held[symbol].quantity if symbol in held else Decimal(0)
            change = max(at_broker - others, Decimal(0)) - ours
            if change == 0:
                continue
            # Adopted shares at the broker's cost; shares given up at the position's own, so
            # that no profit or loss is made up.
            price = (
                held[symbol].average_price if change > 0 else book.positions[symbol].average_price
            )
            await self._adjust(gateway.broker_id, symbol, change, price)
            adjusted += 1
        return adjusted

    async def _adjust(self, broker_id: str, symbol: str, change: Decimal, price: Decimal) -> None:
        await record_adjustment(
            self._orders,
            self._journal,
            self._clock.now(),
            Adjustment(self._session.id, broker_id, symbol, change, price),
            "to match the broker (adjustment on recovery, no order was sent)",
        )

    async def note(self, kind: str, message: str) -> None:
        """Journal what the repair did."""
        await self._journal.append(AuditEntry(kind, message, self._clock.now(), self._session.id))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A change of what the records hold of *symbol* at *broker_id* (for *session_id*, or
    for the account itself when None), at *price*, that no order to the broker made."""

    session_id: str | None
    broker_id: str
    symbol: str
    change: Decimal
    price: Decimal


async def record_adjustment(
    orders: IOrderRepository,
    journal: IAuditJournal,
    now: datetime,
    adjustment: Adjustment,
    why: str,
) -> tuple[Order, Fill]:
    """Record *adjustment* as an order filled at once, so that positions still derive from
    fills, and journal it with *why*; no order goes to the broker."""
    change = adjustment.change
    direction = TradeDirection.BUY if change > 0 else TradeDirection.SELL
    client_order_id = f"ADJ-{uuid.uuid4().hex}"
    request = OrderRequest(
        client_order_id, adjustment.symbol, direction, OrderType.MARKET, abs(change)
    )
    order = Order(request, now, session_id=adjustment.session_id, broker_id=adjustment.broker_id)
    order.mark_submitted(f"ADJUSTMENT-{client_order_id[4:16]}", now)
    fill = Fill(
        f"{order.broker_order_id}-F1",
        client_order_id,
        adjustment.symbol,
        direction,
        abs(change),
        adjustment.price,
        now,
    )
    order.apply_fill(fill)
    await orders.record(order, [fill])
    await journal.append(
        AuditEntry(
            "position_adjusted",
            f"{adjustment.symbol}: {direction.value} {plain(abs(change))} at "
            f"{plain(adjustment.price)} {why}",
            now,
            adjustment.session_id,
        )
    )
    return order, fill
