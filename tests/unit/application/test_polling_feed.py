"""A broker that can only be asked, as a stream: once per symbol a round, only what is new."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.market_data.polling import PollingFeed
from livetrader_gui.application.ports import BrokerConnectionError, IMarketDataFeed
from livetrader_gui.domain import Candle, Quote
from tests.builders import T0
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0, sim_broker

SYMBOLS = ("005930", "000660")


async def turn() -> None:
    """Let the feed's task run until it waits for the clock again."""
    for _ in range(20):
        await asyncio.sleep(0)


@asynccontextmanager
async def streaming() -> AsyncIterator[tuple[FakeBroker, FakeClock, list[Quote | Candle]]]:
    """Subscribe to two symbols of a fake broker; the subscription ends with the block (a
    fixture's teardown would come after the check for tasks left running)."""
    clock = FakeClock(T0 + timedelta(seconds=5))
    broker = FakeBroker(clock, symbols=SYMBOLS)
    for symbol in SYMBOLS:
        broker.close_minute(symbol, 100)
    feed: IMarketDataFeed = PollingFeed(broker, clock, interval=1.0)
    events: list[Quote | Candle] = []

    async def listen() -> None:
        async for event in feed.subscribe([*SYMBOLS, "005930"]):  # asked twice, polled once
            events.append(event)

    task = asyncio.create_task(listen())
    await turn()
    try:
        yield broker, clock, events
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_first_round_passes_on_the_last_closed_candle_then_the_quote_of_each_symbol() -> (
    None
):
    async with streaming() as (_, _, events):
        assert [(type(e).__name__, e.symbol) for e in events] == [
            ("Candle", "005930"),
            ("Quote", "005930"),
            ("Candle", "000660"),
            ("Quote", "000660"),
        ]


async def test_nothing_is_passed_on_twice_and_each_symbol_is_asked_once_a_round() -> None:
    async with streaming() as (broker, clock, events):
        first = len(events)
        calls = broker.calls

        clock.advance(1)
        await turn()

        assert len(events) == first, "the same quote and candle are not passed on again"
        assert broker.calls - calls == len(SYMBOLS), "one quote request per symbol, no candles"


async def test_a_minute_that_closes_arrives_once_before_the_new_quote() -> None:
    async with streaming() as (broker, clock, events):
        events.clear()

        clock.advance(60)
        for symbol in SYMBOLS:
            broker.close_minute(symbol, 101)
        clock.advance(1)  # the round after the close
        await turn()
        clock.advance(1)
        await turn()

        candles = [e for e in events if isinstance(e, Candle)]
        assert [(c.symbol, c.close) for c in candles] == [("005930", 101), ("000660", 101)]
        assert isinstance(events[0], Candle)
        assert isinstance(events[1], Quote)
        assert events[1].last == 101


async def test_a_rate_limit_stops_every_request_for_the_time_the_broker_gave() -> None:
    async with streaming() as (broker, clock, events):
        broker.rate_limited_until = clock.now() + timedelta(seconds=30)
        clock.advance(1)
        await turn()  # meets the limit at +1 s: 29 s of quiet
        calls = broker.calls

        for _ in range(28):
            clock.advance(1)
            await turn()
        assert broker.calls == calls, "nothing asked while the broker wants quiet"

        broker.set_price("005930", 105)
        clock.advance(2)
        await turn()
        assert broker.calls > calls
        assert isinstance(events[-1], Quote)
        assert events[-1].last == 105


async def test_a_lost_link_ends_the_stream_for_its_owner_to_reconnect() -> None:
    clock = FakeClock(T0)
    broker = FakeBroker(clock, symbols=SYMBOLS)
    broker.connected = False

    with pytest.raises(BrokerConnectionError):
        async for _ in PollingFeed(broker, clock).subscribe(SYMBOLS):
            pass


async def test_the_simulated_market_streams_through_the_feed_a_candle_each_minute(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx, MARKET_OPEN_T0 + timedelta(minutes=30, seconds=5))
    await broker.connect()
    events: list[Quote | Candle] = []
    arrived = asyncio.Event()

    async def listen() -> None:
        async for event in PollingFeed(broker, clock).subscribe(SYMBOLS):
            events.append(event)
            if isinstance(event, Candle):
                arrived.set()

    async def candles(count: int) -> list[Candle]:
        # SIM builds candles in a worker thread: wait for its answer, not for a time.
        while len([e for e in events if isinstance(e, Candle)]) < count:
            await asyncio.wait_for(arrived.wait(), timeout=10)
            arrived.clear()
        return [e for e in events if isinstance(e, Candle) and e.symbol == "005930"]

    task = asyncio.create_task(listen())
    try:
        assert [c.start for c in await candles(2)] == [MARKET_OPEN_T0 + timedelta(minutes=29)]
        clock.advance(60)  # the next round, a minute later: the minute 01:30 has closed
        await candles(4)
        clock.advance(60)
        starts = [c.start for c in await candles(6)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert starts == [MARKET_OPEN_T0 + timedelta(minutes=m) for m in (29, 30, 31)]
    quotes = [e for e in events if isinstance(e, Quote) and e.symbol == "005930"]
    assert len({q.at for q in quotes}) == len(quotes) >= 3, "a new quote each round, none twice"


async def test_a_candle_closed_by_the_time_a_slow_broker_answers_is_passed_on() -> None:
    # A broker that takes 30 s of the market's time to answer (a simulated market at 60 times
    # real time, half a second a call): the newest candle it gives ends after the round began.
    clock = FakeClock(T0 + timedelta(seconds=50))
    broker = FakeBroker(clock, symbols=("005930",))
    broker.close_minute("005930", 100)
    broker.latency = 30
    feed = PollingFeed(broker, clock, interval=1.0)
    events: list[Quote | Candle] = []

    async def listen() -> None:
        async for event in feed.subscribe(["005930"]):
            events.append(event)

    task = asyncio.create_task(listen())
    try:
        await turn()
        clock.advance(30)  # the quote's answer; the minute 10:00 closes meanwhile
        broker.close_minute("005930", 101)
        await turn()

        candles = [e for e in events if isinstance(e, Candle)]
        assert [c.close for c in candles] == [101]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
