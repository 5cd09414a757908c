"""A runner fed by a market-data hub: pushed facts decide at once, the broker is asked once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.ports import BrokerConnectionError, BrokerOrderState
from livetrader_gui.application.read_models import SignalSnapshot
from livetrader_gui.domain import (
    Candle,
    OrderRequest,
    Quote,
    RiskConfig,
    SessionStatus,
    SignalReason,
    Strategy,
    TradeDirection,
)
from tests.builders import risk_controls, strategy
from tests.runner_harness import Harness

SYMBOL = "005930"


def always_in(**controls: object) -> Strategy:
    """Buy at once, never sell by rule: only the protective exits close the position."""
    limits: dict[str, object] = {"stop_loss_pct": None, "take_profit_pct": None, **controls}
    return strategy(
        symbols=(SYMBOL,),
        entry_rule="close > 0",
        exit_rule="close < 0",
        risk_config=RiskConfig(risk_controls(**limits)),
        position_pct=Decimal(10),
    )


def never(symbols: tuple[str, ...] = (SYMBOL,)) -> Strategy:
    return strategy(symbols=symbols, entry_rule="close < 0", exit_rule="close < 0")


async def turn() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def pushed(h: Harness, price: int) -> Quote:
    """Quote *price* at the broker now and push the quote, as a venue's websocket would."""
    h.broker.set_price(SYMBOL, price)
    p = Decimal(price)
    quote = Quote(SYMBOL, p, p, p, h.clock.now())
    h.feed.send(quote)
    return quote


@asynccontextmanager
async def running(*harnesses: Harness) -> AsyncIterator[None]:
    """Run each harness's runner (its first tick warms it up), and stop them all at the end."""
    for h in harnesses:
        await h.runner.start()
    tasks = [asyncio.create_task(h.runner.run()) for h in harnesses]
    try:
        await turn()
        yield
    finally:
        for h in harnesses:
            await h.runner.stop()
        await asyncio.gather(*tasks)
        hub = harnesses[0].hub
        assert hub is not None
        await hub.close()


async def warmed(h: Harness, minutes: int = 3, price: int = 100) -> None:
    for _ in range(minutes):
        h.clock.advance(60)
        for symbol in h.strategy.symbols:
            h.broker.close_minute(symbol, price)


