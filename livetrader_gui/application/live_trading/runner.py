"""``LiveTradingRunner``: one session's loop, tick by tick, inside its risk limits.

Each tick reads the clock and the account, rolls the daily loss budget over at a new trading day,
then processes the session's symbols concurrently (with a bound; one symbol's error never stops
the others): new closed candles feed the entry and exit rules incrementally, quotes mark the
positions and trigger stop-loss and take-profit. A rule that fires becomes a signal; the risk
check decides; AUTO mode sends the order at once, MANUAL mode waits for the trader. Waits end at
once on pause and stop.

Fed by a market-data hub (the app's way), the runner asks the broker for no market data once a
symbol has warmed up: a pushed quote marks its position and runs its stop-loss and take-profit
check at once, a closed candle runs its rules at once, and the tick keeps what runs on time
(the account, the daily roll-over, signal expiry, open orders, a symbol whose candles have a
gap to fill). Without a hub (replays, the backtester's parity), each tick asks for every quote.

Two clocks: the session's clock (the market's time, which a simulator may run fast) stamps
what happens and decides trading hours and expiries; the *timer* (real time) paces the ticks
and measures the broker's answers, which take real time whatever the market's speed.

Nothing is lost when storage fails. An order that cannot be recorded is not sent; a broker's
answer that cannot be recorded is kept in memory, the session is HALTED (no order goes out),
the record is retried every tick and, once written, the account is reconciled before trading
resumes by itself. Other records (the session's state, signals, the journal) wait and retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from livetrader_gui.application.eager import eager, gather_eagerly, settle
from livetrader_gui.application.journal import BufferedJournal, NarratedJournal
from livetrader_gui.application.live_trading.book import SessionBook, TickView
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.daily_risk import DailyRisk
from livetrader_gui.application.live_trading.health import TickHealth
from livetrader_gui.application.live_trading.link import BrokerLink
from livetrader_gui.application.live_trading.orders import OrderExecutor, OrderUpdate
from livetrader_gui.application.live_trading.reconcile import (
    AccountExpectation,
)
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.session_orders import SessionOrders
from livetrader_gui.application.live_trading.signal_desk import SignalDesk
from livetrader_gui.application.live_trading.signal_flow import Proposal, SignalFlow
from livetrader_gui.application.live_trading.symbols import RuleLanes, SymbolState
from livetrader_gui.application.market_data.hub import (
    LinkChange,
    Listening,
    MarketDataHub,
    Watching,
)
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerRateLimitError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    ITradingCalendar,
    StorageError,
)
from livetrader_gui.application.read_models import (
    BarSnapshot,
    LogEntry,
    LogLevel,
    PositionSnapshot,
    SessionSnapshot,
)
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import (
    Account,
    AuditEntry,
    Candle,
    Fill,
    LiveTradingSession,
    Order,
    Quote,
    RiskStatus,
    SessionStatus,
    SignalReason,
    TradeDirection,
    TradingSignal,
    TradingState,
)
from livetrader_gui.domain.risk_rules import next_trading_state, protective_exit
from livetrader_gui.domain.sizing import position_quantity
from livetrader_gui.domain.values import plain
from livetrader_gui.processing import ProcessingEngine

_log = logging.getLogger(__name__)
# How many one-minute candles a chart reads back from the broker: about two trading days.
CHART_HISTORY = 780
_T = TypeVar("_T")
STORAGE_HALT = "storage"
KILL_SWITCH = "kill switch"


class LiveTradingRunner:
    """Runs one session until ``stop``; ``pause`` and ``resume`` take effect within one tick.

    *timer* paces the ticks and times the broker out (real time; the session's clock by
    default). *venue* names the books the orders go to (the broker, or a paper account).
    *reconcile* compares the broker's account with what the app expects of it; by default
    with this session's book alone (an account only this session trades). *lanes*: the rule
    lanes shared with the other sessions of the same manager (``RuleLane``).
    """

    def __init__(
        self,
        session: LiveTradingSession,
        broker: IBrokerGateway,
        engine: ProcessingEngine,
        services: RunnerServices,
        calendar: ITradingCalendar,
        config: LiveSessionConfig,
        limits: RunnerLimits | None = None,
        clock: Clock | None = None,
        book: SessionBook | None = None,
        after_tick: Callable[[datetime], Awaitable[object]] | None = None,
        *,
        timer: Clock | None = None,
        venue: str | None = None,
        reconcile: Callable[[], Awaitable[list[str]]] | None = None,
        hub: MarketDataHub | None = None,
        account: Callable[[], Awaitable[Account]] | None = None,
        lanes: RuleLanes | None = None,
    ) -> None:
        self._session = session
        self._broker = broker
        self._hub = hub
        self._read_account = account  # None: the gateway's own, asked each tick
        self._listening: Listening | None = None
        self._watching: Watching | None = None
        # Symbols whose signal is being carried out: no second one until it is.
        self._busy: set[str] = set()
        # Symbols whose candle closed, decided once the hub has handed on the candles it had.
        self._later: list[SymbolState] = []
        self._reacting: set[asyncio.Future[None]] = set()
        journal = services.journal
        self._journal_sink = (
            journal
            if isinstance(journal, BufferedJournal)
            else BufferedJournal(NarratedJournal(journal, services.observer))
        )
        self._services = services
        self._calendar = calendar
        self._config = config
        self._limits = limits or RunnerLimits()
        self._clock = clock or broker.clock
        self._timer = timer or self._clock
        self._book = book or SessionBook()
        self._after_tick = after_tick
        # Until then (on the timer's clock) the broker has asked to be sent nothing.
        self._quiet_until: datetime | None = None
        self._executor = OrderExecutor(
            session.id,
            broker,
            services.orders,
            self._journal_sink,
            services.observer,
            self._clock,
            self._limits.broker_timeout,
            timer=self._timer,
            venue=venue,
        )
        entry = engine.compile(session.strategy.entry_rule)
        exit_ = engine.compile(session.strategy.exit_rule)
        self._symbols = {
            s: SymbolState(s, entry, exit_, lanes=lanes, broker_id=broker.broker_id)
            for s in session.symbols
        }
        self._desk = SignalDesk(session.id, services.signals, services.observer)
        self._daily = DailyRisk(
            session, self._book, services.budgets, calendar, self._move_trading_state
        )
        self._orders = SessionOrders(
            session,
            broker,
            self._book,
            self._executor,
            services.observer,
            self._timer,
            self._limits,
            journal=self._journal,
            log=self._log,
            halt=lambda reason: self.halt(reason, cause=STORAGE_HALT),
            pause=self.pause,
            filled=hub.account_changed if hub is not None else None,
        )
        self._flow = SignalFlow(
            session,
            broker,
            calendar,
            config,
            self._limits,
            self._clock,
            self._timer,
            self._book,
            self._desk,
            self._daily,
            self._orders,
            journal=self._journal,
            log=self._log,
        )
        self._limit = asyncio.Semaphore(self._limits.max_concurrent_symbols)
        self._wake = asyncio.Event()
        self._stopping = False
        self._reconcile_account = reconcile or self.reconcile
        self._health = TickHealth(session.id, self._log, self._limits.pause_after_failed_ticks)
        # Why trading is HALTED, when this runner halted it: a storage halt lifts by itself.
        self._halt_cause: str | None = None
        self._session_unsaved = False
        self._link = BrokerLink(
            session,
            broker,
            calendar,
            self._clock,
            self._limits,
            self.pause,
            self.resume,
            self._reconcile_account,
            self._log,
            timer=self._timer,
            hub=hub,
        )

    # ------------------------------------------------------------------ reading

    @property
    def session(self) -> LiveTradingSession:
        """Return the session this runner trades."""
        return self._session

    @property
    def broker(self) -> IBrokerGateway:
        """Return the gateway the session trades on (a paper one for paper sessions)."""
        return self._broker

    @property
    def venue(self) -> str:
        """Return the id of the books the session's orders go to."""
        return self._executor.venue

    @property
    def book(self) -> SessionBook:
        """Return the positions and open orders."""
        return self._book

    @property
    def clock(self) -> Clock:
        """Return the clock the session runs on (signal expiry is measured on it)."""
        return self._clock

    @property
    def unsaved(self) -> tuple[str, ...]:
        """Return the broker answers that wait to be recorded (HALTED until they are)."""
        return self._executor.unsaved

    @property
    def reacting(self) -> int:
        """Return how many pushed facts are being acted on now: signals carried out, and the
        closed candles' decisions waiting for the hub to finish handing them on (one)."""
        return len(self._reacting) + (1 if self._later else 0)

    @property
    def warming_up(self) -> int:
        """Return how many symbols still wait for their history from the broker (the warm-up,
        or minutes missed); pushed data cannot be used for them until it has come."""
        return sum(1 for state in self._symbols.values() if state.needs_fetch)

    def pending_signals(self) -> list[TradingSignal]:
        """Return the MANUAL signals waiting for the trader."""
        return self._desk.pending

    async def chart_history(self, symbol: str, limit: int = CHART_HISTORY) -> list[BarSnapshot]:
        """Return the last *limit* closed candles of *symbol* with the rules' indicators on
        them, read back from the broker: the chart of a session restored or selected late."""
        state = self._symbols[symbol]
        candles = await within(
            self._timer,
            self._broker.get_recent_candles(symbol, limit),
            self._limits.broker_timeout,
        )
        return [BarSnapshot(self._session.id, c, values) for c, values in state.chart(candles)]

    def indicator_values(self, symbol: str) -> dict[str, float]:
        """Return the rules' indicators of *symbol* on its last candle."""
        return self._symbols[symbol].indicator_values()

    # ------------------------------------------------------------------ life cycle

    async def run(self) -> None:
        """Trade until ``stop``: a tick, then a wait of the timer that pause and stop cut short;
        with a hub, the market's facts in between as they come."""
        hub = self._hub
        if hub is not None:
            self._listening = hub.listen(self._symbols, self._on_market)
            self._watching = hub.watch(self._on_link)
        try:
            while not self._stopping:
                if self._session.status is SessionStatus.PAUSED:
                    await self._settle_storage()
                else:
                    await self._tick()
                self._wake.clear()
                if not self._stopping:
                    await self._timer.wait(self._wake, self._config.tick_interval)
        finally:
            if self._listening is not None:
                self._listening.close()
            if self._watching is not None:
                self._watching.close()
            # An order in flight finishes (it may have been sent): never cut short.
            await asyncio.gather(*self._reacting, return_exceptions=True)
            await self._link.close()

    async def _tick(self) -> None:
        try:
            await self.run_once()
        except BrokerConnectionError as error:
            await self._link.lost(f"broker disconnected: {error}")
        except TimeoutError as error:
            await self._link.lost(f"the broker stopped answering: {error}")
        except Exception as error:  # a bad tick is reported; the next one runs
            self._health.error(
                f"tick failed ({type(error).__name__})", f"tick failed: {error}", error
            )
            await self._tick_failed(str(error))

    async def _tick_failed(self, reason: str) -> None:
        if self._health.tick_failed(reason) and self._session.status is SessionStatus.RUNNING:
            await self.pause(
                f"the session cannot keep up: {self._health.failed_ticks} ticks in a row "
                f"failed (last: {reason}); resume once the cause is fixed"
            )

    async def pause(self, reason: str) -> None:
        """Stop trading at once (orders in flight are still tracked)."""
        if self._session.status is SessionStatus.RUNNING:
            self._session.pause(reason, self._clock.now())
            await self._status_changed()
        self._wake.set()

    async def resume(self, reason: str | None = None) -> None:
        """Trade again from the next tick (*reason*: why, for the journal)."""
        self._link.paused_by_link = False
        self._health.failed_ticks = 0
        self._session.resume(self._clock.now())
        if reason is not None:
            self._session.status_reason = reason
        await self._status_changed()
        self._wake.set()

    async def start(self) -> None:
        """Move the new session to RUNNING (the manager then runs ``run`` as a task)."""
        self._session.start(self._clock.now())
        await self._status_changed()

    async def stop(self, reason: str = "stopped by the trader") -> None:
        """End ``run`` at its next wait and record the session as STOPPED."""
        self._stopping = True
        await self._desk.close_all(lambda s: s.dismiss("session stop"))
        if self._session.status is not SessionStatus.STOPPED:
            self._session.stop(reason, self._clock.now())
            await self._status_changed()
        self._wake.set()
        await self._link.close()

    def halt_loop(self) -> None:
        """End ``run`` at its next wait without changing the session (application shutdown)."""
        self._stopping = True
        self._wake.set()

    async def _status_changed(self) -> None:
        session = self._session
        self._services.observer.on_session_status_changed(SessionSnapshot.of(session))
        await self._save_session()
        await self._journal(
            "session",
            f"session {session.status.value.lower()} ({session.trading_state.value}): "
            f"{session.status_reason}",
            status=session.status.value,
            trading_state=session.trading_state.value,
            reason=session.status_reason,
        )

    async def _save_session(self) -> bool:
        try:
            await self._services.sessions.save(self._session)
        except StorageError as error:
            if not self._session_unsaved:
                self._log(LogLevel.ERROR, f"the session's state is not saved yet: {error}")
            self._session_unsaved = True
            return False
        self._session_unsaved = False
        return True

    # ------------------------------------------------------------------ storage faults

    async def _settle_storage(self) -> bool:
        """Write what waits to be written; after a storage halt, reconcile, then re-arm.

        Returns True once nothing waits.
        """
        saved = await self._executor.flush_unsaved()
        saved = await self._desk.flush() and saved
        if self._session_unsaved:
            saved = await self._save_session() and saved
        saved = await self._journal_sink.flush() and saved
        if not saved or self._halt_cause != STORAGE_HALT:
            return saved
        differences = await self._reconcile_account()
        self._halt_cause = None
        if differences:
            self._log(
                LogLevel.ERROR,
                "the broker's answers are saved, but the account differs: "
                + "; ".join(differences)
                + " — trading stays halted until you re-arm it",
            )
        else:
            await self.rearm("the broker's answers are saved and the account reconciles")
        return True

    async def rearm(self, reason: str = "re-armed by the trader") -> None:
        """Lift a halt: back to ACTIVE, or to exits only if the day's loss limit was reached."""
        self._halt_cause = None
        session = self._session
        if session.trading_state is not TradingState.HALTED:
            return
        now = self._clock.now()
        session.reactivate(now)
        reached = self._daily.budget is not None and self._daily.budget.limit_reached_at is not None
        if (
            next_trading_state(TradingState.ACTIVE, limit_reached=reached, new_trading_day=False)
            is TradingState.REDUCING
        ):
            session.reduce_only(now)
        session.status_reason = reason  # journalled, and so in the Activity log, as it changes
        await self._status_changed()
        self._wake.set()

    # ------------------------------------------------------------------ one tick

    async def run_once(self) -> None:
        """Process every symbol once (the body of the loop, public for replays and tests).

        The market data of every symbol is fetched at once (one slow symbol does not hold the
        fetches of the others). The symbols are then decided one after the other, in the
        session's order, each as soon as its data is in: its position is marked, its rules and
        its quote decide, and what it asks for is carried out (saved, journalled, sent) while the
        next is decided. Every decision sees the marks, slots and cash of the ones before it
        and nothing of the ones after, whatever order the broker's answers come in: a tick
        decides the same way every time, which is what lets the backtester reproduce it.

        While the broker has asked to slow down, a tick asks it nothing; the tick that meets a
        rate limit says so and waits the time the broker gave (never a retry in a loop).
        """
        if self._quiet_until is not None:
            if self._timer.now() < self._quiet_until:
                return
            self._quiet_until = None
            self._log(LogLevel.INFO, f"{self._broker.broker_id} takes requests again")
        try:
            await self._run_once()
        except BrokerRateLimitError as error:
            self._slow_down(error)

    def _slow_down(self, error: BrokerRateLimitError) -> None:
        self._quiet_until = self._timer.now() + timedelta(seconds=error.retry_after)
        self._log(
            LogLevel.WARNING,
            f"{self._broker.broker_id} asks to slow down ({error}): no request to it for "
            f"{error.retry_after:g} s",
        )

    async def _run_once(self) -> None:
        hub = self._hub
        if hub is not None and not hub.connected:
            raise BrokerConnectionError(f"market data from {self._broker.broker_id} stopped")
        if self._broker.connection_state is not ConnectionState.CONNECTED:
            raise BrokerConnectionError(f"{self._broker.broker_id} is not connected")
        await self._settle_storage()
        now = self._clock.now()
        read = self._read_account or self._broker.get_account
        account = await within(self._timer, read(), self._limits.broker_timeout)
        self._flow.account = account
        await self._daily.roll(now, account.equity)
        for signal in await self._desk.expire(now):
            await self._journal(
                "signal_expired",
                f"{signal.direction.value} {plain(signal.quantity)} {signal.symbol} expired "
                f"unanswered (signal {signal.id})",
                signal_id=signal.id,
                symbol=signal.symbol,
            )
        await self._orders.sync()
        in_session = self._calendar.is_open(now)
        view = self._book.view()
        states = list(self._symbols.values())
        if hub is not None:
            # The hub brings the rest: only a symbol to warm up or with a gap is asked for.
            states = [s for s in states if s.needs_fetch]
        fetching = [eager(self._guarded(self._observe(s, now), s)) for s in states]
        verdicts: list[bool] = []
        failures: list[str] = []
        carrying: list[asyncio.Future[str | None]] = []
        mine: list[str] = []  # the symbols this tick carries a decision out for
        try:
            for state, fetched in zip(states, fetching, strict=True):
                quote = await fetched
                if isinstance(quote, str):
                    failures.append(quote)
                    continue
                if quote is None:
                    continue
                if state.symbol in self._busy:
                    # A pushed fact decided while this tick fetched, and its order may be in
                    # flight (the book learns of it with the broker's answer): one decision
                    # at a time per symbol, or a position would be sold twice.
                    verdicts.append(True)
                    continue
                try:
                    fresh, proposal = self._decide(state, quote, now, in_session, view)
                except Exception as error:  # one symbol's failure must not stop the others
                    message = f"{state.symbol}: {error or type(error).__name__}"
                    self._health.error(f"{state.symbol} ({type(error).__name__})", message, error)
                    continue
                verdicts.append(fresh)
                if proposal is not None:
                    self._busy.add(state.symbol)
                    mine.append(state.symbol)
                    carrying.append(eager(self._guarded(self._flow.carry_out(proposal), state)))
        finally:
            settled = await settle([*fetching, *carrying])
            # Only its own: a symbol a pushed fact made busy stays so until its order is done.
            self._busy.difference_update(mine)
        lost = next((o for o in settled if isinstance(o, BrokerConnectionError)), None)
        if lost is not None:
            raise lost
        if failures and len(failures) == len(states):
            await self._tick_failed(failures[0])
            return
        if hub is None and in_session and verdicts and not any(verdicts):
            await self._link.lost("every quote is stale: the feed went silent")
            return
        await self._daily.check(now)
        self._health.tick_succeeded()
        if self._services.observer.listening:
            self._services.observer.on_risk_status_changed(self.get_risk_status())
        if self._after_tick is not None:
            await self._after_tick(now)

    # ------------------------------------------------------------------ pushed market data

    def _on_market(self, fact: Quote | Candle) -> None:
        """Take one pushed fact: a closed candle feeds its symbol's rules, and the symbol's
        latest quote then decides at once, as a pushed quote does by itself."""
        state = self._symbols.get(fact.symbol)
        if state is None or state.needs_fetch:
            return  # the tick warms it up or fills its gap first
        if isinstance(fact, Candle):
            now = self._clock.now()
            if state.gap_before(fact, self._calendar):
                state.behind = True  # the next tick asks for what was missed, in order
                self._wake.set()
                return
            observer = self._services.observer
            if observer.listening:
                for candle, indicators in state.ingest([fact], now):
                    observer.on_candle_closed(BarSnapshot(self._session.id, candle, indicators))
            else:
                state.take(fact, now)
            hub = self._hub
            quote = hub.latest(fact.symbol) if hub is not None else None
            if quote is None:
                return
            self._react(state, quote, now, closed=True)
            return
        self._react(state, fact, None)  # most quotes decide nothing: no time asked for them

    def _react(
        self, state: SymbolState, quote: Quote, now: datetime | None, *, closed: bool = False
    ) -> None:
        """Decide on *quote* now (*closed*: a candle just closed; *now*: the market's time, or
        None to read it if needed); carry out what is decided in the background."""
        if self._stopping or self._flow.account is None:
            return  # before the first tick read the account, nothing can be sized
        symbol = state.symbol
        quiet = self._quiet_until is not None and self._timer.now() < self._quiet_until
        waiting = self._book.has_open_order(symbol)
        if symbol in self._busy or quiet or (waiting and not closed):
            position = self._book.positions.get(symbol)
            if position is not None and not position.is_flat:
                position.mark(quote.last)
            return
        if not waiting and not state.entry_pending:
            position = self._book.positions.get(symbol)
            if position is None or position.is_flat:
                # Flat with no entry to decide: whatever else holds, nothing is proposed (the
                # usual case of a pushed fact, worth no more than this).
                state.consume_decision()
                return
            if (
                closed
                and not state.exit_pending
                and state.judged_quote is quote
                and state.judged_average == position.average_price
            ):
                # Held, the rules ask nothing, and its protective exits were already judged on
                # this very quote and position: the candle changes nothing.
                state.consume_decision()
                return
        self._busy.add(symbol)
        if waiting:
            # The rules decide on this candle once: first learn whether the order in flight
            # has filled (a polled broker tells only when asked), then decide.
            self._background(self._decide_after_sync(state))
            return
        if closed:
            # Every session feeds the minute's candles to its rules before any acts on them:
            # one session's entries must not hold back another's rules (or a pushed quote).
            if not self._later:
                asyncio.get_running_loop().call_soon(self._decide_later)
            self._later.append(state)
            return
        self._propose_and_carry_out(state, quote, now or self._clock.now())

    def _decide_later(self) -> None:
        """Decide on the symbols whose candle closed, once the hub has handed every session
        the candles it had; each on its latest quote."""
        states, self._later = self._later, []
        hub = self._hub
        for state in states:
            quote = hub.latest(state.symbol) if hub is not None else None
            if self._stopping or quote is None:
                self._busy.discard(state.symbol)
                continue
            self._propose_and_carry_out(state, quote, self._clock.now())

    def _propose_and_carry_out(self, state: SymbolState, quote: Quote, now: datetime) -> None:
        proposal = self._proposal(state, quote, now)
        if proposal is None:
            self._busy.discard(state.symbol)
            return
        self._background(self._carry_out(state, proposal))

    def _proposal(self, state: SymbolState, quote: Quote, now: datetime) -> Proposal | None:
        try:
            _, proposal = self._decide(
                state, quote, now, self._calendar.is_open(now), None, pushed=True
            )
        except Exception as error:  # one symbol's failure must not stop the others
            message = f"{state.symbol}: {error or type(error).__name__}"
            self._health.error(f"{state.symbol} ({type(error).__name__})", message, error)
            return None
        return proposal

    def _background(self, step: Coroutine[Any, Any, None]) -> None:
        done = eager(step)
        if not done.done():
            self._reacting.add(done)
            done.add_done_callback(self._reacting.discard)

    async def _decide_after_sync(self, state: SymbolState) -> None:
        async def sync_then_decide() -> None:
            await within(self._timer, self._orders.sync(), self._limits.broker_timeout)
            hub = self._hub
            quote = hub.latest(state.symbol) if hub is not None else None
            if quote is None:
                return
            proposal = self._proposal(state, quote, self._clock.now())
            if proposal is not None:
                await self._flow.carry_out(proposal)

        await self._carry_out(state, sync_then_decide())

    async def _carry_out(self, state: SymbolState, step: Proposal | Awaitable[None]) -> None:
        exit_ = isinstance(step, Proposal) and step.signal.direction is TradeDirection.SELL
        work = self._flow.carry_out(step, pushed=True) if isinstance(step, Proposal) else step
        try:
            # A position's exit never queues behind a burst of entries.
            outcome = await self._guarded(work, state, limited=not exit_)
            if isinstance(outcome, str):
                await self._tick_failed(outcome)
        except BrokerConnectionError as error:
            await self._link.lost(f"broker disconnected: {error}")
        except BrokerRateLimitError as error:
            self._slow_down(error)
        except TimeoutError as error:
            await self._link.lost(f"the broker stopped answering: {error}")
        finally:
            self._busy.discard(state.symbol)

    def _on_link(self, change: LinkChange) -> None:
        if change.connected:
            return  # the link's own recovery waits for the hub, reconciles, then resumes
        self._background(self._link.lost(change.reason))

    async def _guarded(
        self, step: Awaitable[_T], state: SymbolState, *, limited: bool = True
    ) -> _T | str:
        """Run one symbol's step; return what it returns, or what went wrong (one symbol's
        failure must not stop the others). *limited*: the step waits its turn among the
        symbols in flight (``max_concurrent_symbols``)."""
        if not limited:
            return await self._caught(step, state)
        async with self._limit:
            return await self._caught(step, state)

    async def _caught(self, step: Awaitable[_T], state: SymbolState) -> _T | str:
        try:
            return await step
        except (BrokerConnectionError, BrokerRateLimitError):
            raise
        except Exception as error:
            message = f"{state.symbol}: {error or type(error).__name__}"
            self._health.error(f"{state.symbol} ({type(error).__name__})", message, error)
            return message

    async def _observe(self, state: SymbolState, now: datetime) -> Quote | None:
        """Fetch a symbol's new candles (feeding its rules) and its quote."""
        timeout = self._limits.broker_timeout
        symbol = state.symbol
        if state.candles_due(now) or not state.has_instrument or state.behind:
            fetches: list[Coroutine[Any, Any, object]] = [
                self._broker.get_latest_quote(symbol),
                self._candles(state, now),
            ]
            if not state.has_instrument:
                # Fetched with the warm-up, so that a first entry waits for no extra trip.
                fetches.append(state.instrument(self._broker))
            answers = await within(self._timer, gather_eagerly(*fetches), timeout)
            quote, candles = cast(Quote | None, answers[0]), cast(list[Candle], answers[1])
            # The missed candles are in: caught up, unless feeding them shows that the symbol
            # must warm up afresh (too far behind its shared lane), which sets ``behind`` again.
            state.behind = False
            observer = self._services.observer
            listening = observer.listening
            for candle, indicators in state.ingest(candles, now, indicators=listening):
                if listening:
                    observer.on_candle_closed(BarSnapshot(self._session.id, candle, indicators))
        else:
            # Most ticks need only the quote: no gather, no extra task per symbol.
            quote = await within(self._timer, self._broker.get_latest_quote(symbol), timeout)
        return quote if isinstance(quote, Quote) else None

    def _decide(
        self,
        state: SymbolState,
        quote: Quote,
        now: datetime,
        in_session: bool,
        view: TickView | None,
        *,
        pushed: bool = False,
    ) -> tuple[bool, Proposal | None]:
        """Mark a symbol's position and decide what its rules and quote ask for, at once
        (nothing awaited); return whether its quote was fresh, and the signal to carry out.

        *view* is the tick's view of the book; None for a pushed fact, decided on its own: the
        book as it stands now is then seen (a view walks every position).

        A *pushed* quote is fresh: it came because it is new (the hub watches for a silent
        feed). Its time can still lag the market's clock by the feed's delay, which a fast
        simulated market multiplies."""
        symbol = state.symbol
        position = self._book.positions.get(symbol)
        if position is not None and not position.is_flat:
            position.mark(quote.last)
        if position is not None and not position.is_flat and self._services.observer.listening:
            self._services.observer.on_position_changed(
                PositionSnapshot.of(self._session.id, position)
            )
        if view is not None:
            view.marks[symbol] = quote.last
        stale = not pushed and (now - quote.at).total_seconds() > self._limits.stale_quote_after
        if not in_session or stale or self._session.status is not SessionStatus.RUNNING:
            state.consume_decision()
            return not stale, None
        if self._book.has_open_order(symbol) or self._desk.waiting_on(symbol):
            state.consume_decision()
            return True, None
        if position is not None and not position.is_flat:
            reason = self._exit_reason(state, position.average_price, quote.last)
            if reason is None:
                state.judged_quote, state.judged_average = quote, position.average_price
                return True, None
            return True, self._flow.propose(
                symbol,
                TradeDirection.SELL,
                position.quantity,
                quote,
                reason,
                view,  # an exit takes no slot: the risk rules need no view of the book
            )
        if not state.consume_decision().entry:
            return True, None
        account = self._flow.account
        instrument = state.known_instrument
        assert account is not None
        assert instrument is not None
        quantity = position_quantity(
            equity=account.equity,
            cash=account.buying_power,
            price=quote.ask,
            position_pct=self._session.strategy.position_pct,
            max_position_size_pct=self._session.risk_controls.max_position_size_pct,
            commission_rate=self._config.costs.commission_rate,
            instrument=instrument,
        )
        return True, self._flow.propose(
            symbol,
            TradeDirection.BUY,
            quantity,
            quote,
            SignalReason.ENTRY_RULE,
            view,
        )

    async def _candles(self, state: SymbolState, now: datetime) -> list[Candle]:
        """Fetch the candles *state* needs: a warm-up, or each trading range missed in turn."""
        request = state.candle_request(self._limits, now, self._calendar)
        if request.warmup:
            return await self._broker.get_recent_candles(state.symbol, request.warmup)
        candles: list[Candle] = []
        for start, end in request.ranges:
            candles.extend(await self._broker.get_historical_candles(state.symbol, start, end))
        return candles

    def _exit_reason(
        self, state: SymbolState, entry_price: Decimal, last: Decimal
    ) -> SignalReason | None:
        """Return why a position closes now: a protective exit on the last price (the same
        domain rule the backtester applies), else the exit rule; each candle decides once."""
        decision = state.consume_decision()
        protective = protective_exit(self._session.risk_controls, entry_price, last, last)
        if protective is not None:
            return protective.reason
        return SignalReason.EXIT_RULE if decision.exit else None

    # ------------------------------------------------------------------ the trader's commands

    async def execute_signal(self, signal_id: str) -> OrderUpdate | None:
        """Execute a pending MANUAL signal after a risk re-check on a fresh quote.

        Returns the order, or None when the re-check refused it (the signal is then REJECTED
        and the reasons are in the journal and the log). Raises ``OrderNotPermittedError``,
        the signal still pending, while the session may not send it (paused, halted, exits
        only for an entry).
        """
        return await self._flow.execute_pending(signal_id)

    async def dismiss_signal(self, signal_id: str) -> None:
        """Let a pending MANUAL signal go."""
        await self._flow.dismiss(signal_id)

    async def sync_orders(self) -> None:
        """Ask the broker about every open order and apply what it says."""
        await self._orders.sync()

    async def take_adjustment(self, order: Order, fill: Fill) -> None:
        """Apply an adjustment recorded for this session (the trader adopted what its broker
        holds) to its book."""
        await self._orders.absorb(OrderUpdate(order, (fill,), True))

    async def sell_now(self, symbol: str, quantity: Decimal) -> OrderUpdate:
        """Sell *quantity* of *symbol* at market on the trader's word, whatever the session's
        state (as the kill switch's flattening may); recorded before it is sent."""
        return await self._orders.send(symbol, TradeDirection.SELL, quantity, flattening=True)

    async def cancel_open_orders(self) -> list[OrderUpdate]:
        """Cancel every open order of the session (kill switch)."""
        return await self._orders.cancel_all()

    async def flatten(self) -> list[OrderUpdate]:
        """Sell every open position at market, whatever the trading state (kill switch)."""
        return await self._orders.flatten()

    async def halt(self, reason: str, *, cause: str = KILL_SWITCH) -> None:
        """Stop sending any order until a re-arm (by the trader, or by the runner itself once a
        storage fault that caused the halt is over and the account reconciles)."""
        if self._halt_cause != KILL_SWITCH:
            self._halt_cause = cause
        if self._session.trading_state is not TradingState.HALTED:
            self._session.halt(self._clock.now())
            self._session.status_reason = reason
            await self._status_changed()
        await self._desk.close_all(lambda s: s.reject(reason))

    # ------------------------------------------------------------------ daily budget

    async def _move_trading_state(self, target: TradingState, reason: str) -> None:
        session = self._session
        if target is session.trading_state:
            return
        if target is TradingState.REDUCING:
            session.reduce_only(self._clock.now())
        else:
            session.reactivate(self._clock.now())
        session.status_reason = reason
        await self._status_changed()

    def get_risk_status(self) -> RiskStatus:
        """Return where the session stands against its limits, for the risk gauge."""
        account = self._flow.account
        equity = account.equity if account is not None else Decimal(0)
        return self._daily.status(self._clock.now(), equity)

    # ------------------------------------------------------------------ the broker link

    async def reconcile(self) -> list[str]:
        """Resolve every open order with the broker, then compare the account with this
        session's book both ways (positions and open orders); return the differences."""
        return await self._orders.reconcile()

    async def compare_account(
        self,
        expected: AccountExpectation,
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> list[str]:
        """Return (and journal) how the broker's account differs from *expected* (*settle*
        resolves the open orders again while one may still be filling)."""
        return await self._orders.compare_account(expected, settle)

    # ------------------------------------------------------------------ journal and log

    async def _journal(self, kind: str, message: str, **data: object) -> None:
        await self._journal_sink.append(
            AuditEntry(kind, message, self._clock.now(), self._session.id, data)  # type: ignore[arg-type]
        )

    def _log(self, level: LogLevel, message: str) -> None:
        self._services.observer.on_log(
            LogEntry(self._clock.now(), level, message, self._session.id)
        )
