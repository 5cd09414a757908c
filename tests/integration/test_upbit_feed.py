"""Upbit's websocket as the app's market data: quotes as they change, minutes as they close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livetrader_gui.adapters.brokers.ccxt.upbit_feed import UpbitFeed
from livetrader_gui.application.ports import BrokerConnectionError
from livetrader_gui.domain import Candle, Quote
from tests.fakes import FakeClock
from tests.venues.market import until
from tests.venues.upbit_gateway import upbit_gateway

START = datetime(2026, 12, 1, 9, 0, 25, tzinfo=UTC)  # the socket opens within a minute


async def test_quotes_stream_and_each_minute_is_built_from_its_seconds_as_rest_has_it() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (_venue, gateway, base):
        await gateway.connect()
        feed = UpbitFeed(gateway, f"ws{base[4:]}/websocket/v1")
        facts: list[Quote | Candle] = []

        async def read() -> None:
            async for fact in feed.subscribe(["KRW-ETH", "KRW-BTC"]):
                facts.append(fact)

        reader = asyncio.create_task(read())
        try:
            for _ in range(160):  # to 09:03:05
                await until(
                    lambda: any(isinstance(f, Quote) and f.at == clock.now() for f in facts),
                    f"a quote of {clock.now()}",
                )
                clock.advance(1)
            await until(
                lambda: sum(isinstance(f, Candle) for f in facts) == 6, "three minutes of two"
            )
            rest = await gateway.get_historical_candles(
                "KRW-ETH", START.replace(second=0), START + timedelta(minutes=3)
            )
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    streamed = [f for f in facts if isinstance(f, Candle) and f.symbol == "KRW-ETH"]
    assert [c.start.minute for c in streamed] == [0, 1, 2]
    assert streamed == rest, "the minute the socket joined is REST's; the others built match"
    quotes = [f for f in facts if isinstance(f, Quote) and f.symbol == "KRW-ETH"]
    assert all(q.bid <= q.ask for q in quotes)
    assert len({q.last for q in quotes}) > 1


async def test_a_socket_the_venue_closes_ends_the_stream_with_a_connection_error() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (_venue, gateway, base):
        await gateway.connect()
        feed = UpbitFeed(gateway, f"ws{base[4:]}/websocket/v1")
        stream = feed.subscribe(["KRW-ETH"])
        first = await anext(stream)
    # Leaving the block stopped the venue, which closed its sockets.

    async def drain() -> None:
        async for _ in stream:
            pass

    with pytest.raises(BrokerConnectionError):
        await drain()

    assert isinstance(first, Quote)
