"""The domain model: entities, value objects, state machines and errors (standard library only)."""

from livetrader_gui.domain.account import Account, AccountStatus, Balance
from livetrader_gui.domain.audit import AuditEntry
from livetrader_gui.domain.backtest import BacktestMetrics, BacktestResult
from livetrader_gui.domain.errors import DomainError, IllegalTransitionError, InvalidValueError
from livetrader_gui.domain.instrument import (
    KRX_STOCK_TICKS,
    Instrument,
    PriceRounding,
    TickBand,
    TickTable,
)
from livetrader_gui.domain.market import Candle, Quote
from livetrader_gui.domain.orders import (
    DEFAULT_CLIENT_ORDER_IDS,
    ClientOrderIds,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    TradeDirection,
    new_client_order_id,
)
from livetrader_gui.domain.paper import DEFAULT_PAPER_CAPITAL, PaperTradingSession
from livetrader_gui.domain.position import Position
from livetrader_gui.domain.prerequisites import (
    PreRequisiteCheck,
    PrerequisiteItem,
    PrerequisiteKind,
)
from livetrader_gui.domain.risk import DailyBudget, RiskStatus
from livetrader_gui.domain.risk_rules import EntryProposal, RiskDecision, RiskReason
from livetrader_gui.domain.session import (
    ExecutionMode,
    LiveTradingSession,
    SessionStatus,
    TradingState,
)
from livetrader_gui.domain.signals import SignalReason, SignalStatus, TradingSignal
from livetrader_gui.domain.strategy import RiskConfig, RiskControls, Strategy

__all__ = [
    "DEFAULT_CLIENT_ORDER_IDS",
    "DEFAULT_PAPER_CAPITAL",
    "KRX_STOCK_TICKS",
    "Account",
    "AccountStatus",
    "AuditEntry",
    "BacktestMetrics",
    "BacktestResult",
    "Balance",
    "Candle",
    "ClientOrderIds",
    "DailyBudget",
    "DomainError",
    "EntryProposal",
    "ExecutionMode",
    "Fill",
    "IllegalTransitionError",
    "Instrument",
    "InvalidValueError",
    "LiveTradingSession",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "PaperTradingSession",
    "Position",
    "PreRequisiteCheck",
    "PrerequisiteItem",
    "PrerequisiteKind",
    "PriceRounding",
    "Quote",
    "RiskConfig",
    "RiskControls",
    "RiskDecision",
    "RiskReason",
    "RiskStatus",
    "SessionStatus",
    "SignalReason",
    "SignalStatus",
    "Strategy",
    "TickBand",
    "TickTable",
    "TradeDirection",
    "TradingSignal",
    "TradingState",
    "new_client_order_id",
]
