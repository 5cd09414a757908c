"""``SignalFlow``: what a session does once a rule has fired: signal, risk check, order.

A signal is saved and journalled first. The risk rules decide (entries: max positions, position
size, the daily loss limit, trading hours and state; exits: trading hours and state), and the
verdict with its reason codes is journalled. An approved signal is sent at once in AUTO mode;
in MANUAL mode it waits for the trader, whose Execute re-checks the risk on a fresh quote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.application.live_trading.book import SessionBook, TickView
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.daily_risk import DailyRisk
from livetrader_gui.application.live_trading.exceptions import (
    OrderNotPermittedError,
    SignalNotFoundError,
)
from livetrader_gui.application.live_trading.orders import OrderUpdate
from livetrader_gui.application.live_trading.session_orders import SessionOrders
from livetrader_gui.application.live_trading.signal_desk import SignalDesk
from livetrader_gui.application.ports import Clock, IBrokerGateway, ITradingCalendar, StorageError
from livetrader_gui.application.read_models import LogLevel
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import (
    Account,
    EntryProposal,
    ExecutionMode,
    LiveTradingSession,
    Quote,
    RiskDecision,
    SignalReason,
    TradeDirection,
    TradingSignal,
)
from livetrader_gui.domain.risk_rules import check_entry, check_exit
from livetrader_gui.domain.values import plain

Journal = Callable[..., Awaitable[None]]
Log = Callable[[LogLevel, str], None]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A signal a rule produced, the quote it was made on, and the risk rules' verdict."""

    signal: TradingSignal
    quote: Quote
    decision: RiskDecision


