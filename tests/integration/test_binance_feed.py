"""Binance's market streams as the app's market data: quotes each second, minutes as they
close, the same minutes REST gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livetrader_gui.adapters.brokers.ccxt.binance_feed import BinanceFeed
from livetrader_gui.application.ports import BrokerConnectionError
from livetrader_gui.domain import Candle, Quote
from tests.fakes import FakeClock
from tests.venues.binance_gateway import binance_gateway
from tests.venues.market import until

START = datetime(2026, 12, 1, 9, 0, 25, tzinfo=UTC)  # the socket opens within a minute


async def test_quotes_stream_and_each_closed_minute_is_the_one_rest_gives() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (_venue, gateway, base):
        await gateway.connect()
        feed = BinanceFeed(gateway, f"ws{base[4:]}/stream")
        facts: list[Quote | Candle] = []

        async def read() -> None:
            async for fact in feed.subscribe(["ETHUSDT", "BTCUSDT"]):
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
                "ETHUSDT", START.replace(second=0), START + timedelta(minutes=3)
            )
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    streamed = [f for f in facts if isinstance(f, Candle) and f.symbol == "ETHUSDT"]
    assert [c.start.minute for c in streamed] == [0, 1, 2]
    assert streamed == rest, "Binance builds the minute: the one the socket joined is whole"
    quotes = [f for f in facts if isinstance(f, Quote) and f.symbol == "ETHUSDT"]
    assert all(q.bid < q.ask for q in quotes)
    assert len({q.last for q in quotes}) > 1


async def test_a_socket_the_venue_closes_ends_the_stream_with_a_connection_error() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (_venue, gateway, base):
        await gateway.connect()
        feed = BinanceFeed(gateway, f"ws{base[4:]}/stream")
        stream = feed.subscribe(["ETHUSDT"])
        first = await anext(stream)
    # Leaving the block stopped the venue, which closed its sockets.

    async def drain() -> None:
        async for _ in stream:
            pass

    with pytest.raises(BrokerConnectionError):
        await drain()

    assert isinstance(first, Quote)
