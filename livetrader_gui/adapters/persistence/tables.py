"""The database schema. Changing it requires an Alembic migration (a test checks for drift)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from livetrader_gui.adapters.persistence.types import DecimalText, IsoDate, JsonText, UtcDateTime

# Named constraints so that batch migrations on SQLite can find them again.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Rows of the LiveTrader database (adapters' own classes, not the domain's)."""

    metadata = MetaData(naming_convention=NAMING)


class RiskControlColumns:
    """The session limits (``RiskControls``), stored alike by strategies and sessions."""

    max_positions: Mapped[int] = mapped_column(Integer)
    max_position_size_pct: Mapped[Decimal] = mapped_column(DecimalText)
    max_daily_loss_pct: Mapped[Decimal] = mapped_column(DecimalText)
    stop_loss_pct: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    take_profit_pct: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class StrategyRow(RiskControlColumns, Base):
    __tablename__ = "strategies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    symbols: Mapped[list[str]] = mapped_column(JsonText)
    exchange: Mapped[str] = mapped_column(String(32))
    entry_rule: Mapped[str] = mapped_column(Text)
    exit_rule: Mapped[str] = mapped_column(Text)
    position_pct: Mapped[Decimal] = mapped_column(DecimalText)
    require_backtest_sharpe: Mapped[Decimal] = mapped_column(DecimalText)
    require_paper_trading_days: Mapped[int] = mapped_column(Integer)
    rules_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SessionRow(RiskControlColumns, Base):
    __tablename__ = "live_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    strategy_id: Mapped[str] = mapped_column(String(64), index=True)
    # The strategy version the session runs, frozen at start: later edits do not change it.
    strategy_snapshot: Mapped[dict[str, Any]] = mapped_column(JsonText)
    rules_hash: Mapped[str] = mapped_column(String(64))
    broker_id: Mapped[str] = mapped_column(String(32))
    symbols: Mapped[list[str]] = mapped_column(JsonText)
    execution_mode: Mapped[str] = mapped_column(String(16))
    is_paper: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), index=True)
    trading_state: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_session_status", "session_id", "status"),)

    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Who holds the order: a broker, or a paper account (PAPER-<session id>).
    broker_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    symbol: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(4))
    order_type: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    limit_price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(96), nullable=True)
    filled_quantity: Mapped[Decimal] = mapped_column(DecimalText)
    average_fill_price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FillRow(Base):
    __tablename__ = "fills"
    # A broker numbers fills within its own orders: the three ids together name one fill.
    __table_args__ = (UniqueConstraint("broker_id", "broker_order_id", "fill_id"),)

    # The order fills were recorded in: a restart replays them in it, whatever their times.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broker_id: Mapped[str] = mapped_column(String(32))
    broker_order_id: Mapped[str] = mapped_column(String(96))
    fill_id: Mapped[str] = mapped_column(String(96))
    client_order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("orders.client_order_id"), index=True
    )
    symbol: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    commission: Mapped[Decimal] = mapped_column(DecimalText)
    tax: Mapped[Decimal] = mapped_column(DecimalText)
    # What the venue kept of a buy's quantity as its fee (Binance's fee in the coin bought).
    fee_quantity: Mapped[Decimal] = mapped_column(DecimalText, server_default="0")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Why the fill is left out when positions are rebuilt (a history the trader recovered):
    # kept, never deleted, so that nothing the broker reported is lost.
    excluded: Mapped[str | None] = mapped_column(Text, nullable=True)


class BacktestRow(Base):
    __tablename__ = "backtest_results"
    __table_args__ = (
        Index("ix_backtests_strategy_hash", "strategy_id", "rules_hash", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    strategy_id: Mapped[str] = mapped_column(String(64))
    rules_hash: Mapped[str] = mapped_column(String(64))
    symbols: Mapped[list[str]] = mapped_column(JsonText)
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    initial_capital: Mapped[Decimal] = mapped_column(DecimalText)
    final_equity: Mapped[Decimal] = mapped_column(DecimalText)
    total_return_pct: Mapped[Decimal] = mapped_column(DecimalText)
    cagr_pct: Mapped[Decimal] = mapped_column(DecimalText)
    sharpe_ratio: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    sortino_ratio: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    max_drawdown_pct: Mapped[Decimal] = mapped_column(DecimalText)
    win_rate_pct: Mapped[Decimal] = mapped_column(DecimalText)
    num_trades: Mapped[int] = mapped_column(Integer)
    exposure_pct: Mapped[Decimal] = mapped_column(DecimalText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The daily equity curve and the costs charged (None: a result stored before 0005).
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonText, nullable=True)


class PaperSessionRow(Base):
    __tablename__ = "paper_sessions"
    __table_args__ = (Index("ix_paper_sessions_strategy_hash", "strategy_id", "rules_hash"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    strategy_id: Mapped[str] = mapped_column(String(64))
    rules_hash: Mapped[str] = mapped_column(String(64))
    live_session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    capital: Mapped[Decimal] = mapped_column(DecimalText)


class PaperDayRow(Base):
    __tablename__ = "paper_trading_days"

    paper_session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("paper_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(IsoDate, primary_key=True)


class AuditRow(Base):
    __tablename__ = "audit_journal"

    # The integer key keeps insertion order even when two entries share a timestamp.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonText)


class SignalRow(Base):
    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_session_created", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(4))
    price: Mapped[Decimal] = mapped_column(DecimalText)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DailyBudgetRow(Base):
    __tablename__ = "daily_budgets"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trading_day: Mapped[date] = mapped_column(IsoDate, primary_key=True)
    start_of_day_equity: Mapped[Decimal] = mapped_column(DecimalText)
    realized_at_start: Mapped[Decimal] = mapped_column(DecimalText)
    unrealized_at_start: Mapped[Decimal] = mapped_column(DecimalText)
    limit_reached_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
