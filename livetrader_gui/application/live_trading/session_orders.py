"""``SessionOrders``: the one way an order leaves a session, and what becomes of it.

Every order a session sends passes ``send``: the session's status and trading state are checked
(a paused or halted session sends nothing, a reducing one exits only; the kill switch's
flattening always may), the order is recorded, then sent. The broker's answers keep the book
(positions and open orders) true even while they cannot be recorded: an unsaved answer is
handed to *halt*, a broker answer that contradicts the records to *pause*. ``reconcile``
compares the broker's account with the records both ways.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.exceptions import OrderNotPermittedError
from livetrader_gui.application.live_trading.orders import OrderExecutor, OrderUpdate
from livetrader_gui.application.live_trading.reconcile import (
    AccountExpectation,
    BookExpectation,
    compare_open_orders,
    compare_positions,
)
from livetrader_gui.application.ports import Clock, IBrokerGateway, ISessionObserver
from livetrader_gui.application.read_models import LogLevel, PositionSnapshot
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import Fill, LiveTradingSession, TradeDirection
from livetrader_gui.domain.risk_rules import check_order_permitted

Journal = Callable[..., Awaitable[None]]
# How many times a comparison is taken again while a differing symbol's order is still filling.
SETTLE_TRIES = 3
Log = Callable[[LogLevel, str], None]
React = Callable[[str], Awaitable[None]]


class SessionOrders:
    """Sends, tracks and reconciles the orders of one session (its runner owns it)."""

    def __init__(
        self,
        session: LiveTradingSession,
        broker: IBrokerGateway,
        book: SessionBook,
        executor: OrderExecutor,
        observer: ISessionObserver,
        timer: Clock,
        limits: RunnerLimits,
        *,
        journal: Journal,
        log: Log,
        halt: React,
        pause: React,
        filled: Callable[[], None] | None = None,
    ) -> None:
        self._session = session
        self._broker = broker
        self._book = book
        self._executor = executor
        self._observer = observer
        self._timer = timer
        self._limits = limits
        self._journal = journal
        self._log = log
        self._halt = halt
        self._pause = pause
        self._on_fill = filled
        # One exchange with the broker about the open orders at a time: two resolving the same
        # order at once would apply its fills twice.
        self._resolving = asyncio.Lock()

    def permit(self, direction: TradeDirection, *, flattening: bool = False) -> None:
        """Raise ``OrderNotPermittedError`` unless the session may send such an order now."""
        session = self._session
        decision = check_order_permitted(
            session.status, session.trading_state, direction, flattening=flattening
        )
        if not decision.approved:
            raise OrderNotPermittedError(
                f"session {session.id} sends no {direction.value.lower()} order now: "
                f"{decision.summary}"
            )

    async def send(
        self,
        symbol: str,
        direction: TradeDirection,
        quantity: Decimal,
        *,
        flattening: bool = False,
    ) -> OrderUpdate:
        """Send one order and track it. Raises ``OrderNotPermittedError`` (nothing sent) and
        ``StorageError`` (the order could not be recorded, so it was not sent)."""
        self.permit(direction, flattening=flattening)
        update = await self._executor.submit(symbol, direction, quantity)
        await self.absorb(update)
        return update

    async def sync(self) -> None:
        """Ask the broker about every open order and apply what it says."""
        async with self._resolving:
            for client_order_id in list(self._book.open_orders):
                order = self._book.open_orders.get(client_order_id)
                if order is not None:
                    await self.absorb(await self._executor.resolve(order))

    async def absorb(self, update: OrderUpdate) -> None:
        """Apply what one exchange with the broker did to the book."""
        # The book follows the broker's answer even when it is not saved yet: the session must
        # know what it holds and what is in flight, or it would buy the same thing again.
        self._book.track(update.order)
        for fill in update.new_fills:
            self._filled(fill)
        if not update.saved:
            reason = (
                f"the broker's answer to order {update.order.client_order_id} could not be "
                f"saved ({'; '.join(self._executor.unsaved)}); no order goes out until it is"
            )
            self._log(LogLevel.ERROR, reason)
            await self._halt(reason)
        if update.problems:
            problem = "; ".join(update.problems)
            self._log(LogLevel.ERROR, problem)
            await self._pause(f"a broker answer does not fit the records: {problem}")

    def _filled(self, fill: Fill) -> None:
        position = self._book.apply_fill(fill)
        if self._on_fill is not None:
            self._on_fill()
        self._observer.on_position_changed(PositionSnapshot.of(self._session.id, position))

    async def cancel_all(self) -> list[OrderUpdate]:
        """Cancel every open order (kill switch); what filled before stays filled."""
        updates = []
        async with self._resolving:
            for order in list(self._book.open_orders.values()):
                update = await self._executor.cancel(order)
                await self.absorb(update)
                updates.append(update)
        return updates

    async def flatten(self) -> list[OrderUpdate]:
        """Sell every open position at market, whatever the trading state (kill switch)."""
        updates = []
        for symbol, position in list(self._book.positions.items()):
            if not position.is_flat:
                updates.append(
                    await self.send(symbol, TradeDirection.SELL, position.quantity, flattening=True)
                )
        return updates

    async def reconcile(self) -> list[str]:
        """Resolve every open order, then compare the account with this session's book."""
        await self.sync()
        return await self.compare_account(BookExpectation(self._book), self.sync)

    async def compare_account(
        self,
        expected: AccountExpectation,
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> list[str]:
        """Return (and journal) how the broker's account differs from *expected*.

        An order that is still filling can fill, or finish, between resolving the open orders
        and reading the account, which would show as a difference that is none. So while
        anything differs and an order is open (here or at the broker), *settle* (which resolves
        the open orders again) runs and the account is read again, up to ``SETTLE_TRIES`` times.
        """
        broker = self._broker.display_name
        for tries_left in range(SETTLE_TRIES - 1, -1, -1):
            held, open_orders = await within(
                self._timer,
                asyncio.gather(self._broker.get_positions(), self._broker.get_open_orders()),
                self._limits.broker_timeout,
            )
            expected_open = await expected.open_orders()
            differences = compare_positions(broker, await expected.positions(), held)
            differences += compare_open_orders(broker, expected_open, open_orders)
            in_flight = bool(open_orders or expected_open)
            if not differences or settle is None or not tries_left or not in_flight:
                break
            await settle()
        if differences:
            await self._journal("reconcile", "; ".join(differences), differences=tuple(differences))
        return differences
