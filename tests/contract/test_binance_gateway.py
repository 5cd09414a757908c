"""The ccxt gateway on Binance Spot passes the gateway contract against the local Binance.

The venue runs on 127.0.0.1 with its market's time on the test's clock, so the contract's
levers work over the real wire protocol: time moves, an answer is lost, a 429 comes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest_asyncio

from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.fakes import FakeClock
from tests.venues.binance_gateway import binance_gateway
from tests.venues.market import caught_up


class TestBinanceGatewayContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self, _no_leaked_tasks: None) -> AsyncIterator[GatewayHarness]:
        # Asking for the leak check makes it run after this fixture has closed the venue.
        clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        # Fees are paid with BNB, so the coins bought are held whole; a second of the market
        # trades one ETH to a resting order: 5 ETH fill in parts.
        async with binance_gateway(clock, liquidity=Decimal(1), bnb=Decimal(10), bnb_fees=True) as (
            venue,
            gateway,
            _base,
        ):
            await gateway.connect()
            yield GatewayHarness(
                gateway=gateway,
                symbol="ETHUSDT",
                clock=clock,
                advance=clock.advance,
                # Across a network, a link that drops shows at the next request
                # (tests/integration/test_binance_gateway.py shows it does).
                drop_link=None,
                lose_next_answer=lambda: venue.faults.switch("lose_answer"),
                rate_limit=lambda seconds: venue.faults.switch("rate_limit", seconds=seconds),
                parts=5,
                parts_rest=True,
                caught_up=lambda: caught_up(venue, gateway),
            )
            await gateway.disconnect()
