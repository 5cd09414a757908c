"""The market watch of every broker: symbols added are checked against the broker's own list
and kept; each broker's quotes come from its hub; a broker that cannot answer is told in
words and tried again, never stopping the others."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.market_watch_board import RETRY_SECONDS, MarketWatchBoard
from livetrader_gui.application.observers import ObserverHub
from tests.fake_broker import FakeBroker
from tests.fakes import FakeCalendars, FakeClock, RecordingObserver
from tests.sim import MARKET_OPEN_T0


class MemoryWatchlists:
    """An ``IWatchlists`` in memory."""

    def __init__(self, lists: dict[str, list[str]] | None = None, broken: str | None = None):
        self.lists = lists or {}
        self.broken = broken
        self.writes = 0

    def read(self) -> dict[str, list[str]]:
        if self.broken:
            raise ValueError(self.broken)
        return {b: list(s) for b, s in self.lists.items()}

    def write(self, lists: Mapping[str, Sequence[str]]) -> None:
        self.lists = {b: list(s) for b, s in lists.items()}
        self.writes += 1


async def spin() -> None:
    """Let the watches, their hubs and their feeds all take their turns."""
    for _ in range(300):
        await asyncio.sleep(0)


def board(
    xkrx: ExchangeTradingCalendar, watchlists: MemoryWatchlists, **defaults: list[str]
) -> tuple[MarketWatchBoard, FakeBroker, FakeBroker, FakeClock, RecordingObserver]:
    clock = FakeClock(MARKET_OPEN_T0)
    registry = BrokerRegistry(clock)
    sim = FakeBroker(clock, ("005930", "000660"), broker_id="SIM")
    venue = FakeBroker(clock, ("KRW-BTC", "KRW-ETH"), broker_id="VENUE")
    for broker in (sim, venue):
        registry.register(broker)
        for symbol in broker.candles:
            broker.set_price(symbol, 1000)
    seen = RecordingObserver()
    hub = ObserverHub()
    hub.add(seen)
    made = MarketWatchBoard(
        registry, MarketDataHubs(clock), FakeCalendars(xkrx), hub, clock, watchlists, defaults
    )
    return made, sim, venue, clock, seen


async def test_a_symbol_the_broker_lists_is_watched_kept_and_its_quotes_arrive(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watchlists = MemoryWatchlists()
    watches, _sim, _venue, clock, seen = board(xkrx, watchlists, SIM=["005930"])
    await watches.run()
    said = await watches.watch("VENUE", " krw-btc ")
    for _ in range(3):
        await spin()
        clock.advance(1)
    await spin()
    watches.stop()
    await watches.wait_stopped()

    assert said == "Watching KRW-BTC (KRW-BTC) on Fake broker (VENUE)"
    assert watchlists.lists == {"VENUE": ["KRW-BTC"]}
    assert watches.symbols("SIM") == ["005930"], "a broker with no list watches its defaults"
    quoted = {q.symbol for q in seen.facts["on_quote_received"]}  # type: ignore[attr-defined]
    assert quoted == {"005930", "KRW-BTC"}
    assert {q.symbol for q in watches.latest("VENUE")} == {"KRW-BTC"}


async def test_a_symbol_the_broker_does_not_list_is_refused_in_words_and_not_kept(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watchlists = MemoryWatchlists()
    watches, *_ = board(xkrx, watchlists)

    with pytest.raises(ValueError, match="Fake broker \\(VENUE\\) does not list 'DOGE'"):
        await watches.watch("VENUE", "DOGE")
    again = await watches.watch("VENUE", "KRW-ETH")
    twice = await watches.watch("VENUE", "KRW-ETH")

    assert watchlists.lists == {"VENUE": ["KRW-ETH"]}
    assert twice == "KRW-ETH is already watched on Fake broker (VENUE)"
    assert again.startswith("Watching KRW-ETH")


async def test_a_symbol_no_longer_watched_leaves_the_list_and_its_watch(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watchlists = MemoryWatchlists({"VENUE": ["KRW-BTC", "KRW-ETH"]})
    watches, *_ = board(xkrx, watchlists)

    said = await watches.unwatch("VENUE", "KRW-BTC")

    assert said == "KRW-BTC is no longer watched on Fake broker (VENUE)"
    assert watchlists.lists == {"VENUE": ["KRW-ETH"]}
    with pytest.raises(ValueError, match="is not watched"):
        await watches.unwatch("VENUE", "KRW-BTC")


async def test_a_broker_that_cannot_answer_says_why_and_is_watched_once_it_can(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watchlists = MemoryWatchlists({"VENUE": ["KRW-BTC"]})
    watches, _sim, venue, clock, seen = board(xkrx, watchlists)
    venue.connected = False
    await watches.run()
    await spin()
    down = {b.broker_id: b.problem for b in watches.brokers()}

    venue.connected = True
    clock.advance(RETRY_SECONDS)
    await spin()
    clock.advance(1)
    await spin()
    up = {b.broker_id: b.problem for b in watches.brokers()}
    watches.stop()
    await watches.wait_stopped()

    assert down["VENUE"] is not None
    assert down["VENUE"].startswith("Fake broker (VENUE) cannot list its symbols now: ")
    assert down["SIM"] is None, "the other broker is not held up"
    assert up["VENUE"] is None
    quoted = {q.symbol for q in seen.facts["on_quote_received"]}  # type: ignore[attr-defined]
    assert "KRW-BTC" in quoted


async def test_a_watchlists_file_that_cannot_be_read_is_said_and_not_overwritten_until_a_change(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watchlists = MemoryWatchlists(broken="watchlists.json, line 3: not JSON")
    watches, *_ = board(xkrx, watchlists, SIM=["005930"])

    problem = watches.file_problem
    assert watchlists.writes == 0
    await watches.watch("SIM", "000660")

    assert problem == "watchlists.json, line 3: not JSON"
    assert watches.file_problem is None
    assert watchlists.lists == {"SIM": ["005930", "000660"]}


async def test_instruments_are_listed_once_per_broker_in_symbol_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    watches, _sim, venue, _clock, _seen = board(xkrx, MemoryWatchlists())

    first = await watches.instruments("VENUE")
    calls = venue.calls
    again = await watches.instruments("VENUE")

    assert [i.symbol for i in first] == ["KRW-BTC", "KRW-ETH"]
    assert again == first
    assert venue.calls == calls, "asked once"