class SignalFlow:
    """Turns a session's fired rules into signals, risk decisions and orders.

    ``account`` is the broker's account as last read (the runner reads it each tick); the
    equity it gives is what entries are measured against.
    """

    def __init__(
        self,
        session: LiveTradingSession,
        broker: IBrokerGateway,
        calendar: ITradingCalendar,
        config: LiveSessionConfig,
        limits: RunnerLimits,
        clock: Clock,
        timer: Clock,
        book: SessionBook,
        desk: SignalDesk,
        daily: DailyRisk,
        orders: SessionOrders,
        *,
        journal: Journal,
        log: Log,
    ) -> None:
        self._session = session
        self._broker = broker
        self._calendar = calendar
        self._config = config
        self._limits = limits
        self._clock = clock
        self._timer = timer
        self._book = book
        self._desk = desk
        self._daily = daily
        self._orders = orders
        self._journal = journal
        self._log = log
        self.account: Account | None = None

    def propose(
        self,
        symbol: str,
        direction: TradeDirection,
        quantity: Decimal,
        quote: Quote,
        reason: SignalReason,
        view: TickView | None,
    ) -> Proposal:
        """Return a new signal with the risk rules' verdict on it, at once (nothing awaited).

        The risk check sees the tick's *view* of the book (see ``TickView``), or the book as
        it stands (None: a decision on a pushed fact, or an exit). An approved entry
        takes its position slot there and in the book, so that the entries a tick decides in
        turn see the slots the ones before them took, whatever order their I/O finishes in.
        """
        now = self._clock.now()
        manual = self._session.execution_mode is ExecutionMode.MANUAL
        signal = TradingSignal(
            session_id=self._session.id,
            symbol=symbol,
            direction=direction,
            price=quote.last,
            quantity=quantity,
            reason=reason,
            created_at=now,
            expires_at=now + timedelta(seconds=self._config.signal_ttl) if manual else None,
        )
        return Proposal(signal, quote, self._check(signal, quote, view))

    async def carry_out(self, proposal: Proposal, *, pushed: bool = False) -> None:
        """Save and journal the signal and its verdict, then send it (AUTO) or queue it for the
        trader (MANUAL); a refused signal is closed with the reasons.

        *pushed*: the signal was decided on a fact the hub is handing to every session in turn.
        It is saved and told at once; the rest waits until the fact has reached them all, so
        that one session's order path does not hold back the others' decisions on the fact.
        """
        signal, quote, decision = proposal.signal, proposal.quote, proposal.decision
        reserved = signal.direction is TradeDirection.BUY and decision.approved
        try:
            await self._desk.publish(signal)
            if pushed:
                await asyncio.sleep(0)
            await self._journal(
                "signal",
                f"{signal.reason.value} signal: {signal.direction.value} "
                f"{plain(signal.quantity)} {signal.symbol} at {plain(quote.last)}",
                symbol=signal.symbol,
                direction=signal.direction.value,
                price=plain(quote.last),
                quantity=plain(signal.quantity),
                reason=signal.reason.value,
                signal_id=signal.id,
            )
            await self._record(signal, decision)
        except BaseException:
            if reserved:
                self._book.reserved -= 1  # nothing will be sent: free the slot
            raise
        if not decision.approved:
            await self._desk.close(signal, lambda s: s.reject(decision.summary))
        elif self._session.execution_mode is ExecutionMode.MANUAL:
            if reserved:
                self._book.reserved -= 1  # a pending signal holds no slot; execution re-checks
            self._desk.hold(signal)
        else:
            await self.execute(signal)

    def _check(
        self, signal: TradingSignal, quote: Quote, view: TickView | None = None
    ) -> RiskDecision:
        """Return the risk rules' verdict on *signal*, seen from a tick's *view* of the book
        (or from the book as it stands); an approved entry takes a slot."""
        if signal.direction is TradeDirection.BUY:
            decision = self._passes_risk_check(quote, signal.quantity, view)
            if decision.approved:
                self._book.reserved += 1
                if view is not None:
                    view.entries += 1
            return decision
        return check_exit(self._session.trading_state, self._calendar.is_open(self._clock.now()))

    async def _record(self, signal: TradingSignal, decision: RiskDecision) -> None:
        await self._journal(
            "risk_decision",
            f"{signal.symbol} {signal.direction.value}: {decision.summary}",
            symbol=signal.symbol,
            approved=decision.approved,
            reasons=decision.codes,
            signal_id=signal.id,
        )

    def _passes_risk_check(
        self, quote: Quote, quantity: Decimal, view: TickView | None
    ) -> RiskDecision:
        """Return the verdict of the risk rules on buying *quantity* at *quote*."""
        account = self.account
        equity = account.equity if account is not None else Decimal(0)
        if view is None:
            slots, daily_pnl = self._book.open_positions, self._daily.daily_pnl()
        else:
            slots, daily_pnl = (
                view.open_positions,
                self._daily.pnl_of(view.realized, view.unrealized),
            )
        return check_entry(
            self._session.risk_controls,
            EntryProposal(
                open_positions=slots,
                quantity=quantity,
                price=quote.ask,
                equity=equity,
                daily_pnl=daily_pnl,
                start_of_day_equity=self._daily.start_of_day_equity,
                within_trading_hours=self._calendar.is_open(self._clock.now()),
                trading_state=self._session.trading_state,
            ),
        )

    async def execute(self, signal: TradingSignal) -> OrderUpdate | None:
        """Send the order of an approved signal; an entry's reserved slot is freed once the
        order is tracked in the book (as an open order or a position).

        Returns None, the signal refused, when the session may not send it now or when the
        order could not be recorded (then it is not sent).
        """
        try:
            update = await self._orders.send(signal.symbol, signal.direction, signal.quantity)
        except (OrderNotPermittedError, StorageError) as error:
            refusal = (
                str(error) if isinstance(error, OrderNotPermittedError) else f"not sent: {error}"
            )
            await self._desk.close(signal, lambda s: s.reject(refusal))
            level = (
                LogLevel.WARNING if isinstance(error, OrderNotPermittedError) else LogLevel.ERROR
            )
            self._log(level, f"{signal.direction.value.lower()} {signal.symbol}: {refusal}")
            return None
        finally:
            if signal.direction is TradeDirection.BUY:
                self._book.reserved -= 1
        # A rejected order is in the journal, and so in the Activity log, as an error.
        await self._desk.close(signal, lambda s: s.mark_executed(update.order.client_order_id))
        return update

    async def execute_pending(self, signal_id: str) -> OrderUpdate | None:
        """Execute a pending MANUAL signal after a risk re-check on a fresh quote.

        Returns the order, or None when the re-check refused it (the signal is then REJECTED
        and the reasons are in the journal and the log). Raises ``OrderNotPermittedError``,
        the signal still pending, while the session may not send it (paused, halted, exits
        only for an entry).
        """
        self._orders.permit(self._desk.get(signal_id).direction)
        signal = self._desk.claim(signal_id)
        await self._trader_did("Execute", signal)
        try:
            now = self._clock.now()
            if signal.is_expired(now):
                await self._desk.close(signal, TradingSignal.expire)
                raise SignalNotFoundError(f"signal {signal_id} expired at {signal.expires_at}")
            quote = await within(
                self._timer,
                self._broker.get_latest_quote(signal.symbol),
                self._limits.broker_timeout,
            )
            if quote is None:
                raise SignalNotFoundError(f"no quote for {signal.symbol}: cannot re-check the risk")
            self.account = await within(
                self._timer, self._broker.get_account(), self._limits.broker_timeout
            )
            decision = self._check(signal, quote)
            try:
                await self._record(signal, decision)
            except BaseException:
                if signal.direction is TradeDirection.BUY and decision.approved:
                    self._book.reserved -= 1  # nothing will be sent: free the slot
                raise
        except BaseException:
            self._desk.unclaim(signal)  # nothing was sent: the trader may try again
            raise
        if not decision.approved:
            await self._desk.close(signal, lambda s: s.reject(decision.summary))
            return None
        try:
            return await self.execute(signal)
        finally:
            # Never back in the queue once an order may have been sent: a second execute
            # could send it twice. The order itself is tracked, and resolved with the broker.
            self._desk.forget(signal.id)

    async def dismiss(self, signal_id: str) -> None:
        """Let a pending MANUAL signal go."""
        signal = self._desk.get(signal_id)
        await self._desk.close(signal, TradingSignal.dismiss)
        await self._trader_did("Dismiss", signal)

    async def _trader_did(self, action: str, signal: TradingSignal) -> None:
        await self._journal(
            "trader_action",
            f"{action} by the trader: {signal.direction.value} {plain(signal.quantity)} "
            f"{signal.symbol} (signal {signal.id})",
            action=action.lower(),
            signal_id=signal.id,
            symbol=signal.symbol,
        )
