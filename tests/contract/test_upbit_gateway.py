"""The ccxt gateway on Upbit passes the gateway contract against the local Upbit.

The venue runs on 127.0.0.1 with its market's time on the test's clock, so the contract's
levers work over the real wire protocol: time moves, an answer is lost, a 429 comes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest_asyncio

from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.fakes import FakeClock
from tests.venues.market import caught_up
from tests.venues.upbit_gateway import upbit_gateway


class TestUpbitGatewayContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self, _no_leaked_tasks: None) -> AsyncIterator[GatewayHarness]:
        # Asking for the leak check makes it run after this fixture has closed the venue.
        clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        # A second of the market trades one ETH to the account: 5 ETH fill in parts.
        async with upbit_gateway(clock, liquidity=Decimal(1)) as (venue, gateway, base):
            await gateway.connect()

            async def switch(fault: str, times: int = 1) -> None:
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(
                        f"{base}/_venue/faults", data=json.dumps({"fault": fault, "times": times})
                    ) as answer,
                ):
                    answer.raise_for_status()

            yield GatewayHarness(
                gateway=gateway,
                symbol="KRW-ETH",
                clock=clock,
                advance=clock.advance,
                # Across a network, a link that drops shows at the next request
                # (tests/integration/test_upbit_gateway.py shows it does).
                drop_link=None,
                lose_next_answer=lambda: venue.switch("lose_answer"),
                rate_limit=lambda _seconds: venue.switch("rate_limit"),
                parts=5,
                caught_up=lambda: caught_up(venue, gateway),
            )
            await gateway.disconnect()
