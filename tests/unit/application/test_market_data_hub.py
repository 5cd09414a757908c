"""One subscription per gateway, whatever the number of listeners; each hears its symbols."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.application.market_data.hub import MarketDataHub
from livetrader_gui.application.ports import BrokerConnectionError, BrokerError
from livetrader_gui.domain import Candle, Quote
from tests.builders import T0


class ScriptedFeed:
    """An ``IMarketDataFeed`` whose facts the test sends; it records every subscription."""

    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, ...]] = []
        self.open = 0
        self._queue: asyncio.Queue[Quote | Candle | BrokerError] = asyncio.Queue()

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        self.subscriptions.append(tuple(symbols))
        self.open += 1
        try:
            while True:
                fact = await self._queue.get()
                if isinstance(fact, BrokerError):
                    raise fact
                yield fact
        finally:
            self.open -= 1

    def send(self, fact: Quote | Candle | BrokerError) -> None:
        self._queue.put_nowait(fact)


def quote(symbol: str, price: int, seconds: int = 0) -> Quote:
    p = Decimal(price)
    return Quote(symbol, p, p + 100, p, T0 + timedelta(seconds=seconds))


def candle(symbol: str, minute: int) -> Candle:
    p = Decimal(100)
    return Candle(symbol, T0 + timedelta(minutes=minute), p, p, p, p, Decimal(1))


async def turn() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_listeners_of_overlapping_symbols_share_one_subscription_and_hear_their_own() -> None:
    feed = ScriptedFeed()
    hub = MarketDataHub(feed)
    first: list[Quote | Candle] = []
    second: list[Quote | Candle] = []
    hub.listen(["005930", "000660"], first.append)
    await turn()
    hub.listen(["000660", "035720"], second.append)
    await turn()

    for fact in (quote("005930", 70_000), quote("000660", 180_000), candle("035720", 0)):
        feed.send(fact)
    await turn()

    assert feed.open == 1, "one subscription, whatever the number of listeners"
    assert feed.subscriptions[-1] == ("000660", "005930", "035720")
    assert [f.symbol for f in first] == ["005930", "000660"]
    assert [f.symbol for f in second] == ["000660", "035720"]
    assert hub.latest("000660") == quote("000660", 180_000)
    assert hub.candles("035720") == [candle("035720", 0)]
    await hub.close()


async def test_a_listener_that_leaves_shrinks_the_subscription_and_hears_nothing_more() -> None:
    feed = ScriptedFeed()
    hub = MarketDataHub(feed)
    heard: list[Quote | Candle] = []
    stays = hub.listen(["005930"], lambda _: None)
    leaves = hub.listen(["000660"], heard.append)
    await turn()

    leaves.close()
    await turn()
    feed.send(quote("000660", 180_000))
    await turn()

    assert feed.subscriptions[-1] == ("005930",)
    assert feed.open == 1
    assert heard == []
    stays.close()
    await turn()
    assert feed.open == 0, "nobody listens: no subscription"
    assert hub.symbols == frozenset()


async def test_a_renewed_subscription_passes_nothing_on_twice() -> None:
    feed = ScriptedFeed()
    hub = MarketDataHub(feed)
    heard: list[Quote | Candle] = []
    hub.listen(["005930"], heard.append)
    await turn()
    feed.send(candle("005930", 0))
    feed.send(quote("005930", 70_000, seconds=30))
    await turn()

    hub.listen(["000660"], lambda _: None)  # the subscription is renewed for both symbols
    await turn()
    feed.send(candle("005930", 0))  # what a new subscription starts with
    feed.send(quote("005930", 70_000, seconds=30))
    feed.send(quote("005930", 70_100, seconds=31))
    await turn()

    assert heard == [
        candle("005930", 0),
        quote("005930", 70_000, seconds=30),
        quote("005930", 70_100, seconds=31),
    ]
    await hub.close()


async def test_a_failing_listener_never_stops_the_others() -> None:
    feed = ScriptedFeed()
    hub = MarketDataHub(feed)
    heard: list[Quote | Candle] = []

    def broken(_: Quote | Candle) -> None:
        raise RuntimeError("a bug in one listener")

    hub.listen(["005930"], broken)
    hub.listen(["005930"], heard.append)
    await turn()
    feed.send(quote("005930", 70_000))
    feed.send(quote("005930", 70_100, seconds=1))
    await turn()

    assert len(heard) == 2
    await hub.close()


async def test_a_lost_link_is_told_to_the_owner_and_ends_the_subscription() -> None:
    feed = ScriptedFeed()
    lost: list[BrokerError] = []
    hub = MarketDataHub(feed, lost=lost.append)
    hub.listen(["005930"], lambda _: None)
    await turn()

    feed.send(BrokerConnectionError("SIM is disconnected"))
    await turn()

    assert [str(e) for e in lost] == ["SIM is disconnected"]
    assert feed.open == 0
    await hub.close()
