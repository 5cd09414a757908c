"""One subscription per gateway, whatever the number of listeners; each hears its symbols."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.market_data.hub import FeedPolicy, LinkChange, MarketDataHub
from livetrader_gui.application.ports import BrokerConnectionError, BrokerError
from livetrader_gui.domain import Candle, Quote
from tests.builders import T0
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock, ScriptedFeed


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
    hub = MarketDataHub(feed, FakeClock(T0))
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
    hub = MarketDataHub(feed, FakeClock(T0))
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
    hub = MarketDataHub(feed, FakeClock(T0))
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
    hub = MarketDataHub(feed, FakeClock(T0))
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


async def test_a_lost_link_is_told_to_the_watchers_and_the_hub_subscribes_again_after_a_delay() -> (
    None
):
    feed = ScriptedFeed()
    timer = FakeClock(T0)
    hub = MarketDataHub(feed, timer, policy=FeedPolicy(reconnect_initial_delay=2))
    changes: list[LinkChange] = []
    hub.watch(changes.append)
    hub.listen(["005930"], lambda _: None)
    await turn()

    feed.send(BrokerConnectionError("SIM is disconnected"))
    await turn()

    assert [c.connected for c in changes] == [False]
    assert "SIM is disconnected" in changes[0].reason
    assert not hub.connected
    assert feed.open == 0
    timer.advance(1.9)
    await turn()
    assert len(feed.subscriptions) == 1, "no new subscription before the delay"
    timer.advance(0.1)
    await turn()
    assert len(feed.subscriptions) == 2
    feed.send(quote("005930", 70_000))
    await turn()
    assert [c.connected for c in changes] == [False, True]
    assert hub.connected
    await hub.close()


async def test_reconnection_waits_twice_as_long_after_each_failure_up_to_a_bound() -> None:
    timer = FakeClock(T0)
    broker = FakeBroker(timer)
    broker.connected = False
    broker.refuse_connects = 10
    hub = MarketDataHub(
        ScriptedFeed(),
        timer,
        gateway=broker,
        policy=FeedPolicy(reconnect_initial_delay=1, reconnect_max_delay=4),
    )
    hub.listen(["005930"], lambda _: None)
    tries: list[float] = []
    for _ in range(6):
        await turn()
        tries.append((timer.now() - T0).total_seconds())
        deadline = timer.next_deadline()
        assert deadline is not None
        timer.advance_to(deadline)
    assert tries == [0, 1, 3, 7, 11, 15], "waits of 1, 2, 4, then 4 s"
    assert broker.refuse_connects == 4
    await hub.close()


async def test_one_gateway_is_reconnected_once_however_many_listen() -> None:
    timer = FakeClock(T0)
    broker = FakeBroker(timer)
    feed = ScriptedFeed()
    hub = MarketDataHub(feed, timer, gateway=broker)
    for symbols in (["005930"], ["005930", "000660"], ["000660"]):
        hub.listen(symbols, lambda _: None)
    await turn()
    broker.connected = False
    feed.send(BrokerConnectionError("FAKE is disconnected"))
    await turn()
    timer.advance(1)
    await turn()

    assert broker.connected
    assert len(feed.subscriptions) == 2, "one subscription before the loss, one after"
    await hub.close()


async def test_a_feed_silent_while_the_market_is_open_counts_as_lost_and_is_subscribed_afresh(
    xkrx: ExchangeTradingCalendar,
) -> None:
    timer = FakeClock(T0)  # 10:00 KST on a session day: open
    feed = ScriptedFeed()
    hub = MarketDataHub(
        feed, timer, gateway=FakeBroker(timer), calendar=xkrx, policy=FeedPolicy(stale_after=20)
    )
    changes: list[LinkChange] = []
    hub.watch(changes.append)
    hub.listen(["005930"], lambda _: None)
    await turn()
    feed.send(quote("005930", 70_000))
    await turn()

    for _ in range(4):  # 20 s: silent, but not beyond the limit
        timer.advance(5)
        await turn()
    assert changes == []
    timer.advance(5)
    await turn()

    assert [c.connected for c in changes] == [False]
    assert "went silent" in changes[0].reason
    assert len(feed.subscriptions) == 2
    assert feed.open == 1
    feed.send(quote("005930", 70_100, seconds=30))
    await turn()
    assert [c.connected for c in changes] == [False, True]
    await hub.close()


async def test_silence_while_the_market_is_closed_is_not_a_lost_feed(
    xkrx: ExchangeTradingCalendar,
) -> None:
    night = T0 + timedelta(hours=10)  # 20:00 KST
    timer = FakeClock(night)
    hub = MarketDataHub(
        ScriptedFeed(),
        timer,
        gateway=FakeBroker(timer),
        calendar=xkrx,
        policy=FeedPolicy(stale_after=20),
    )
    changes: list[LinkChange] = []
    hub.watch(changes.append)
    hub.listen(["005930"], lambda _: None)
    for _ in range(60):
        timer.advance(5)
        await turn()
    assert changes == []
    await hub.close()


async def test_sessions_that_read_the_account_together_share_one_request() -> None:
    timer = FakeClock(T0)
    broker = FakeBroker(timer)
    broker.suspends = True
    hub = MarketDataHub(ScriptedFeed(), timer, gateway=broker, policy=FeedPolicy(account_max_age=2))

    accounts = await asyncio.gather(*(hub.account() for _ in range(10)))
    assert broker.calls == 1
    assert len({a.equity for a in accounts}) == 1
    await hub.account()
    assert broker.calls == 1, "a read younger than two seconds serves again"
    timer.advance(2)
    await hub.account()
    assert broker.calls == 2
    hub.account_changed()
    await hub.account()
    assert broker.calls == 3, "a fill makes the next read go to the broker"
    await hub.close()


async def test_a_hub_without_a_gateway_has_no_account() -> None:
    hub = MarketDataHub(ScriptedFeed(), FakeClock(T0))
    with pytest.raises(BrokerError, match="has no account"):
        await hub.account()
