"""``LiveTradingSessionManager``: the go-live gate and the life cycle of every session.

Several live sessions can trade one broker account; the manager reconciles that account as a
whole (every stored order of every session against what the broker holds), while a paper
session's account is its own. A session whose history cannot be restored after a restart comes
back in ERROR with the reason, and every other session starts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace

from livetrader_gui.application.journal import BufferedJournal, NarratedJournal
from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.exceptions import (
    BrokerNotFoundError,
    PreRequisiteNotMetError,
    SessionNotFoundError,
)
from livetrader_gui.application.live_trading.orders import OrderExecutor, OrderUpdate
from livetrader_gui.application.live_trading.prerequisites import PrerequisiteChecker
from livetrader_gui.application.live_trading.reconcile import StoredExpectation
from livetrader_gui.application.live_trading.recovery import HistoryRepair, reconcile_shared
from livetrader_gui.application.live_trading.restart_review import (
    Decision,
    RestartReview,
    ReviewDecisions,
    ReviewKind,
    ReviewLine,
    ReviewPendingError,
    fill_line,
    review_lines,
    unreconciled_line,
)
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.symbols import RuleLanes
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.paper_trading import PaperBook, PaperDays, PaperGateway
from livetrader_gui.application.ports import (
    BrokerError,
    Clock,
    IBacktestRepository,
    IBrokerGateway,
    IBrokerRegistry,
    ICalendarProvider,
    IPaperTradingSessionRepository,
    StorageError,
)
from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.domain import (
    AuditEntry,
    DomainError,
    Fill,
    LiveTradingSession,
    Order,
    OrderStatus,
    PaperTradingSession,
    PreRequisiteCheck,
    SessionStatus,
    Strategy,
)
from livetrader_gui.processing import ProcessingEngine

_log = logging.getLogger(__name__)
# Why a session that was running comes back paused after a restart.
RESTART_PAUSE = "the application restarted"


@dataclass(frozen=True, slots=True)
class KillSwitchReport:
    """What the kill switch did, session by session, for the trader to read."""

    sessions_halted: int
    orders_cancelled: int
    positions_flattened: int
    problems: tuple[str, ...]

    @property
    def summary(self) -> str:
        """Return one sentence."""
        text = (
            f"{self.sessions_halted} session(s) halted, {self.orders_cancelled} order(s) "
            f"cancelled, {self.positions_flattened} position(s) sent to close"
        )
        return text + ("; problems: " + "; ".join(self.problems) if self.problems else "")


class LiveTradingSessionManager:
    """Starts sessions behind the go-live gate and keeps one runner per active session."""

    def __init__(
        self,
        broker_registry: IBrokerRegistry,
        processing_engine: ProcessingEngine,
        services: RunnerServices,
        backtest_repo: IBacktestRepository,
        paper_session_repo: IPaperTradingSessionRepository,
        calendars: ICalendarProvider,
        clock: Clock,
        limits: RunnerLimits | None = None,
        hubs: MarketDataHubs | None = None,
    ) -> None:
        self._broker_registry = broker_registry
        # With hubs, runners are driven by the market's pushed facts and share one subscription
        # and one link per gateway; without, each tick asks the broker (replays).
        self._hubs = hubs
        self._engine = processing_engine
        # Sessions trading the same rules on the same symbols run them once (``RuleLane``).
        self._lanes = RuleLanes()
        if not isinstance(services.journal, BufferedJournal):
            # A journal entry the store refuses must not stop an order from being tracked;
            # each one written is also a line of the Activity log.
            narrated = NarratedJournal(services.journal, services.observer)
            services = replace(services, journal=BufferedJournal(narrated))
        self._services = services
        self._calendars = calendars
        self._paper_sessions = paper_session_repo
        self._clock = clock
        self._limits = limits or RunnerLimits()
        self._gate = PrerequisiteChecker(
            broker_registry, backtest_repo, paper_session_repo, clock, self._limits
        )
        self._active_sessions: dict[str, LiveTradingRunner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._paper: dict[str, PaperTradingSession] = {}
        # What the last restart left for the trader to decide (None: nothing).
        self._review: RestartReview | None = None

    async def check_prerequisites(
        self, strategy: Strategy, broker_id: str | None = None
    ) -> PreRequisiteCheck:
        """Return the go-live checks for *strategy* on *broker_id*, each with its evidence."""
        return await self._gate.check(strategy, broker_id)

    async def start_session(self, config: LiveSessionConfig) -> LiveTradingSession:
        """Check the gate, find the broker, create and save the session, and start its runner.

        Raises ``PreRequisiteNotMetError`` when a check fails and ``BrokerNotFoundError`` when the
        broker is not registered. Paper sessions and replays (``skip_prerequisites``) do not need
        the gate: they move no money; a replay's journal says it skipped the gate.
        """
        strategy = config.strategy
        gateway = self._broker_registry.get(config.broker_id)
        if gateway is None:
            known = ", ".join(g.broker_id for g in self._broker_registry.all()) or "none"
            raise BrokerNotFoundError(
                f"no broker '{config.broker_id}' is registered (known: {known})"
            )
        if not (config.is_paper or config.skip_prerequisites):
            check = await self.check_prerequisites(strategy, config.broker_id)
            if not check.all_passed:
                raise PreRequisiteNotMetError(check)
        session = LiveTradingSession(
            id=f"S-{uuid.uuid4().hex[:12]}",
            strategy=strategy,
            broker_id=config.broker_id,
            symbols=config.session_symbols,
            execution_mode=config.execution_mode,
            risk_controls=strategy.risk_config.controls,
            created_at=self._clock.now(),
            is_paper=config.is_paper,
        )
        await self._services.sessions.save(session)
        if config.skip_prerequisites:
            await self._services.journal.append(
                AuditEntry(
                    "gate_skipped",
                    "simulation: the go-live gate was not checked (replay on simulated data)",
                    self._clock.now(),
                    session.id,
                    {"simulation": True},
                )
            )
        paper = None
        if config.is_paper:
            paper = PaperTradingSession(
                id=f"P-{uuid.uuid4().hex[:12]}",
                strategy_id=strategy.id,
                rules_hash=strategy.rules_hash,
                started_at=self._clock.now(),
                live_session_id=session.id,
                capital=config.paper_capital,
            )
            await self._paper_sessions.save(paper)
        runner = await self._runner(session, gateway, config, SessionBook(), paper)
        await runner.start()
        self._launch(runner)
        return session

    async def _runner(
        self,
        session: LiveTradingSession,
        gateway: IBrokerGateway,
        config: LiveSessionConfig,
        book: SessionBook,
        paper: PaperTradingSession | None = None,
        orders: Sequence[Order] = (),
        fills: Sequence[Fill] = (),
    ) -> LiveTradingRunner:
        calendar = await self._calendars.get(session.strategy.exchange)
        days = None
        venue = gateway.broker_id
        reconcile = None
        hub = self._hubs.of(gateway, calendar) if self._hubs is not None else None
        account = hub.account if hub is not None else None
        if paper is not None:
            # Same runner, same feed; only the orders go to a simulated account instead.
            paper_book = PaperBook(paper.capital, config.costs)
            paper_book.restore(orders, fills)
            paper_gateway = PaperGateway(
                gateway,
                paper_book,
                calendar,
                paper_account(session.id),
                latest=hub.latest if hub is not None else None,
            )
            gateway, venue, account = paper_gateway, paper_gateway.account_id, None
            days = PaperDays(
                paper,
                self._paper_sessions,
                calendar,
                self._services.journal,
                self._services.observer,
            )
            self._paper[session.id] = paper
        else:
            broker_id = gateway.broker_id
            reconcile = lambda: self.reconcile_account(broker_id)  # noqa: E731
        runner = LiveTradingRunner(
            session,
            gateway,
            self._engine,
            self._services,
            calendar,
            config,
            self._limits,
            clock=gateway.clock,
            book=book,
            after_tick=days.tick_completed if days is not None else None,
            timer=self._clock,
            venue=venue,
            reconcile=reconcile,
            hub=hub,
            account=account,
            lanes=self._lanes,
        )
        self._active_sessions[session.id] = runner
        return runner

    def _launch(self, runner: LiveTradingRunner) -> None:
        session_id = runner.session.id
        task = asyncio.create_task(runner.run(), name=f"runner-{session_id}")
        task.add_done_callback(lambda t: self._finished(session_id, t))
        self._tasks[session_id] = task

    def _finished(self, session_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.pop(session_id, None)
        if not task.cancelled() and task.exception() is not None:
            _log.error("runner of %s crashed", session_id, exc_info=task.exception())

    def runner(self, session_id: str) -> LiveTradingRunner:
        """Return the runner of an active session."""
        runner = self._active_sessions.get(session_id)
        if runner is None:
            raise SessionNotFoundError(f"no active session {session_id}")
        return runner

    async def pause_session(self, session_id: str) -> LiveTradingSession:
        """Pause a running session: no new orders until it is resumed."""
        runner = self.runner(session_id)
        await runner.pause("paused by the trader")
        return runner.session

    async def resume_session(self, session_id: str) -> LiveTradingSession:
        """Resume a paused session (not while the review after a restart waits)."""
        runner = self.runner(session_id)
        self._check_review()
        await runner.resume()
        return runner.session

    async def stop_session(
        self, session_id: str, reason: str = "stopped by the trader"
    ) -> LiveTradingSession:
        """Stop a session for good; its runner ends and open orders stay tracked in storage."""
        runner = self.runner(session_id)
        await runner.stop(reason)
        task = self._tasks.get(session_id)
        if task is not None:
            await task
        del self._active_sessions[session_id]
        paper = self._paper.pop(session_id, None)
        if paper is not None:
            paper.end(self._clock.now())
            await self._paper_sessions.save(paper)
        return runner.session

    def get_active_sessions(self) -> list[LiveTradingSession]:
        """Return every session with a runner (running or paused)."""
        return [r.session for r in self._active_sessions.values()]

    async def execute_signal(self, session_id: str, signal_id: str) -> OrderUpdate | None:
        """Execute a pending MANUAL signal after a fresh risk check."""
        return await self.runner(session_id).execute_signal(signal_id)

    async def dismiss_signal(self, session_id: str, signal_id: str) -> None:
        """Let a pending MANUAL signal go."""
        await self.runner(session_id).dismiss_signal(signal_id)

    async def kill_switch(self) -> KillSwitchReport:
        """Halt every session, cancel their open orders and sell their positions at market."""
        halted = cancelled = flattened = 0
        problems: list[str] = []
        for runner in list(self._active_sessions.values()):
            await runner.halt("kill switch")
            halted += 1
            try:
                cancelled += sum(
                    1
                    for u in await runner.cancel_open_orders()
                    if u.order.status is OrderStatus.CANCELLED  # one that filled first is not
                )
                for update in await runner.flatten():
                    if update.order.reject_reason:
                        problems.append(f"{update.order.symbol}: {update.order.reject_reason}")
                    else:
                        flattened += 1
            except Exception as error:  # report and go on with the other sessions
                problems.append(f"session {runner.session.id}: {error}")
        report = KillSwitchReport(halted, cancelled, flattened, tuple(problems))
        await self._services.journal.append(
            AuditEntry("kill_switch", report.summary, self._clock.now())
        )
        return report

    async def restore_sessions(self) -> list[str]:
        """Bring back the sessions active before a restart, PAUSED, after reconciling them.

        Each session's book is rebuilt from its fills in the order they were recorded. A
        session whose history cannot be rebuilt goes to ERROR with the reason; the others
        start. Returns what differed from the brokers; nothing resumes by itself.
        """
        differences: list[str] = []
        active = await self._services.sessions.list_by_status(
            SessionStatus.RUNNING, SessionStatus.PAUSED
        )
        restored: list[LiveTradingRunner] = []
        for session in active:
            try:
                runner = await self._restore(session)
            except (DomainError, ValueError) as error:
                await self._fail(session, f"its history cannot be restored: {error}")
                continue
            if runner is not None:
                restored.append(runner)
        live_brokers = {r.venue for r in restored if not r.session.is_paper}
        lines: list[ReviewLine] = []
        for broker_id in sorted(live_brokers):
            # The orders left open: what fills while LiveTrader was down, the reconciliation
            # records under the venue's ids, and the review lists.
            open_before = await self._services.orders.list_open(broker_id=broker_id)
            at_broker = await self._reconciled(self.reconcile_account(broker_id), broker_id)
            differences.extend(at_broker)
            lines += await self._review_lines(broker_id, at_broker, open_before, len(lines) + 1)
        self._review = RestartReview(lines) if lines else None
        for runner in restored:
            if runner.session.is_paper:
                differences.extend(await self._reconciled(runner.reconcile(), runner.venue))
            self._launch(runner)
        if restored:
            # The reconciliation's result, clean or not, is part of every session's story.
            brokers = ", ".join(sorted({r.venue for r in restored}))
            found = (
                f"{len(differences)} difference(s): " + "; ".join(differences)
                if differences
                else "no difference"
            )
            await self._services.journal.append(
                AuditEntry(
                    "restore",
                    f"{len(restored)} session(s) back after the restart, paused; reconciled "
                    f"with {brokers}: {found}",
                    self._clock.now(),
                    data={"sessions": len(restored), "differences": tuple(differences)},
                )
            )
        return differences

    async def _restore(self, session: LiveTradingSession) -> LiveTradingRunner | None:
        gateway = self._broker_registry.get(session.broker_id)
        if gateway is None:
            await self._fail(session, f"broker {session.broker_id} is no longer registered")
            return None
        paper = None
        if session.is_paper:
            paper = await self._paper_sessions.get_by_live_session(session.id)
            if paper is None:
                await self._fail(session, "its paper account record is missing")
                return None
        orders = await self._services.orders.list_for_session(session.id)
        fills = await self._services.orders.list_session_fills(session.id)
        book = SessionBook.rebuild(orders, fills)
        config = LiveSessionConfig(
            strategy=session.strategy,
            broker_id=session.broker_id,
            symbols=session.symbols,
            execution_mode=session.execution_mode,
            is_paper=session.is_paper,
        )
        runner = await self._runner(session, gateway, config, book, paper, orders, fills)
        if session.status is SessionStatus.RUNNING:
            # Journalled like every pause, stamped with the session's own clock (its market's
            # time, which its journal entries follow).
            await runner.pause(RESTART_PAUSE)
        return runner

    async def _review_lines(
        self, broker_id: str, found: list[str], open_before: Sequence[Order], first: int
    ) -> list[ReviewLine]:
        """Return the review's lines of *broker_id*: the fills made while LiveTrader was down,
        then what reconciling *found* different."""
        lines: list[ReviewLine] = []
        for order in open_before:
            for fill in await self._services.orders.list_fills(order.client_order_id):
                if fill.fill_id not in order.fill_ids:
                    lines.append(fill_line(first + len(lines), broker_id, fill, order.session_id))
        if not found:
            return lines
        unreachable = [d for d in found if d.startswith(f"{broker_id} could not be reconciled")]
        if unreachable:
            return [*lines, unreconciled_line(first + len(lines), broker_id, unreachable[0])]
        gateway = self._broker_registry.get(broker_id)
        assert gateway is not None  # its sessions were just restored on it
        runners = self._live_runners(broker_id)
        expected = StoredExpectation(self._services.orders, broker_id)
        try:
            return lines + await review_lines(gateway, runners, expected, first + len(lines))
        except (BrokerError, StorageError, TimeoutError) as error:
            problem = f"{broker_id} could not be asked again for the review: {error}"
            return [*lines, unreconciled_line(first + len(lines), broker_id, problem)]

    def _live_runners(self, broker_id: str) -> list[LiveTradingRunner]:
        return [
            r
            for r in self._active_sessions.values()
            if r.venue == broker_id and not r.session.is_paper
        ]

    @property
    def restart_review(self) -> list[ReviewLine]:
        """Return the lines the last restart left for the trader (none: nothing to decide)."""
        return self._review.lines if self._review is not None else []

    async def decide(self, number: int, decision: Decision) -> ReviewLine:
        """Carry out the trader's *decision* on line *number* of the review after the
        restart, and journal it. A fill made while LiveTrader was down is adopted from the
        start; it may still be flattened once."""
        review = self._review
        if review is None:
            raise ReviewPendingError("there is no review after a restart to decide")
        line = review.line(number)
        changeable = line.kind is ReviewKind.FILL_WHILE_DOWN and line.decision is Decision.ADOPT
        if line.decision is not None and not changeable:
            raise ReviewPendingError(
                f"line {number} was decided already ({line.decision.value}: {line.outcome})"
            )
        gateway = self._broker_registry.get(line.broker_id)
        if gateway is None:
            raise BrokerNotFoundError(f"broker {line.broker_id} is not registered")
        executor = OrderExecutor(
            "",
            gateway,
            self._services.orders,
            self._services.journal,
            self._services.observer,
            gateway.clock,
            self._limits.broker_timeout,
            timer=self._clock,
            venue=line.broker_id,
        )
        decisions = ReviewDecisions(
            gateway,
            self._live_runners(line.broker_id),
            executor,
            self._services.orders,
            self._services.journal,
        )
        outcome = await decisions.carry_out(line, decision)
        settled = review.settle(number, decision, outcome)
        await self._services.journal.append(
            AuditEntry(
                "review_decision",
                f"after the restart, {line.text} — {decision.value}: {outcome}",
                self._clock.now(),
                line.session_id,
                {"line": number, "kind": line.kind.value, "decision": decision.value},
            )
        )
        return settled

    def _check_review(self) -> None:
        review = self._review
        if review is not None and review.waiting:
            raise ReviewPendingError(
                f"{review.waiting} line(s) of the review after the restart wait for your "
                "decision: no session resumes before every one is decided"
            )

    async def _fail(self, session: LiveTradingSession, reason: str) -> None:
        _log.error("session %s cannot be restored: %s", session.id, reason)
        session.fail(reason, self._clock.now())
        await self._services.sessions.save(session)
        await self._services.journal.append(
            AuditEntry(
                "session",
                f"session error: {reason}",
                self._clock.now(),
                session.id,
                {"status": session.status.value, "reason": reason},
            )
        )
        self._services.observer.on_session_status_changed(SessionSnapshot.of(session))

    async def _reconciled(self, differences: Awaitable[list[str]], broker_id: str) -> list[str]:
        try:
            return await differences
        except (BrokerError, StorageError, TimeoutError) as error:
            return [f"{broker_id} could not be reconciled: {error}"]

    async def reconcile_account(self, broker_id: str) -> list[str]:
        """Reconcile a broker account that live sessions share (see ``reconcile_shared``)."""
        runners = [
            r
            for r in self._active_sessions.values()
            if r.venue == broker_id and not r.session.is_paper
        ]
        return await reconcile_shared(broker_id, runners, self._services, self._clock, self._limits)

    async def resume_restarted(self, reason: str) -> list[str]:
        """Resume every session that is paused only because the application restarted (the
        policy of an unattended run, once reconciling found no difference), journalling
        *reason*; return their ids. Sessions paused by the trader or by a fault stay paused."""
        self._check_review()
        resumed = []
        for runner in self._active_sessions.values():
            session = runner.session
            if session.status is SessionStatus.PAUSED and session.status_reason == RESTART_PAUSE:
                await runner.resume(reason)
                resumed.append(session.id)
        return resumed

    async def rearm_session(self, session_id: str) -> LiveTradingSession:
        """Lift a session's halt (after the kill switch, or a fault the trader has checked)."""
        runner = self.runner(session_id)
        await runner.rearm()
        return runner.session

    async def stop_failed_session(self, session_id: str) -> LiveTradingSession:
        """Stop a session that came back in ERROR (it has no runner)."""
        session = await self._services.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.ERROR:
            raise SessionNotFoundError(f"no session {session_id} in error")
        session.stop("stopped by the trader after an error", self._clock.now())
        await self._services.sessions.save(session)
        await self._services.journal.append(
            AuditEntry(
                "session",
                f"session stopped: {session.status_reason}",
                self._clock.now(),
                session.id,
                {"status": session.status.value},
            )
        )
        self._services.observer.on_session_status_changed(SessionSnapshot.of(session))
        return session

    async def recover_session(self, session_id: str) -> LiveTradingSession:
        """Bring a session whose history could not be restored back, PAUSED, reconciled to its
        broker: every fill that cannot be replayed is left out (kept, with the reason), and a
        live session's positions are set to what the broker holds for it (what the account
        holds beyond the other sessions' records) by adjustment fills. All of it is journalled.
        """
        session = await self._services.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.ERROR:
            raise SessionNotFoundError(f"no session {session_id} in error")
        gateway = self._broker_registry.get(session.broker_id)
        if gateway is None:
            raise BrokerNotFoundError(f"broker {session.broker_id} is not registered")
        repair = HistoryRepair(session, self._services.orders, self._services.journal, self._clock)
        book, left_out = await repair.leave_out_what_cannot_replay()
        adjusted = 0 if session.is_paper else await repair.adopt_broker_positions(gateway, book)
        session.recover(
            f"recovered by the trader: {left_out} fill(s) left out, {adjusted} position(s) "
            "set to the broker's",
            self._clock.now(),
        )
        await self._services.sessions.save(session)
        await repair.note("session", f"session paused: {session.status_reason}")
        self._services.observer.on_session_status_changed(SessionSnapshot.of(session))
        runner = await self._restore(session)
        if runner is not None:
            if session.is_paper:
                await self._reconciled(runner.reconcile(), runner.venue)
            else:
                await self._reconciled(self.reconcile_account(runner.venue), runner.venue)
            self._launch(runner)
        return session

    async def failed_sessions(self) -> list[LiveTradingSession]:
        """Return the sessions in ERROR, which wait for the trader to stop or recover them."""
        return await self._services.sessions.list_by_status(SessionStatus.ERROR)

    async def shutdown(self) -> None:
        """End every runner's loop, leaving the sessions as they are (they come back PAUSED)."""
        for runner in self._active_sessions.values():
            runner.halt_loop()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


def paper_account(session_id: str) -> str:
    """Return the id of the paper account of *session_id*: the books its orders go to."""
    return f"PAPER-{session_id}"
