"""``TradingDesk``: the commands the trader's window gives, and what it reads to draw itself.

Widgets hold a desk, never the manager, a runner, a repository or a gateway. Every answer is a
frozen snapshot. A command that cannot be carried out raises an error whose message is meant
for the trader (:data:`TRADER_ERRORS`); anything else is a bug and goes to the log.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from livetrader_gui.application.backtesting import BacktestRequest, BacktestService
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.live_trading.exceptions import (
    BrokerNotFoundError,
    LiveTradingError,
)
from livetrader_gui.application.live_trading.restart_review import Decision, ReviewLine
from livetrader_gui.application.live_trading.session_manager import (
    KillSwitchReport,
    LiveTradingSessionManager,
)
from livetrader_gui.application.ports import (
    BrokerError,
    Clock,
    IBrokerRegistry,
    ICalendarProvider,
    IOrderRepository,
    IStrategyFiles,
    IStrategyRepository,
)
from livetrader_gui.application.read_models import (
    BarSnapshot,
    OrderSnapshot,
    PositionSnapshot,
    SessionSnapshot,
    SignalSnapshot,
)
from livetrader_gui.domain import (
    DEFAULT_PAPER_CAPITAL,
    BacktestResult,
    DomainError,
    PreRequisiteCheck,
    RiskStatus,
    Strategy,
    TradeDirection,
)
from livetrader_gui.domain.risk_rules import check_order_permitted
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import FormulaError, ProcessingEngine
from livetrader_gui.processing.backtest import BacktestOutcome, ExitPrices

# The periods a backtest started from the window may cover, up to now, in months of 30.4 days.
BACKTEST_MONTHS = (1, 3, 6, 12, 24)
DAYS_PER_MONTH = 30.4


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    """How a backtest from the window runs: its period, its money and what it charges."""

    months: int = 6
    capital: Decimal = DEFAULT_PAPER_CAPITAL
    costs: TradingCosts = field(default_factory=TradingCosts)
    exits: ExitPrices = ExitPrices.RANGE

    def __post_init__(self) -> None:
        if self.months not in BACKTEST_MONTHS:
            raise ValueError(
                f"backtest period: {self.months} months is not offered "
                f"({', '.join(map(str, BACKTEST_MONTHS))})"
            )
        if not self.capital > 0:
            raise ValueError(f"backtest capital: {self.capital} must be above 0")

    @property
    def history(self) -> timedelta:
        """Return the period, back from now."""
        return timedelta(days=round(self.months * DAYS_PER_MONTH))


# Errors whose message the window shows as it is: they name what is wrong and where.
TRADER_ERRORS: tuple[type[Exception], ...] = (
    LiveTradingError,
    DomainError,
    BrokerError,
    TimeoutError,
    ValueError,
    OSError,  # a file that cannot be read or written: its message names it
)


@dataclass(frozen=True, slots=True)
class SessionView:
    """Everything the window shows of one active session, read at once."""

    session: SessionSnapshot
    risk: RiskStatus
    positions: tuple[PositionSnapshot, ...]
    orders: tuple[OrderSnapshot, ...]
    pending_signals: tuple[SignalSnapshot, ...]


@dataclass(frozen=True, slots=True)
class BrokerChoice:
    """A broker the trader may pick, as the registry sees it now."""

    broker_id: str
    display_name: str
    is_real_money: bool
    healthy: bool
    detail: str


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """A finished backtest: the stored evidence and the curve and trades behind it."""

    result: BacktestResult
    outcome: BacktestOutcome


class TradingDesk:
    """The trader's commands over the session manager and the strategy store."""

    def __init__(
        self,
        manager: LiveTradingSessionManager,
        strategies: IStrategyRepository,
        orders: IOrderRepository,
        registry: IBrokerRegistry,
        backtests: BacktestService,
        calendars: ICalendarProvider,
        clock: Clock,
        engine: ProcessingEngine,
        files: IStrategyFiles,
    ) -> None:
        self._manager = manager
        self._strategies = strategies
        self._orders = orders
        self._registry = registry
        self._backtests = backtests
        self._calendars = calendars
        self._clock = clock
        self._engine = engine
        self._files = files

    # ------------------------------------------------------------------ brokers

    def brokers(self) -> list[BrokerChoice]:
        """Return the registered brokers with their health."""
        choices = []
        for gateway in self._registry.all():
            health = self._registry.health(gateway.broker_id)
            choices.append(
                BrokerChoice(
                    gateway.broker_id,
                    gateway.display_name,
                    gateway.is_real_money,
                    health.healthy,
                    health.detail,
                )
            )
        return choices

    # ------------------------------------------------------------------ strategies

    async def strategies(self) -> list[Strategy]:
        """Return every saved strategy."""
        return await self._strategies.list_all()

    async def save_strategy(self, strategy: Strategy, broker_id: str | None = None) -> None:
        """Save *strategy* (a new version replaces the old one under the same id).

        With *broker_id*, every symbol must be one of that broker's instruments: a
        ``ValueError`` names the ones it does not list, and nothing is saved.
        """
        if broker_id is not None:
            codes = await self._instrument_codes(broker_id)
            unknown = [symbol for symbol in strategy.symbols if symbol not in codes]
            if unknown:
                listed = ", ".join(codes)
                raise ValueError(
                    f"symbols: {', '.join(repr(s) for s in unknown)} "
                    f"{'is' if len(unknown) == 1 else 'are'} not listed by {broker_id} "
                    f"(it lists {listed})"
                )
        await self._strategies.save(strategy)

    async def _instrument_codes(self, broker_id: str) -> list[str]:
        gateway = self._registry.get(broker_id)
        if gateway is None:
            raise BrokerNotFoundError(f"no broker '{broker_id}' is registered")
        return [i.symbol for i in await gateway.get_instruments()]

    async def delete_strategy(self, strategy_id: str) -> None:
        """Delete a strategy no session uses; past sessions keep the version they ran.

        Raises ``ValueError`` naming the sessions while one that is running, paused or in
        error uses it.
        """
        users = [
            s
            for s in (*self._manager.get_active_sessions(), *await self._manager.failed_sessions())
            if s.strategy.id == strategy_id
        ]
        if users:
            states = ", ".join(f"{s.id} ({s.status.value})" for s in users)
            raise ValueError(
                f"the strategy is used by session(s) {states}: stop them before deleting it"
            )
        await self._strategies.delete(strategy_id)

    async def stored_backtest(self, strategy: Strategy) -> BacktestResult | None:
        """Return the newest backtest stored for *strategy*'s current rules, if any."""
        return await self._backtests.latest(strategy)

    def validate_rule(self, formula: str) -> tuple[FormulaError, ...]:
        """Return every problem of *formula* with its position (empty: the rule is valid)."""
        return self._engine.validate(formula)

    def now(self) -> datetime:
        """Return the application's time."""
        return self._clock.now()

    async def import_strategy(self, path: Path) -> Strategy:
        """Read a strategy file; its rules are checked. Nothing is saved."""
        return await asyncio.get_running_loop().run_in_executor(None, self._files.read, path)

    async def export_strategy(self, strategy: Strategy, path: Path, *, overwrite: bool) -> None:
        """Write *strategy* to a file; an existing file is replaced only with *overwrite*."""
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: self._files.write(path, strategy, overwrite=overwrite)
        )

    async def check_prerequisites(self, strategy: Strategy, broker_id: str) -> PreRequisiteCheck:
        """Return the go-live checks with their evidence."""
        return await self._manager.check_prerequisites(strategy, broker_id)

    async def run_backtest(
        self,
        strategy: Strategy,
        broker_id: str,
        *,
        settings: BacktestSettings | None = None,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> BacktestRun:
        """Backtest *strategy* on *broker_id*'s candles of the *settings*' period up to now
        (six months, the default capital and costs when not given).

        The result is stored as go-live evidence for the strategy's current rules. ``progress``
        is called from a worker thread; setting ``cancel`` stops the run.
        """
        settings = settings or BacktestSettings()
        gateway = self._registry.get(broker_id)
        if gateway is None:
            raise BrokerNotFoundError(f"no broker '{broker_id}' is registered")
        calendar = await self._calendars.get(strategy.exchange)
        end = self._clock.now()
        request = BacktestRequest(
            strategy,
            end - settings.history,
            end,
            settings.capital,
            costs=settings.costs,
            calendar=calendar,
            exits=settings.exits,
        )
        result, outcome = await self._backtests.run(
            request, gateway, progress=progress, cancel=cancel
        )
        return BacktestRun(result, outcome)

    # ------------------------------------------------------------------ sessions

    def sessions(self) -> list[SessionSnapshot]:
        """Return the active sessions (running or paused)."""
        return [SessionSnapshot.of(s) for s in self._manager.get_active_sessions()]

    async def view(self, session_id: str) -> SessionView:
        """Return what the window shows of *session_id*: state, risk, positions, orders, queue."""
        runner = self._manager.runner(session_id)
        book = runner.book
        orders = await self._orders.list_for_session(session_id)
        return SessionView(
            session=SessionSnapshot.of(runner.session),
            risk=runner.get_risk_status(),
            positions=tuple(
                PositionSnapshot.of(session_id, p) for p in book.positions.values() if not p.is_flat
            ),
            orders=tuple(OrderSnapshot.of(o) for o in orders),
            pending_signals=tuple(SignalSnapshot.of(s) for s in runner.pending_signals()),
        )

    async def chart_history(self, session_id: str) -> dict[str, list[BarSnapshot]]:
        """Return each symbol's recent candles with the rules' indicators, as the session's
        chart draws them (a restored or paused session has reported none yet)."""
        runner = self._manager.runner(session_id)
        return {symbol: await runner.chart_history(symbol) for symbol in runner.session.symbols}

    def session_time(self, session_id: str) -> datetime:
        """Return the time on the clock of *session_id*, which a simulated market may speed up."""
        return self._manager.runner(session_id).clock.now()

    async def start_session(self, config: LiveSessionConfig) -> SessionSnapshot:
        """Start a session behind the go-live gate (paper sessions need no gate)."""
        return SessionSnapshot.of(await self._manager.start_session(config))

    async def pause_session(self, session_id: str) -> SessionSnapshot:
        """Pause a running session."""
        return SessionSnapshot.of(await self._manager.pause_session(session_id))

    async def resume_session(self, session_id: str) -> SessionSnapshot:
        """Resume a paused session."""
        return SessionSnapshot.of(await self._manager.resume_session(session_id))

    async def stop_session(self, session_id: str) -> SessionSnapshot:
        """Stop a session for good (one in ERROR too)."""
        if session_id in {s.id for s in self._manager.get_active_sessions()}:
            return SessionSnapshot.of(await self._manager.stop_session(session_id))
        return SessionSnapshot.of(await self._manager.stop_failed_session(session_id))

    async def rearm_session(self, session_id: str) -> SessionSnapshot:
        """Lift a session's halt."""
        return SessionSnapshot.of(await self._manager.rearm_session(session_id))

    async def recover_session(self, session_id: str) -> SessionSnapshot:
        """Bring a session in ERROR back, PAUSED, reconciled to its broker."""
        return SessionSnapshot.of(await self._manager.recover_session(session_id))

    async def failed_sessions(self) -> list[SessionSnapshot]:
        """Return the sessions in ERROR, which wait for the trader to recover or stop them."""
        return [SessionSnapshot.of(s) for s in await self._manager.failed_sessions()]

    @staticmethod
    def refusal(session: SessionSnapshot, direction: TradeDirection) -> str | None:
        """Return why *session* may not send an order in *direction* now (None: it may)."""
        decision = check_order_permitted(session.status, session.trading_state, direction)
        return None if decision.approved else decision.summary

    # ------------------------------------------------------------------ MANUAL signals

    async def execute_signal(self, session_id: str, signal_id: str) -> OrderSnapshot | None:
        """Execute a pending signal after a fresh risk check; None when the check refused it."""
        update = await self._manager.execute_signal(session_id, signal_id)
        return None if update is None else OrderSnapshot.of(update.order)

    async def dismiss_signal(self, session_id: str, signal_id: str) -> None:
        """Let a pending signal go."""
        await self._manager.dismiss_signal(session_id, signal_id)

    # ------------------------------------------------------------------ the kill switch

    async def kill_switch(self) -> KillSwitchReport:
        """Halt every session, cancel open orders and flatten positions."""
        return await self._manager.kill_switch()

    # ------------------------------------------------------------------ after a restart

    def restart_review(self) -> list[ReviewLine]:
        """Return the lines the last restart left for the trader to decide (none: nothing)."""
        return self._manager.restart_review

    async def decide(self, number: int, decision: Decision) -> ReviewLine:
        """Carry out the trader's decision on one line of the review after the restart."""
        return await self._manager.decide(number, decision)

    async def resume_after_review(self) -> list[str]:
        """Resume the sessions the restart paused, once every line of the review is decided;
        return their ids."""
        return await self._manager.resume_restarted(
            "resumed after the restart: the trader decided every difference"
        )