async def test_a_pushed_quote_through_the_stop_sends_the_exit_at_once_without_a_tick_or_a_request(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = Harness(xkrx, strategy=always_in(stop_loss_pct=Decimal(2)), streaming=True)
    await warmed(h)
    async with running(h):
        assert [r.direction for r in h.broker.placed] == [TradeDirection.BUY], "warm-up tick"
        asked = h.broker.market_data_calls
        at = h.clock.now()

        pushed(h, 97)  # 3 % under the entry
        await turn()

        assert [r.direction for r in h.broker.placed] == [TradeDirection.BUY, TradeDirection.SELL]
        assert h.clock.now() == at, "no time passed: no tick ran"
        assert h.broker.market_data_calls == asked, "the quote was pushed, not asked for"
        assert h.codes("signal", "reason") == ["ENTRY_RULE", "STOP_LOSS"]


async def test_a_pushed_closed_candle_runs_the_rules_at_once(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = Harness(xkrx, streaming=True)  # close > sma(close, 3)
    await warmed(h)
    async with running(h):
        assert h.broker.placed == []
        h.clock.advance(60)  # a minute: the tick that runs asks the broker nothing about it
        await turn()
        asked = h.broker.market_data_calls

        pushed(h, 110)
        h.feed.send(h.broker.close_minute(SYMBOL, 110))
        await turn()

        assert [(r.symbol, r.direction) for r in h.broker.placed] == [(SYMBOL, TradeDirection.BUY)]
        assert h.broker.market_data_calls == asked


async def test_pause_takes_effect_at_once_on_pushed_quotes(xkrx: ExchangeTradingCalendar) -> None:
    h = Harness(xkrx, strategy=always_in(stop_loss_pct=Decimal(2)), streaming=True)
    await warmed(h)
    async with running(h):
        await h.runner.pause("by the trader")
        pushed(h, 90)
        await turn()

        assert [r.direction for r in h.broker.placed] == [TradeDirection.BUY]


async def test_sessions_on_one_broker_share_one_subscription_and_ask_for_no_market_data(
    xkrx: ExchangeTradingCalendar,
) -> None:
    first = Harness(xkrx, strategy=never(), streaming=True)
    others = [Harness(xkrx, strategy=never(), shared=first) for _ in range(2)]
    await warmed(first)
    async with running(first, *others):
        warm_up = first.broker.market_data_calls
        calls = first.broker.calls
        for second in range(1, 11):
            first.clock.advance(1)
            pushed(first, 100 + second)
            await turn()

        assert first.feed.open == 1
        assert first.broker.market_data_calls == warm_up, "steady state: nothing asked"
        # Three sessions ticking each second read the account through the hub: once in 2 s.
        assert first.broker.calls - calls <= 6


async def test_a_gap_in_pushed_candles_is_filled_from_the_broker_before_the_rules_go_on(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = Harness(xkrx, streaming=True)
    await warmed(h)
    async with running(h):
        h.clock.advance(180)
        last = h.broker.candles[SYMBOL][-1].start
        for minute, close in enumerate((103, 106, 109), start=1):
            price = Decimal(close)
            h.broker.candles[SYMBOL].append(
                Candle(SYMBOL, last + timedelta(minutes=minute), price, price, price, price, price)
            )
        asked = h.broker.market_data_calls
        h.feed.send(h.broker.candles[SYMBOL][-1])  # the first two closed while the link was down
        await turn()

        # A tick ran at once and asked for the missed minutes: all three were fed, in order.
        assert h.broker.market_data_calls > asked
        assert h.runner.indicator_values(SYMBOL)["sma(close, 3)"] == (103 + 106 + 109) / 3


async def test_a_lost_feed_pauses_every_session_on_it_and_they_resume_once_it_flows_clean(
    xkrx: ExchangeTradingCalendar,
) -> None:
    first = Harness(xkrx, strategy=never(), streaming=True)
    second = Harness(xkrx, strategy=never(), shared=first)
    await warmed(first)
    async with running(first, second):
        first.feed.send(BrokerConnectionError("FAKE dropped the socket"))
        await turn()
        assert {h.session.status for h in (first, second)} == {SessionStatus.PAUSED}
        assert "FAKE dropped the socket" in (first.session.status_reason or "")

        first.clock.advance(1)  # the hub's first reconnection delay
        await turn()
        pushed(first, 101)
        await turn()

        assert {h.session.status for h in (first, second)} == {SessionStatus.RUNNING}
        assert len(first.feed.subscriptions) == 2, "one reconnection for both sessions"


async def test_every_session_on_a_pushed_quote_signals_before_any_of_them_sends_its_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    stops = always_in(stop_loss_pct=Decimal(2))
    first = Harness(xkrx, strategy=stops, streaming=True)
    others = [Harness(xkrx, strategy=stops, shared=first) for _ in range(2)]
    sessions = (first, *others)
    await warmed(first)
    async with running(*sessions):
        assert len(first.broker.placed) == 3, "each session entered on its warm-up tick"
        signalled_when_sent: list[int] = []
        place = first.broker.place_order

        async def noting(request: OrderRequest) -> BrokerOrderState:
            signalled_when_sent.append(
                len(
                    {
                        s.signal_id
                        for h in sessions
                        for s in h.observer.facts["on_signal_emitted"]
                        if isinstance(s, SignalSnapshot) and s.reason is SignalReason.STOP_LOSS
                    }
                )
            )
            return await place(request)

        first.broker.place_order = noting  # type: ignore[method-assign]
        pushed(first, 97)
        await turn()

        # One session's order path did not hold back the others' decisions on the quote.
        assert signalled_when_sent == [3, 3, 3]
        assert [r.direction for r in first.broker.placed[3:]] == [TradeDirection.SELL] * 3


async def test_a_stop_loss_is_sent_while_entries_hold_every_slot_for_symbols_in_flight(
    xkrx: ExchangeTradingCalendar,
) -> None:
    other = "000660"
    h = Harness(
        xkrx,
        strategy=replace(always_in(stop_loss_pct=Decimal(2)), symbols=(SYMBOL, other)),
        streaming=True,
        limits=RunnerLimits(warmup_candles=50, stale_quote_after=90, max_concurrent_symbols=1),
    )
    await warmed(h)
    async with running(h):
        assert {r.symbol for r in h.broker.placed} == {SYMBOL, other}, "both entered"
        pushed(h, 97)  # the stop of SYMBOL
        await turn()
        asked: list[OrderRequest] = []
        place = h.broker.place_order

        async def noting(request: OrderRequest) -> BrokerOrderState:
            asked.append(request)
            return await place(request)

        h.broker.place_order = noting  # type: ignore[method-assign]
        h.broker.latency = 5.0  # from now on the broker answers in 5 s
        h.clock.advance(60)
        h.feed.send(h.broker.close_minute(SYMBOL, 97))  # the entry on SYMBOL: in flight
        await turn()
        assert [(r.symbol, r.direction) for r in asked] == [(SYMBOL, TradeDirection.BUY)]

        h.broker.set_price(other, 90)
        h.feed.send(Quote(other, Decimal(90), Decimal(90), Decimal(90), h.clock.now()))
        await turn()

        # The only slot is the entry's, yet the exit went out at once.
        assert [(r.symbol, r.direction) for r in asked] == [
            (SYMBOL, TradeDirection.BUY),
            (other, TradeDirection.SELL),
        ]
        h.clock.advance(5)
        await turn()


async def test_a_stop_crossed_while_paused_is_taken_at_the_next_candle_close(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # In at 100; the rules ask nothing of the candle at 97: only the stop can close it.
    stops = replace(always_in(stop_loss_pct=Decimal(2)), entry_rule="close >= 100")
    h = Harness(xkrx, strategy=stops, streaming=True)
    await warmed(h)
    async with running(h):
        pushed(h, 100)  # judged: nothing to do
        await turn()
        await h.runner.pause("by the trader")
        h.clock.advance(1)
        pushed(h, 97)  # through the stop, but paused
        await turn()
        await h.runner.resume()
        await turn()
        assert [r.direction for r in h.broker.placed] == [TradeDirection.BUY]

        h.clock.advance(60)
        h.feed.send(h.broker.close_minute(SYMBOL, 97))
        await turn()

        assert [r.direction for r in h.broker.placed] == [TradeDirection.BUY, TradeDirection.SELL]
        assert h.codes("signal", "reason") == ["ENTRY_RULE", "STOP_LOSS"]


async def test_a_broker_whose_requests_fail_while_its_stream_flows_is_connected_again(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # A venue's websocket can keep flowing while its request link is gone (Upbit's 418 ban of
    # the address, say): the hub sees nothing wrong, so the session must connect the broker.
    h = Harness(xkrx, strategy=never(), streaming=True)
    await warmed(h)
    async with running(h):
        h.broker.connected = False  # requests fail; the feed keeps flowing
        h.clock.advance(60)
        await turn()
        paused = h.session.status
        pushed(h, 101)  # the stream still flows
        h.clock.advance(1)  # the link's first reconnection delay
        await turn()

        assert paused is SessionStatus.PAUSED
        assert h.broker.connected, "the session's link connected the broker again"
        assert h.session.status is SessionStatus.RUNNING


async def test_a_tick_that_fills_a_gap_sends_no_second_exit_while_the_first_is_in_flight(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # Seen in the crash campaign, just after a restart: the warm-up tick and a pushed quote
    # each sent an exit for one position, 0.4 s apart.
    h = Harness(xkrx, strategy=always_in(stop_loss_pct=Decimal(2)), streaming=True)
    await warmed(h)
    async with running(h):
        asked: list[OrderRequest] = []
        answer = asyncio.Event()
        place = h.broker.place_order

        async def answered_later(request: OrderRequest) -> BrokerOrderState:
            asked.append(request)
            await answer.wait()
            return await place(request)

        h.broker.place_order = answered_later  # type: ignore[method-assign]
        pushed(h, 97)  # through the stop: the exit goes out, its answer held back
        await turn()
        assert [r.direction for r in asked] == [TradeDirection.SELL]

        last = h.broker.candles[SYMBOL][-1]
        late = replace(last, start=last.start + timedelta(minutes=3))
        h.feed.send(late)  # a candle after a gap: a tick runs at once to fill it
        await turn()
        pushed(h, 96)  # and the next quote, still through the stop
        await turn()
        answer.set()
        await turn()

        assert [r.direction for r in asked] == [TradeDirection.SELL], "one exit, one position"
        assert h.runner.book.held(SYMBOL) == 0
