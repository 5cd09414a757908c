"""Live trading sessions and their two state machines: life cycle and trading state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from livetrader_gui.domain.errors import IllegalTransitionError, InvalidValueError
from livetrader_gui.domain.strategy import RiskControls, Strategy
from livetrader_gui.domain.values import aware, symbol_code, text


class SessionStatus(Enum):
    """The life cycle of a session: CREATED → RUNNING ⇄ PAUSED → STOPPED, plus ERROR."""

    CREATED = "CREATED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    ERROR = "ERROR"

    @property
    def is_active(self) -> bool:
        """Tell whether a runner exists for a session in this status."""
        return self in (SessionStatus.RUNNING, SessionStatus.PAUSED)


_SESSION_EDGES: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.CREATED: frozenset(
        {SessionStatus.RUNNING, SessionStatus.STOPPED, SessionStatus.ERROR}
    ),
    SessionStatus.RUNNING: frozenset(
        {SessionStatus.PAUSED, SessionStatus.STOPPED, SessionStatus.ERROR}
    ),
    SessionStatus.PAUSED: frozenset(
        {SessionStatus.RUNNING, SessionStatus.STOPPED, SessionStatus.ERROR}
    ),
    # From ERROR the trader either stops the session or recovers it, which brings it back PAUSED.
    SessionStatus.ERROR: frozenset({SessionStatus.STOPPED, SessionStatus.PAUSED}),
    SessionStatus.STOPPED: frozenset(),
}


class ExecutionMode(Enum):
    """AUTO sends orders at once; MANUAL queues each signal until the trader executes it."""

    AUTO = "AUTO"
    MANUAL = "MANUAL"


class TradingState(Enum):
    """What a session may do with orders: everything, exits only, or nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


_TRADING_EDGES: dict[TradingState, frozenset[TradingState]] = {
    TradingState.ACTIVE: frozenset({TradingState.REDUCING, TradingState.HALTED}),
    TradingState.REDUCING: frozenset({TradingState.ACTIVE, TradingState.HALTED}),
    # Only a deliberate re-arm lifts a halt, and it goes back to ACTIVE.
    TradingState.HALTED: frozenset({TradingState.ACTIVE}),
}


@dataclass(eq=False, slots=True)
class LiveTradingSession:
    """One strategy running on one broker account.

    The session keeps the strategy value it was started with: editing the strategy later does
    not change what a running session trades.
    """

    id: str
    strategy: Strategy
    broker_id: str
    symbols: tuple[str, ...]
    execution_mode: ExecutionMode
    risk_controls: RiskControls
    created_at: datetime
    is_paper: bool = False
    status: SessionStatus = SessionStatus.CREATED
    trading_state: TradingState = TradingState.ACTIVE
    status_reason: str = ""
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        self.id = text(self.id, "session id", max_length=64)
        self.broker_id = symbol_code(self.broker_id, "broker id")
        symbols = tuple(symbol_code(s) for s in self.symbols)
        if not symbols:
            raise InvalidValueError(f"session {self.id} needs at least one symbol")
        if len(set(symbols)) != len(symbols):
            raise InvalidValueError(f"session {self.id} lists a symbol twice: {symbols}")
        self.symbols = symbols
        aware(self.created_at, "session creation time")
        if self.updated_at is None:
            self.updated_at = self.created_at

    @property
    def rules_hash(self) -> str:
        """Return the hash of the rules this session trades."""
        return self.strategy.rules_hash

    def _move(self, target: SessionStatus, at: datetime, reason: str) -> None:
        if target not in _SESSION_EDGES[self.status]:
            raise IllegalTransitionError(f"session {self.id}", self.status.value, target.value)
        self.status = target
        self.status_reason = reason
        self.updated_at = aware(at, "session update time")

    def start(self, at: datetime) -> None:
        """Move CREATED → RUNNING."""
        if self.status is not SessionStatus.CREATED:
            raise IllegalTransitionError(
                f"session {self.id}", self.status.value, SessionStatus.RUNNING.value, "use resume"
            )
        self._move(SessionStatus.RUNNING, at, "started")
        self.started_at = at

    def pause(self, reason: str, at: datetime) -> None:
        """Move RUNNING → PAUSED, recording why (the trader, a disconnect, a restart)."""
        if self.status is SessionStatus.ERROR:
            raise IllegalTransitionError(
                f"session {self.id}", self.status.value, SessionStatus.PAUSED.value, "use recover"
            )
        self._move(SessionStatus.PAUSED, at, text(reason, "pause reason", max_length=500))

    def resume(self, at: datetime) -> None:
        """Move PAUSED → RUNNING."""
        if self.status is not SessionStatus.PAUSED:
            raise IllegalTransitionError(
                f"session {self.id}", self.status.value, SessionStatus.RUNNING.value, "not paused"
            )
        self._move(SessionStatus.RUNNING, at, "resumed")

    def stop(self, reason: str, at: datetime) -> None:
        """Move to STOPPED for good."""
        self._move(SessionStatus.STOPPED, at, text(reason, "stop reason", max_length=500))
        self.stopped_at = at

    def fail(self, reason: str, at: datetime) -> None:
        """Move to ERROR, recording what went wrong."""
        self._move(SessionStatus.ERROR, at, text(reason, "error reason", max_length=500))

    def recover(self, reason: str, at: datetime) -> None:
        """Move ERROR → PAUSED once the trader has put right what failed."""
        if self.status is not SessionStatus.ERROR:
            raise IllegalTransitionError(
                f"session {self.id}", self.status.value, SessionStatus.PAUSED.value, "not in error"
            )
        self._move(SessionStatus.PAUSED, at, text(reason, "recovery reason", max_length=500))

    def _trade(self, target: TradingState, at: datetime) -> None:
        if target not in _TRADING_EDGES[self.trading_state]:
            raise IllegalTransitionError(
                f"session {self.id} trading state", self.trading_state.value, target.value
            )
        self.trading_state = target
        self.updated_at = aware(at, "session update time")

    def reduce_only(self, at: datetime) -> None:
        """Stop opening positions; exits and protective stops still run."""
        self._trade(TradingState.REDUCING, at)

    def halt(self, at: datetime) -> None:
        """Stop sending any order."""
        self._trade(TradingState.HALTED, at)

    def reactivate(self, at: datetime) -> None:
        """Allow entries again (next trading day, or a deliberate re-arm after a halt)."""
        self._trade(TradingState.ACTIVE, at)
