"""SIM, the embedded simulated broker, passes the gateway contract."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.sim import sim_broker


class TestSimulatedBrokerContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self, xkrx: ExchangeTradingCalendar) -> AsyncIterator[GatewayHarness]:
        broker, clock = sim_broker(xkrx)
        await broker.connect()
        yield GatewayHarness(
            gateway=broker,
            symbol="005930",
            advance=clock.advance,
            drop_link=broker.faults.disconnect,
            lose_next_answer=lambda: broker.faults.lose_next_order_answers(1),
        )
        await broker.disconnect()
