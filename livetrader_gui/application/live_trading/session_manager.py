"""``LiveTradingSessionManager``: the go-live gate and the life cycle of every session."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.exceptions import (
    BrokerNotFoundError,
    PreRequisiteNotMetError,
    SessionNotFoundError,
)
from livetrader_gui.application.live_trading.orders import OrderUpdate
from livetrader_gui.application.live_trading.prerequisites import PrerequisiteChecker
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.paper_trading import PaperBook, PaperDays, PaperGateway
from livetrader_gui.application.ports import (
    Clock,
    IBacktestRepository,
    IBrokerGateway,
    IBrokerRegistry,
    ICalendarProvider,
    IPaperTradingSessionRepository,
)
from livetrader_gui.domain import (
    AuditEntry,
    Fill,
    LiveTradingSession,
    OrderStatus,
    PaperTradingSession,
    PreRequisiteCheck,
    SessionStatus,
    Strategy,
)
from livetrader_gui.processing import ProcessingEngine

_log = logging.getLogger(__name__)


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
    ) -> None:
        self._broker_registry = broker_registry
        self._engine = processing_engine
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
        fills: tuple[Fill, ...] = (),
    ) -> LiveTradingRunner:
        calendar = await self._calendars.get(session.strategy.exchange)
        days = None
        if paper is not None:
            # Same runner, same feed; only the orders go to a simulated account instead.
            paper_book = PaperBook(paper.capital, config.costs)
            paper_book.restore(fills)
            gateway = PaperGateway(gateway, paper_book, calendar, f"PAPER-{session.id}")
            days = PaperDays(
                paper,
                self._paper_sessions,
                calendar,
                self._services.journal,
                self._services.observer,
            )
            self._paper[session.id] = paper
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
        """Resume a paused session."""
        runner = self.runner(session_id)
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

        Returns what differed from the broker; nothing resumes by itself.
        """
        differences: list[str] = []
        active = await self._services.sessions.list_by_status(
            SessionStatus.RUNNING, SessionStatus.PAUSED
        )
        for session in active:
            gateway = self._broker_registry.get(session.broker_id)
            if gateway is None:
                session.fail(
                    f"broker {session.broker_id} is no longer registered", self._clock.now()
                )
                await self._services.sessions.save(session)
                continue
            config = LiveSessionConfig(
                strategy=session.strategy,
                broker_id=session.broker_id,
                symbols=session.symbols,
                execution_mode=session.execution_mode,
                is_paper=session.is_paper,
            )
            if session.status is SessionStatus.RUNNING:
                session.pause("the application restarted", self._clock.now())
                await self._services.sessions.save(session)
            paper = None
            if session.is_paper:
                paper = await self._paper_sessions.get_by_live_session(session.id)
                if paper is None:
                    session.fail("its paper account record is missing", self._clock.now())
                    await self._services.sessions.save(session)
                    continue
            orders = await self._services.orders.list_for_session(session.id)
            fills = [
                f for o in orders for f in await self._services.orders.list_fills(o.client_order_id)
            ]
            runner = await self._runner(
                session, gateway, config, SessionBook.rebuild(orders, fills), paper, tuple(fills)
            )
            differences.extend(await runner.reconcile())
            self._launch(runner)
        return differences

    async def shutdown(self) -> None:
        """End every runner's loop, leaving the sessions as they are (they come back PAUSED)."""
        for runner in self._active_sessions.values():
            runner.halt_loop()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
