"""``TradingDesk``: the commands the trader's window gives, and what it reads to draw itself.

Widgets hold a desk, never the manager, a runner, a repository or a gateway. Every answer is a
frozen snapshot. A command that cannot be carried out raises an error whose message is meant
for the trader (:data:`TRADER_ERRORS`); anything else is a bug and goes to the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.live_trading.exceptions import LiveTradingError
from livetrader_gui.application.live_trading.session_manager import (
    KillSwitchReport,
    LiveTradingSessionManager,
)
from livetrader_gui.application.ports import (
    BrokerError,
    IOrderRepository,
    IStrategyRepository,
)
from livetrader_gui.application.read_models import (
    OrderSnapshot,
    PositionSnapshot,
    SessionSnapshot,
    SignalSnapshot,
)
from livetrader_gui.domain import (
    DomainError,
    PreRequisiteCheck,
    RiskStatus,
    Strategy,
)

# Errors whose message the window shows as it is: they name what is wrong and where.
TRADER_ERRORS: tuple[type[Exception], ...] = (
    LiveTradingError,
    DomainError,
    BrokerError,
    TimeoutError,
    ValueError,
)


@dataclass(frozen=True, slots=True)
class SessionView:
    """Everything the window shows of one active session, read at once."""

    session: SessionSnapshot
    risk: RiskStatus
    positions: tuple[PositionSnapshot, ...]
    orders: tuple[OrderSnapshot, ...]
    pending_signals: tuple[SignalSnapshot, ...]


class TradingDesk:
    """The trader's commands over the session manager and the strategy store."""

    def __init__(
        self,
        manager: LiveTradingSessionManager,
        strategies: IStrategyRepository,
        orders: IOrderRepository,
    ) -> None:
        self._manager = manager
        self._strategies = strategies
        self._orders = orders

    # ------------------------------------------------------------------ strategies

    async def strategies(self) -> list[Strategy]:
        """Return every saved strategy."""
        return await self._strategies.list_all()

    async def save_strategy(self, strategy: Strategy) -> None:
        """Save *strategy* (a new version replaces the old one under the same id)."""
        await self._strategies.save(strategy)

    async def check_prerequisites(self, strategy: Strategy, broker_id: str) -> PreRequisiteCheck:
        """Return the go-live checks with their evidence."""
        return await self._manager.check_prerequisites(strategy, broker_id)

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
        """Stop a session for good."""
        return SessionSnapshot.of(await self._manager.stop_session(session_id))

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
