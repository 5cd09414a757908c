"""The ccxt gateway on a local Upbit served in the test's own process, on the test's clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import ccxt.async_support as ccxt_async

from livetrader_gui.adapters.brokers.ccxt.exact import exact_class
from livetrader_gui.adapters.brokers.ccxt.upbit_gateway import UpbitGateway
from livetrader_gui.adapters.brokers.ccxt.venues import UPBIT
from livetrader_gui.application.ports import Clock
from tests.fakes import FakeClock
from tests.venues.market import serving as serve_app
from tests.venues.upbit import UpbitVenue, make_app

KEY, SECRET = "access-key", "secret-key"
# The contract's levers bring their own 429s; the venue's own limits are tested in real time.
ROOMY = {"market": 10_000, "default": 10_000, "order": 10_000}


@asynccontextmanager
async def serving(venue: UpbitVenue) -> AsyncIterator[str]:
    """Serve *venue* on a free port of 127.0.0.1; yield its address."""
    async with serve_app(make_app(venue)) as base:
        yield base


def upbit_exchange(base: str, key: str = KEY, secret: str = SECRET, timeout: float = 5.0) -> object:
    """Return ccxt's Upbit, keeping numbers exact, aimed at the venue at *base*."""
    exchange_class = exact_class(ccxt_async.upbit)
    return exchange_class(
        {
            "apiKey": key,
            "secret": secret,
            "timeout": int(timeout * 1000),
            "urls": {"api": {"public": base, "private": base}},
        }
    )


@asynccontextmanager
async def upbit_gateway(
    clock: FakeClock,
    *,
    liquidity: Decimal = Decimal(1),
    krw: Decimal = Decimal(1_000_000_000),
    limits: dict[str, int] | None = None,
    timer: Clock | None = None,
    secret: str = SECRET,
    answer_within: float = 5.0,
    account_stream: bool = True,
) -> AsyncIterator[tuple[UpbitVenue, UpbitGateway, str]]:
    """Yield a local Upbit on *clock*'s time, a gateway to it (not connected) and its address."""
    venue = UpbitVenue(
        KEY,
        SECRET,
        krw=krw,
        liquidity=liquidity,
        clock=lambda: clock.now().timestamp(),
        timer=(lambda: timer.now().timestamp()) if timer else lambda: clock.now().timestamp(),
        limits=ROOMY if limits is None else limits,
    )
    async with serving(venue) as base:

        def exchange() -> object:
            return upbit_exchange(base, secret=secret, timeout=answer_within)

        gateway = UpbitGateway(
            UPBIT, exchange, clock, timer=timer,
            account_stream=f"ws{base[4:]}/websocket/v1/private" if account_stream else None,
        )  # fmt: skip
        try:
            yield venue, gateway, base
        finally:
            await gateway.disconnect()
