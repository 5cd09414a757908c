"""Market watch reports quotes and the market's state; one failing symbol never stops the others."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.adapters.brokers.simulated import SimulatedBroker
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.market_data.hub import MarketDataHub
from livetrader_gui.application.market_watch import MarketWatch
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import BrokerTimeoutError
from livetrader_gui.application.read_models import MarketStatusSnapshot
from livetrader_gui.domain import Quote
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock, ScriptedFeed
from tests.sim import MARKET_OPEN_T0, sim_broker

SYMBOLS = ["005930", "000660", "035720"]


class RecordingObserver:
    """Keeps what it is told (implements the observer methods market watch uses)."""

    def __init__(self) -> None:
        self.quotes: list[Quote] = []
        self.statuses: list[MarketStatusSnapshot] = []

    def on_quote_received(self, quote: Quote) -> None:
        self.quotes.append(quote)

    def on_market_status_changed(self, status: MarketStatusSnapshot) -> None:
        self.statuses.append(status)


def watch(
    xkrx: ExchangeTradingCalendar, broker: SimulatedBroker, clock: FakeClock
) -> tuple[MarketWatch, RecordingObserver]:
    seen = RecordingObserver()
    hub = ObserverHub()
    hub.add(seen)  # type: ignore[arg-type]
    return MarketWatch(broker, xkrx, hub, clock, SYMBOLS, interval=1.0, stale_after=30), seen


async def test_one_poll_reports_every_quote_and_an_open_market(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    service, seen = watch(xkrx, broker, clock)

    status = await service.poll_once()

    assert [q.symbol for q in seen.quotes] == SYMBOLS
    assert status.connected
    assert status.is_open
    assert status.exchange_time == MARKET_OPEN_T0
    assert status.next_open is None
    assert status.stale_symbols == ()


async def test_the_latest_quotes_are_kept_for_a_window_that_listens_late(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    service, seen = watch(xkrx, broker, clock)
    assert service.latest() == []

    await service.poll_once()

    assert service.latest() == seen.quotes
    clock.advance(5)
    await service.poll_once()
    assert service.latest() == seen.quotes[3:], "one quote per symbol, the newest"


async def test_a_silent_feed_is_reported_stale_while_the_market_is_open(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    service, _ = watch(xkrx, broker, clock)
    broker.faults.silence_feed("000660")
    await service.poll_once()

    clock.advance(31)
    status = await service.poll_once()

    assert status.stale_symbols == ("000660",)


async def test_a_failing_symbol_is_skipped_and_the_others_still_arrive(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    original = broker.get_latest_quote

    async def flaky(symbol: str) -> Quote | None:
        if symbol == "000660":
            raise BrokerTimeoutError("SIM did not answer in time")
        return await original(symbol)

    broker.get_latest_quote = flaky  # type: ignore[method-assign]
    service, seen = watch(xkrx, broker, clock)

    await service.poll_once()

    assert [q.symbol for q in seen.quotes] == ["005930", "035720"]


async def test_a_disconnected_broker_reports_no_quotes_and_a_closed_link(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    service, seen = watch(xkrx, broker, clock)

    status = await service.poll_once()

    assert seen.quotes == []
    assert not status.connected


async def test_the_loop_polls_every_interval_and_stops_at_once(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    service, seen = watch(xkrx, broker, clock)
    running = asyncio.ensure_future(service.run())
    await clock.settle()
    clock.advance(1)
    await clock.settle()

    service.stop()
    await asyncio.wait_for(running, 1)

    assert len(seen.statuses) == 2
    assert seen.quotes[-1].last > Decimal(0)


async def test_a_rate_limited_broker_is_asked_no_quote_until_the_time_it_gave(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker = FakeBroker(FakeClock(MARKET_OPEN_T0), symbols=tuple(SYMBOLS))
    clock = broker.clock
    assert isinstance(clock, FakeClock)
    for symbol in SYMBOLS:
        broker.close_minute(symbol, 100)
    service, seen = watch(xkrx, broker, clock)  # type: ignore[arg-type]
    broker.rate_limited_until = clock.now() + timedelta(seconds=10)

    await service.poll_once()
    calls = broker.calls
    clock.advance(5)
    await service.poll_once()

    assert seen.quotes == []
    assert broker.calls == calls, "nothing asked while the broker wants quiet"
    clock.advance(5)
    await service.poll_once()
    assert [q.symbol for q in seen.quotes] == SYMBOLS


async def test_on_a_hub_the_watch_shows_the_pushed_quotes_and_asks_the_broker_nothing(
    xkrx: ExchangeTradingCalendar,
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    broker = FakeBroker(clock, symbols=tuple(SYMBOLS))
    feed = ScriptedFeed()
    market = MarketDataHub(feed, clock, gateway=broker, calendar=xkrx)
    seen = RecordingObserver()
    observers = ObserverHub()
    observers.add(seen)  # type: ignore[arg-type]
    service = MarketWatch(broker, xkrx, observers, clock, SYMBOLS, hub=market)
    task = asyncio.create_task(service.run())
    try:
        await asyncio.sleep(0)
        p = Decimal(70_000)
        feed.send(Quote("005930", p, p, p, clock.now()))
        for _ in range(10):
            await asyncio.sleep(0)
        clock.advance(1)
        for _ in range(10):
            await asyncio.sleep(0)

        assert [q.symbol for q in seen.quotes] == ["005930"]
        assert [q.symbol for q in service.latest()] == ["005930"]
        assert seen.statuses[-1].connected
        assert broker.calls == 0
        assert feed.subscriptions == [tuple(sorted(SYMBOLS))]
    finally:
        service.stop()
        await task
        await market.close()


async def test_on_a_hub_a_fast_market_s_quotes_are_fresh_while_they_keep_coming(
    xkrx: ExchangeTradingCalendar,
) -> None:
    real, market = FakeClock(MARKET_OPEN_T0), FakeClock(MARKET_OPEN_T0)
    broker = FakeBroker(market, symbols=tuple(SYMBOLS))
    feed = ScriptedFeed()
    hub = MarketDataHub(feed, real, gateway=broker, calendar=xkrx)
    service = MarketWatch(broker, xkrx, ObserverHub(), real, SYMBOLS, stale_after=30, hub=hub)
    task = asyncio.create_task(service.run())
    try:
        await asyncio.sleep(0)
        p = Decimal(70_000)
        feed.send(Quote("005930", p, p, p, market.now()))
        for _ in range(10):
            await asyncio.sleep(0)
        # One real second later, a market at 60 times real time is a minute on.
        real.advance(1)
        market.advance(60)
        assert (await service.poll_once()).stale_symbols == ()

        real.advance(30)
        market.advance(1_800)
        assert (await service.poll_once()).stale_symbols == ("005930",)
    finally:
        service.stop()
        await task
        await hub.close()
