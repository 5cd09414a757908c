"""Frozen snapshots: what observers and the UI receive instead of live domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain import (
    Candle,
    ExecutionMode,
    LiveTradingSession,
    Order,
    OrderStatus,
    OrderType,
    Position,
    SessionStatus,
    SignalReason,
    SignalStatus,
    TradeDirection,
    TradingSignal,
    TradingState,
)
from livetrader_gui.processing import IndicatorScale as IndicatorScale  # for the chart


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """A session as the sessions panel shows it."""

    session_id: str
    strategy_name: str
    broker_id: str
    symbols: tuple[str, ...]
    execution_mode: ExecutionMode
    status: SessionStatus
    trading_state: TradingState
    status_reason: str
    is_paper: bool
    updated_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, session: LiveTradingSession) -> SessionSnapshot:
        """Freeze *session*."""
        return cls(
            session_id=session.id,
            strategy_name=session.strategy.name,
            broker_id=session.broker_id,
            symbols=session.symbols,
            execution_mode=session.execution_mode,
            status=session.status,
            trading_state=session.trading_state,
            status_reason=session.status_reason,
            is_paper=session.is_paper,
            updated_at=session.updated_at or session.created_at,
            created_at=session.created_at,
        )


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the orders table shows it."""

    client_order_id: str
    session_id: str | None
    symbol: str
    direction: TradeDirection
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reject_reason: str | None
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderSnapshot:
        """Freeze *order*."""
        return cls(
            client_order_id=order.client_order_id,
            session_id=order.session_id,
            symbol=order.symbol,
            direction=order.request.direction,
            order_type=order.request.order_type,
            quantity=order.request.quantity,
            limit_price=order.request.limit_price,
            status=order.status,
            filled_quantity=order.filled_quantity,
            average_fill_price=order.average_fill_price,
            reject_reason=order.reject_reason,
            updated_at=order.updated_at or order.created_at,
        )


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """A position as the positions table shows it."""

    session_id: str
    symbol: str
    quantity: Decimal
    average_price: Decimal
    last_price: Decimal | None
    unrealized_pnl: Decimal
    realized_pnl: Decimal

    @classmethod
    def of(cls, session_id: str, position: Position) -> PositionSnapshot:
        """Freeze *position*."""
        return cls(
            session_id=session_id,
            symbol=position.symbol,
            quantity=position.quantity,
            average_price=position.average_price,
            last_price=position.last_price,
            unrealized_pnl=position.unrealized_pnl,
            realized_pnl=position.realized_pnl,
        )


@dataclass(frozen=True, slots=True)
class SignalSnapshot:
    """A signal as the signals table shows it."""

    signal_id: str
    session_id: str
    symbol: str
    direction: TradeDirection
    price: Decimal
    quantity: Decimal
    reason: SignalReason
    status: SignalStatus
    status_detail: str
    created_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, signal: TradingSignal) -> SignalSnapshot:
        """Freeze *signal*."""
        return cls(
            signal_id=signal.id,
            session_id=signal.session_id,
            symbol=signal.symbol,
            direction=signal.direction,
            price=signal.price,
            quantity=signal.quantity,
            reason=signal.reason,
            status=signal.status,
            status_detail=signal.status_detail,
            created_at=signal.created_at,
            expires_at=signal.expires_at,
        )


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """One indicator of a session's rules on one candle (NaN while it warms up)."""

    label: str
    scale: IndicatorScale
    value: float


@dataclass(frozen=True, slots=True)
class BarSnapshot:
    """A closed candle of a session's symbol with its rules' indicators, for the chart."""

    session_id: str
    candle: Candle
    indicators: tuple[IndicatorValue, ...] = ()

    @property
    def symbol(self) -> str:
        """Return the candle's symbol."""
        return self.candle.symbol


class LogLevel(Enum):
    """How much a log line matters to the trader."""

    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the activity log ("entry on 005930 refused: max positions 3/3")."""

    at: datetime
    level: LogLevel
    message: str
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class MarketStatusSnapshot:
    """A broker's link and its exchange's state, as the status bar shows them."""

    broker_id: str
    display_name: str
    connected: bool
    exchange: str
    exchange_timezone: str
    exchange_time: datetime
    is_open: bool
    next_open: datetime | None
    stale_symbols: tuple[str, ...]
    simulated_clock: bool
