"""SIM, the embedded simulated broker, passes the gateway contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest_asyncio

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.sim import sim_broker


class TestSimulatedBrokerContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self, xkrx: ExchangeTradingCalendar) -> AsyncIterator[GatewayHarness]:
        # The market trades one share a second to the account: an order of 5 fills in parts.
        broker, clock = sim_broker(xkrx, participation=Decimal("0.000001"))
        await broker.connect()
        yield GatewayHarness(
            gateway=broker,
            symbol="005930",
            clock=clock,
            advance=clock.advance,
            drop_link=broker.faults.disconnect,
            lose_next_answer=lambda: broker.faults.lose_next_order_answers(1),
            rate_limit=lambda s: broker.faults.rate_limit(clock.now() + timedelta(seconds=s)),
            parts=5,
        )
        await broker.disconnect()
