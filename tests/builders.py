"""Builders of valid domain values, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from livetrader_gui.domain import (
    KRX_STOCK_TICKS,
    ExecutionMode,
    Fill,
    Instrument,
    LiveTradingSession,
    Order,
    OrderRequest,
    OrderType,
    RiskConfig,
    RiskControls,
    Strategy,
    TradeDirection,
    new_client_order_id,
)

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 KST, a Tuesday KRX session


def samsung() -> Instrument:
    return Instrument("005930", "Samsung Electronics", "XKRX", "KRW", KRX_STOCK_TICKS)


def risk_controls(**overrides: Any) -> RiskControls:
    values: dict[str, Any] = {
        "max_positions": 3,
        "max_position_size_pct": Decimal(20),
        "max_daily_loss_pct": Decimal(2),
        "stop_loss_pct": Decimal(3),
        "take_profit_pct": Decimal(6),
    }
    values.update(overrides)
    return RiskControls(**values)


def strategy(**overrides: Any) -> Strategy:
    values: dict[str, Any] = {
        "id": "strat-1",
        "name": "SMA pullback",
        "symbols": ("005930",),
        "exchange": "XKRX",
        "entry_rule": "close > sma(close, 20) and rsi(close, 14) < 30",
        "exit_rule": "rsi(close, 14) > 70",
        "risk_config": RiskConfig(risk_controls()),
        "position_pct": Decimal(10),
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Strategy(**values)


def session(**overrides: Any) -> LiveTradingSession:
    values: dict[str, Any] = {
        "id": "sess-1",
        "strategy": strategy(),
        "broker_id": "SIM",
        "symbols": ("005930",),
        "execution_mode": ExecutionMode.AUTO,
        "risk_controls": risk_controls(),
        "created_at": T0,
    }
    values.update(overrides)
    return LiveTradingSession(**values)


def order(
    quantity: int | Decimal = 10,
    direction: TradeDirection = TradeDirection.BUY,
    limit: Decimal | None = None,
    **overrides: Any,
) -> Order:
    request = OrderRequest(
        client_order_id=overrides.pop("client_order_id", new_client_order_id()),
        symbol=overrides.pop("symbol", "005930"),
        direction=direction,
        order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        quantity=Decimal(quantity),
        limit_price=limit,
    )
    return Order(request=request, created_at=overrides.pop("created_at", T0), **overrides)


def fill_for(
    target: Order,
    quantity: int | Decimal,
    price: int = 72_000,
    fill_id: str = "F1",
    **overrides: Any,
) -> Fill:
    values: dict[str, Any] = {
        "fill_id": fill_id,
        "client_order_id": target.client_order_id,
        "symbol": target.symbol,
        "direction": target.request.direction,
        "quantity": Decimal(quantity),
        "price": Decimal(price),
        "at": T0,
    }
    values.update(overrides)
    return Fill(**values)
