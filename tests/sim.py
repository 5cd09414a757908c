"""A simulated broker on a fake clock, for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from livetrader_gui.adapters.brokers.simulated import (
    LedgerConfig,
    SimulatedBroker,
    SimulatedBrokerConfig,
)
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.domain import OrderRequest, OrderType, TradeDirection, new_client_order_id
from tests.fakes import FakeClock

MARKET_OPEN_T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 KST


def sim_broker(
    calendar: ExchangeTradingCalendar, start: datetime = MARKET_OPEN_T0, **ledger: Any
) -> tuple[SimulatedBroker, FakeClock]:
    clock = FakeClock(start)
    config = SimulatedBrokerConfig(ledger=replace(LedgerConfig(), **ledger))
    return SimulatedBroker(calendar, clock, config), clock


def buy(
    quantity: int | str, symbol: str = "005930", limit: Decimal | None = None, **kw: Any
) -> OrderRequest:
    return request(TradeDirection.BUY, quantity, symbol, limit, **kw)


def sell(
    quantity: int | str, symbol: str = "005930", limit: Decimal | None = None, **kw: Any
) -> OrderRequest:
    return request(TradeDirection.SELL, quantity, symbol, limit, **kw)


def request(
    direction: TradeDirection,
    quantity: int | str,
    symbol: str,
    limit: Decimal | None,
    client_id: str | None = None,
) -> OrderRequest:
    return OrderRequest(
        client_order_id=client_id or new_client_order_id(),
        symbol=symbol,
        direction=direction,
        order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        quantity=Decimal(quantity),
        limit_price=limit,
    )
