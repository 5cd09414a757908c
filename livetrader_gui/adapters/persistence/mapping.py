"""Conversions between domain objects and rows.

Rows are rebuilt into domain objects through their constructors, so a row that breaks a domain
rule (edited by hand, damaged) fails loudly with the domain's message instead of loading.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from livetrader_gui.adapters.persistence.tables import (
    AuditRow,
    BacktestRow,
    DailyBudgetRow,
    FillRow,
    OrderRow,
    SessionRow,
    SignalRow,
)
from livetrader_gui.domain import (
    AuditEntry,
    BacktestMetrics,
    BacktestResult,
    DailyBudget,
    ExecutionMode,
    Fill,
    LiveTradingSession,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    RiskConfig,
    RiskControls,
    SessionStatus,
    SignalReason,
    SignalStatus,
    Strategy,
    TradeDirection,
    TradingSignal,
    TradingState,
)
from livetrader_gui.domain.sizing import TradingCosts

_CONTROL_FIELDS = (
    "max_positions",
    "max_position_size_pct",
    "max_daily_loss_pct",
    "stop_loss_pct",
    "take_profit_pct",
)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def controls_columns(controls: RiskControls) -> dict[str, Any]:
    """Return the risk controls as column values."""
    return {name: getattr(controls, name) for name in _CONTROL_FIELDS}


def controls_from(values: Mapping[str, Any]) -> RiskControls:
    """Rebuild risk controls from column values or their JSON form."""
    return RiskControls(
        max_positions=int(values["max_positions"]),
        max_position_size_pct=Decimal(str(values["max_position_size_pct"])),
        max_daily_loss_pct=Decimal(str(values["max_daily_loss_pct"])),
        stop_loss_pct=_decimal(values["stop_loss_pct"]),
        take_profit_pct=_decimal(values["take_profit_pct"]),
    )


def strategy_columns(strategy: Strategy) -> dict[str, Any]:
    """Return *strategy* as the column values of ``StrategyRow``."""
    config = strategy.risk_config
    return {
        "id": strategy.id,
        "name": strategy.name,
        "symbols": list(strategy.symbols),
        "exchange": strategy.exchange,
        "entry_rule": strategy.entry_rule,
        "exit_rule": strategy.exit_rule,
        "position_pct": strategy.position_pct,
        **controls_columns(config.controls),
        "require_backtest_sharpe": config.require_backtest_sharpe,
        "require_paper_trading_days": config.require_paper_trading_days,
        "rules_hash": strategy.rules_hash,
        "created_at": strategy.created_at,
        "updated_at": strategy.updated_at,
    }


def strategy_from(values: dict[str, Any]) -> Strategy:
    """Rebuild a strategy from ``strategy_columns`` output, or its JSON form."""
    strategy = Strategy(
        id=values["id"],
        name=values["name"],
        symbols=tuple(values["symbols"]),
        exchange=values["exchange"],
        entry_rule=values["entry_rule"],
        exit_rule=values["exit_rule"],
        risk_config=RiskConfig(
            controls=controls_from(values),
            require_backtest_sharpe=Decimal(str(values["require_backtest_sharpe"])),
            require_paper_trading_days=int(values["require_paper_trading_days"]),
        ),
        position_pct=Decimal(str(values["position_pct"])),
        created_at=_time(values["created_at"]),
        updated_at=_time(values["updated_at"]),
    )
    stored_hash = values.get("rules_hash")
    if stored_hash is not None and stored_hash != strategy.rules_hash:
        # Either the row was edited by hand or the hash scheme changed: both void evidence.
        raise ValueError(
            f"strategy {strategy.id}: stored rules hash {stored_hash} does not match its rules"
        )
    return strategy


def strategy_json(strategy: Strategy) -> dict[str, Any]:
    """Return *strategy* as a JSON-ready document (Decimals and times as text)."""
    result: dict[str, Any] = {}
    for key, value in strategy_columns(strategy).items():
        if isinstance(value, Decimal):
            result[key] = str(value)
        elif isinstance(value, datetime):
            result[key] = value.isoformat()
        else:
            result[key] = value
    return result


def session_row(session: LiveTradingSession) -> SessionRow:
    """Return *session* as a row."""
    return SessionRow(
        id=session.id,
        strategy_id=session.strategy.id,
        strategy_snapshot=strategy_json(session.strategy),
        rules_hash=session.rules_hash,
        broker_id=session.broker_id,
        symbols=list(session.symbols),
        execution_mode=session.execution_mode.value,
        is_paper=session.is_paper,
        **controls_columns(session.risk_controls),
        status=session.status.value,
        trading_state=session.trading_state.value,
        status_reason=session.status_reason,
        created_at=session.created_at,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        updated_at=session.updated_at or session.created_at,
    )


def session_from(row: SessionRow) -> LiveTradingSession:
    """Rebuild a session from its row."""
    return LiveTradingSession(
        id=row.id,
        strategy=strategy_from(row.strategy_snapshot),
        broker_id=row.broker_id,
        symbols=tuple(row.symbols),
        execution_mode=ExecutionMode(row.execution_mode),
        risk_controls=controls_from({name: getattr(row, name) for name in _CONTROL_FIELDS}),
        created_at=row.created_at,
        is_paper=row.is_paper,
        status=SessionStatus(row.status),
        trading_state=TradingState(row.trading_state),
        status_reason=row.status_reason,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        updated_at=row.updated_at,
    )


def order_row(order: Order) -> OrderRow:
    """Return *order* as a row (its fills are stored apart)."""
    request = order.request
    return OrderRow(
        client_order_id=request.client_order_id,
        session_id=order.session_id,
        broker_id=order.broker_id,
        symbol=request.symbol,
        direction=request.direction.value,
        order_type=request.order_type.value,
        quantity=request.quantity,
        limit_price=request.limit_price,
        status=order.status.value,
        broker_order_id=order.broker_order_id,
        filled_quantity=order.filled_quantity,
        average_fill_price=order.average_fill_price,
        reject_reason=order.reject_reason,
        created_at=order.created_at,
        updated_at=order.updated_at or order.created_at,
    )


def order_from(row: OrderRow, fill_ids: set[str]) -> Order:
    """Rebuild an order from its row and the ids of its stored fills."""
    request = OrderRequest(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        direction=TradeDirection(row.direction),
        order_type=OrderType(row.order_type),
        quantity=row.quantity,
        limit_price=row.limit_price,
    )
    return Order(
        request=request,
        created_at=row.created_at,
        session_id=row.session_id,
        broker_id=row.broker_id,
        status=OrderStatus(row.status),
        broker_order_id=row.broker_order_id,
        filled_quantity=row.filled_quantity,
        average_fill_price=row.average_fill_price,
        reject_reason=row.reject_reason,
        updated_at=row.updated_at,
        fill_ids=fill_ids,
    )


def fill_row(fill: Fill, broker_id: str, broker_order_id: str) -> FillRow:
    """Return *fill* of the order *broker_order_id* held by *broker_id* as a row."""
    return FillRow(
        broker_id=broker_id,
        broker_order_id=broker_order_id,
        fill_id=fill.fill_id,
        client_order_id=fill.client_order_id,
        symbol=fill.symbol,
        direction=fill.direction.value,
        quantity=fill.quantity,
        price=fill.price,
        commission=fill.commission,
        tax=fill.tax,
        fee_quantity=fill.fee_quantity,
        at=fill.at,
    )


def fill_from(row: FillRow) -> Fill:
    """Rebuild a fill from its row."""
    return Fill(
        fill_id=row.fill_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        direction=TradeDirection(row.direction),
        quantity=row.quantity,
        price=row.price,
        at=row.at,
        commission=row.commission,
        tax=row.tax,
        fee_quantity=row.fee_quantity,
    )


def backtest_row(result: BacktestResult) -> BacktestRow:
    """Return *result* as a row."""
    metrics = result.metrics
    return BacktestRow(
        id=result.id,
        strategy_id=result.strategy_id,
        rules_hash=result.rules_hash,
        symbols=list(result.symbols),
        start=result.start,
        end=result.end,
        initial_capital=result.initial_capital,
        final_equity=result.final_equity,
        total_return_pct=metrics.total_return_pct,
        cagr_pct=metrics.cagr_pct,
        sharpe_ratio=metrics.sharpe_ratio,
        sortino_ratio=metrics.sortino_ratio,
        max_drawdown_pct=metrics.max_drawdown_pct,
        win_rate_pct=metrics.win_rate_pct,
        num_trades=metrics.num_trades,
        exposure_pct=metrics.exposure_pct,
        created_at=result.created_at,
        details=_backtest_details(result),
    )


def _backtest_details(result: BacktestResult) -> dict[str, Any]:
    costs = result.costs
    return {
        "curve": [[at.isoformat(), str(value)] for at, value in result.curve],
        "costs": None
        if costs is None
        else {
            "commission_rate": str(costs.commission_rate),
            "sell_tax_rate": str(costs.sell_tax_rate),
            "slippage_ticks": costs.slippage_ticks,
        },
    }


def backtest_from(row: BacktestRow) -> BacktestResult:
    """Rebuild a backtest result from its row."""
    return BacktestResult(
        id=row.id,
        strategy_id=row.strategy_id,
        rules_hash=row.rules_hash,
        symbols=tuple(row.symbols),
        start=row.start,
        end=row.end,
        initial_capital=row.initial_capital,
        final_equity=row.final_equity,
        metrics=BacktestMetrics(
            total_return_pct=row.total_return_pct,
            cagr_pct=row.cagr_pct,
            sharpe_ratio=row.sharpe_ratio,
            sortino_ratio=row.sortino_ratio,
            max_drawdown_pct=row.max_drawdown_pct,
            win_rate_pct=row.win_rate_pct,
            num_trades=row.num_trades,
            exposure_pct=row.exposure_pct,
        ),
        created_at=row.created_at,
        curve=tuple(
            (datetime.fromisoformat(at), Decimal(value))
            for at, value in (row.details or {}).get("curve", ())
        ),
        costs=_costs_from((row.details or {}).get("costs")),
    )


def _costs_from(values: dict[str, Any] | None) -> TradingCosts | None:
    if values is None:
        return None
    return TradingCosts(
        Decimal(values["commission_rate"]),
        Decimal(values["sell_tax_rate"]),
        int(values["slippage_ticks"]),
    )


def audit_row(entry: AuditEntry) -> AuditRow:
    """Return *entry* as a row."""
    return AuditRow(
        entry_id=entry.id,
        at=entry.at,
        kind=entry.kind,
        session_id=entry.session_id,
        message=entry.message,
        data={k: list(v) if isinstance(v, tuple) else v for k, v in entry.data.items()},
    )


def audit_from(row: AuditRow) -> AuditEntry:
    """Rebuild a journal entry from its row."""
    return AuditEntry(
        kind=row.kind,
        message=row.message,
        at=row.at,
        session_id=row.session_id,
        data=row.data,
        id=row.entry_id,
    )


def signal_row(signal: TradingSignal) -> SignalRow:
    """Return *signal* as a row."""
    return SignalRow(
        id=signal.id,
        session_id=signal.session_id,
        symbol=signal.symbol,
        direction=signal.direction.value,
        price=signal.price,
        quantity=signal.quantity,
        reason=signal.reason.value,
        status=signal.status.value,
        status_detail=signal.status_detail,
        created_at=signal.created_at,
        expires_at=signal.expires_at,
    )


def signal_from(row: SignalRow) -> TradingSignal:
    """Rebuild a signal from its row."""
    return TradingSignal(
        session_id=row.session_id,
        symbol=row.symbol,
        direction=TradeDirection(row.direction),
        price=row.price,
        quantity=row.quantity,
        reason=SignalReason(row.reason),
        created_at=row.created_at,
        expires_at=row.expires_at,
        id=row.id,
        status=SignalStatus(row.status),
        status_detail=row.status_detail,
    )


def budget_row(budget: DailyBudget) -> DailyBudgetRow:
    """Return *budget* as a row."""
    return DailyBudgetRow(
        session_id=budget.session_id,
        trading_day=budget.trading_day,
        start_of_day_equity=budget.start_of_day_equity,
        realized_at_start=budget.realized_at_start,
        unrealized_at_start=budget.unrealized_at_start,
        limit_reached_at=budget.limit_reached_at,
    )


def budget_from(row: DailyBudgetRow) -> DailyBudget:
    """Rebuild a daily budget from its row."""
    return DailyBudget(
        row.session_id,
        row.trading_day,
        row.start_of_day_equity,
        row.realized_at_start,
        row.unrealized_at_start,
        row.limit_reached_at,
    )
