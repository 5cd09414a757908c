"""The ccxt gateway on a local Binance Spot served in the test's own process, on the test's
clock."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import aiohttp
import ccxt.async_support as ccxt_async

from livetrader_gui.adapters.brokers.ccxt.binance_gateway import BinanceGateway
from livetrader_gui.adapters.brokers.ccxt.exact import exact_class
from livetrader_gui.adapters.brokers.ccxt.venues import BINANCE, VenueProfile
from livetrader_gui.adapters.brokers.connections import venue_exchange
from livetrader_gui.adapters.credentials import ApiKey
from livetrader_gui.application.ports import Clock
from tests.fakes import FakeClock
from tests.venues.binance import BinanceVenue, make_app
from tests.venues.market import serving

KEY, SECRET = "binance-key", "binance-secret"


def binance_exchange(
    base: str, key: str = KEY, secret: str = SECRET, timeout: float = 5.0,
    profile: VenueProfile = BINANCE,
) -> object:  # fmt: skip
    """Return ccxt's Binance, keeping numbers exact, aimed at the venue at *base*."""
    exchange_class = exact_class(ccxt_async.binance)
    return venue_exchange(exchange_class, profile, ApiKey(key, secret), base, timeout)


@asynccontextmanager
async def binance_gateway(
    clock: FakeClock,
    *,
    liquidity: Decimal = Decimal(1),
    usdt: Decimal = Decimal(1_000_000),
    bnb: Decimal = Decimal(0),
    bnb_fees: bool = False,
    timer: Clock | None = None,
    secret: str = SECRET,
    answer_within: float = 5.0,
    clock_skew: float = 0.0,
    weight_limit: int = 1_000_000,
    profile: VenueProfile = BINANCE,
    account_stream: bool = True,
) -> AsyncIterator[tuple[BinanceVenue, BinanceGateway, str]]:
    """Yield a local Binance on *clock*'s time, a gateway to it (not connected) and its
    address. Requests are signed with real time, which the venue checks them against (its
    server time is *clock_skew* seconds ahead)."""
    venue = BinanceVenue(
        KEY,
        SECRET,
        usdt=usdt,
        bnb=bnb,
        bnb_fees=bnb_fees,
        liquidity=liquidity,
        clock=lambda: clock.now().timestamp(),
        timer=(lambda: timer.now().timestamp()) if timer else lambda: clock.now().timestamp(),
        wall=lambda: time.time() + clock_skew,
        weight_limit=weight_limit,
        order_limit=1_000_000 if weight_limit > 6000 else 100,
    )
    async with serving(make_app(venue)) as base:

        def exchange() -> object:
            return binance_exchange(base, secret=secret, timeout=answer_within)

        stream = f"ws{base[4:]}/ws-api/v3" if account_stream else None
        gateway = BinanceGateway(profile, exchange, clock, timer=timer, account_stream=stream)
        try:
            yield venue, gateway, base
        finally:
            await gateway.disconnect()


async def switch(base: str, fault: str, times: int = 1, seconds: float | None = None) -> None:
    """Switch a fault on at the venue at *base* (its test switch, not Binance's API)."""
    body = {"fault": fault, "times": times, "seconds": seconds}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/_venue/faults", data=json.dumps(body)) as answer,
    ):
        answer.raise_for_status()
