"""The tests' scripted broker passes the gateway contract: what the runner's tests rely on is
what a real venue does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0

SAMSUNG = "005930"
MINUTE = timedelta(minutes=1)


class TestFakeBrokerContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self) -> AsyncIterator[GatewayHarness]:
        clock = FakeClock(MARKET_OPEN_T0)
        broker = FakeBroker(clock, (SAMSUNG,))
        broker.fill_parts = 4  # one part a second

        def advance(seconds: float) -> None:
            """Move time on, closing each minute that ends on the way at the same price."""
            target = clock.now() + timedelta(seconds=seconds)
            while True:
                boundary = clock.now().replace(second=0, microsecond=0) + MINUTE
                if boundary > target:
                    clock.advance_to(target)
                    return
                clock.advance_to(boundary)
                broker.close_minute(SAMSUNG, 70_000)

        advance(180)

        def rate_limit(seconds: float) -> None:
            broker.rate_limited_until = clock.now() + timedelta(seconds=seconds)

        def drop() -> None:
            broker.connected = False

        def lose() -> None:
            broker.lose_answers = 1

        yield GatewayHarness(
            gateway=broker,
            symbol=SAMSUNG,
            clock=clock,
            advance=advance,
            drop_link=drop,
            lose_next_answer=lose,
            rate_limit=rate_limit,
            parts=8,
        )
