"""The ccxt gateway meets the local Upbit's faults and limits as it would meet Upbit's own."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import ccxt.async_support as ccxt_async
import pytest
from aiohttp import web

from livetrader_gui.adapters.brokers.ccxt.exact import exact_class, isolated
from livetrader_gui.adapters.brokers.ccxt.upbit_gateway import UpbitGateway
from livetrader_gui.adapters.brokers.ccxt.venues import UPBIT, UPBIT_KRW_TICKS
from livetrader_gui.application.ports import (
    BrokerAuthenticationError,
    BrokerConnectionError,
    BrokerError,
    BrokerRateLimitError,
    BrokerTimeoutError,
    ConnectionState,
)
from livetrader_gui.domain import OrderRequest, OrderStatus, OrderType, TradeDirection
from tests.fakes import FakeClock
from tests.venues.market import caught_up, until
from tests.venues.upbit import LIMITS, UpbitVenue, make_app, tick_size
from tests.venues.upbit_gateway import KEY, SECRET, upbit_exchange, upbit_gateway

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def buy(quantity: str, symbol: str = "KRW-ETH", cid: str | None = None) -> OrderRequest:
    return OrderRequest(
        cid or UPBIT.client_order_ids.new(),
        symbol,
        TradeDirection.BUY,
        OrderType.MARKET,
        Decimal(quantity),
    )


async def test_a_wrong_secret_is_refused_at_connect_in_words_that_say_what_to_fix() -> None:
    async with upbit_gateway(FakeClock(START), secret="not-the-secret") as (_, gateway, _base):
        with pytest.raises(BrokerAuthenticationError) as refused:
            await gateway.connect()

    assert "secret key does not belong to this access key" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert gateway.connection_state is ConnectionState.DISCONNECTED


async def test_a_venue_that_goes_away_disconnects_the_gateway_and_its_orders_are_there_after() -> (
    None
):
    clock = FakeClock(START)
    venue = UpbitVenue(KEY, SECRET, krw=Decimal(10**9), clock=lambda: clock.now().timestamp())
    runner = web.AppRunner(make_app(venue), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    gateway = UpbitGateway(UPBIT, lambda: upbit_exchange(base), clock)
    try:
        await gateway.connect()
        order = buy("1")
        await gateway.place_order(order)
        await runner.cleanup()  # the venue is gone

        with pytest.raises(BrokerConnectionError):
            await gateway.get_account()
        assert gateway.connection_state is ConnectionState.DISCONNECTED
        with pytest.raises(BrokerConnectionError):
            await gateway.get_order(order.client_order_id)

        runner = web.AppRunner(make_app(venue), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await gateway.connect()
        found = await gateway.get_order(order.client_order_id)
    finally:
        await gateway.disconnect()
        await runner.cleanup()

    assert found is not None
    assert found.status is OrderStatus.FILLED


async def test_a_429_holds_the_family_back_without_sending_and_the_backoff_grows() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("rate_limit")
        with pytest.raises(BrokerRateLimitError) as first:
            await gateway.get_latest_quote("KRW-ETH")
        with pytest.raises(BrokerRateLimitError) as held:
            await gateway.get_latest_quote("KRW-BTC")
        account = await gateway.get_account()  # another family is not held
        clock.advance(first.value.retry_after)
        venue.switch("rate_limit")
        with pytest.raises(BrokerRateLimitError) as second:
            await gateway.get_latest_quote("KRW-ETH")
        clock.advance(second.value.retry_after)
        quote = await gateway.get_latest_quote("KRW-ETH")

    assert first.value.sent
    assert "429" in str(first.value)
    assert not held.value.sent, "held back: never sent"
    assert second.value.retry_after == 2 * first.value.retry_after
    assert account.buying_power > 0
    assert quote is not None


async def test_a_429_on_the_price_a_market_buy_is_bounded_by_says_the_buy_was_never_sent() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("rate_limit")  # meets the quote the buy's price band is read from
        buy = OrderRequest(
            gateway.client_order_ids.new(), "KRW-ETH", TradeDirection.BUY, OrderType.MARKET,
            Decimal("0.01"),
        )  # fmt: skip
        with pytest.raises(BrokerRateLimitError) as refused:
            await gateway.place_order(buy)

    assert not refused.value.sent, "the buy itself never left"
    assert "429" in str(refused.value)
    assert venue.orders == {}
    sell = replace(buy, client_order_id="LT-sell", direction=TradeDirection.SELL)
    assert (gateway.quotes_to_place(buy), gateway.quotes_to_place(sell)) == (2, 0), "a quote: 2"

    assert gateway.quotes_for_account() == 1, "Upbit counts quotes apart from the account"
    assert (gateway.requests_for_quote(), gateway.requests_for_candles(650)) == (2, 4)


async def test_a_418_ban_stops_the_venue_until_it_ends_and_says_so() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("ban", seconds=120)
        with pytest.raises(BrokerConnectionError) as banned:
            await gateway.get_account()
        state = gateway.connection_state
        with pytest.raises(BrokerConnectionError):
            await gateway.connect()
        clock.advance(121)
        await gateway.connect()
        account = await gateway.get_account()

    assert "banned this address" in str(banned.value)
    assert "418" in str(banned.value)
    assert state is ConnectionState.DISCONNECTED
    assert account.buying_power > 0


async def test_remaining_req_at_zero_makes_the_next_request_wait_for_the_next_second() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock, limits=dict(LIMITS)) as (venue, gateway, _base):
        await gateway.connect()
        clock.advance(1)  # a second of its own for the orders
        low = venue.price("KRW-BTC") / 2

        def resting() -> OrderRequest:
            return OrderRequest(
                UPBIT.client_order_ids.new(), "KRW-BTC", TradeDirection.BUY, OrderType.LIMIT,
                Decimal("0.001"), low - low % tick_size(low),
            )  # fmt: skip

        for _ in range(LIMITS["order"]):
            await gateway.place_order(resting())
        assert gateway.remaining["order"] == 0
        ninth = asyncio.create_task(gateway.place_order(resting()))
        await clock.settle()
        assert not ninth.done(), "it waits for the next second"
        clock.advance(1)
        state = await ninth

    assert state.status is OrderStatus.SUBMITTED, "sent in the next second: no 429"


async def test_a_502_page_is_an_error_in_words_not_html() -> None:
    async with upbit_gateway(FakeClock(START)) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("server_error")
        with pytest.raises(BrokerError) as failed:
            await gateway.get_latest_quote("KRW-ETH")

    said = str(failed.value)
    assert said.startswith("Upbit is not available for get_latest_quote: upbit GET ")
    assert said.endswith("/v1/ticker?markets=KRW-ETH 502 Bad Gateway")
    assert "<" not in said


async def test_an_answer_that_hangs_past_the_timeout_is_an_unknown_outcome() -> None:
    async with upbit_gateway(FakeClock(START), answer_within=0.2) as (venue, gateway, _base):
        await gateway.connect()
        price = venue.price("KRW-ETH")
        order = OrderRequest(
            UPBIT.client_order_ids.new(), "KRW-ETH", TradeDirection.BUY, OrderType.LIMIT,
            Decimal(1), price - price % tick_size(price),
        )  # fmt: skip
        venue.switch("hang", seconds=2)
        with pytest.raises(BrokerTimeoutError):
            await gateway.place_order(order)
        found = await gateway.get_order(order.client_order_id)

    assert found is not None, "the venue took it while the answer hung: found by its id"


async def test_a_lost_answer_is_resolved_by_the_identifier_and_never_sent_again() -> None:
    async with upbit_gateway(FakeClock(START)) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("lose_answer")
        order = buy("1")
        with pytest.raises(BrokerTimeoutError):
            await gateway.place_order(order)
        again = await gateway.place_order(order)  # a careless retry: the venue holds the id

    assert len(venue.orders) == 1
    assert again.broker_order_id == next(iter(venue.orders))


async def test_a_market_buy_goes_as_a_limit_inside_the_protection_band_and_fills_at_market() -> (
    None
):
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        ask = (await gateway.get_latest_quote("KRW-ETH")).ask  # type: ignore[union-attr]
        state = await gateway.place_order(buy("1"))
        sent = next(iter(venue.orders.values()))

    assert sent.ord_type == "limit"
    assert sent.price is not None
    assert ask < sent.price <= ask * Decimal("1.01") + tick_size(ask)
    assert state.status is OrderStatus.FILLED
    assert state.average_fill_price is not None
    assert state.average_fill_price < sent.price


async def test_a_refused_sell_says_why_and_its_fills_read_the_same_at_every_lookup() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock, liquidity=Decimal("0.5")) as (venue, gateway, _base):
        await gateway.connect()
        await until(lambda: gateway.account_stream.orders.live, "the account's stream opens")
        sell = OrderRequest(
            UPBIT.client_order_ids.new(), "KRW-XRP", TradeDirection.SELL, OrderType.MARKET,
            Decimal(100),
        )  # fmt: skip
        refused = await gateway.place_order(sell)
        order = buy("2")
        await gateway.place_order(order)
        clock.advance(5)
        await caught_up(venue, gateway)
        first = await gateway.get_order(order.client_order_id)  # as pushed
        second = await gateway._fetched(order.client_order_id, "KRW-ETH")  # as asked

    assert refused.status is OrderStatus.REJECTED
    assert refused.reject_reason == "not enough of the coin for this sell"
    assert first is not None
    assert second is not None
    assert len(first.fills) == 4
    assert first.fills == second.fills
    assert all(f.commission > 0 for f in first.fills)


async def test_an_order_placed_by_hand_is_reported_under_the_venues_id() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        low = venue.price("KRW-ETH") / 2
        venue.place({"market": "KRW-ETH", "side": "bid", "ord_type": "limit",
                     "price": str(low - low % tick_size(low)), "volume": "1"})  # fmt: skip
        open_orders = await gateway.get_open_orders()

    assert [o.client_order_id for o in open_orders] == [f"UPBIT:{next(iter(venue.orders))}"]


async def test_instruments_carry_upbits_price_grid_minimum_and_the_always_open_calendar() -> None:
    async with upbit_gateway(FakeClock(START)) as (_venue, gateway, _base):
        await gateway.connect()
        btc = await gateway.get_instrument("KRW-BTC")

    assert btc.exchange == "24/7"
    assert btc.currency == "KRW"
    assert btc.min_notional == 5000
    assert btc.lot_size == Decimal("0.00000001")
    for price in ("0.5", "5", "50", "500", "5000", "50000", "300000", "700000", "1500000", "9e7"):
        assert btc.tick_size(Decimal(price)) == tick_size(Decimal(price)) or Decimal(price) < 1
    assert UPBIT_KRW_TICKS.tick_for(Decimal(1_500_000)) == 500


async def test_numbers_keep_every_digit_the_venue_sent() -> None:
    exchange = exact_class(ccxt_async.upbit)({})
    try:
        with isolated():
            parsed = exchange.on_json_response(json.dumps([{"p": 90000000.12345678}]))
            ticker = exchange.parse_ticker(
                {"market": "KRW-BTC", "trade_price": parsed[0]["p"], "timestamp": 1}
            )
    finally:
        await exchange.close()

    assert Decimal(ticker["last"]) == Decimal("90000000.12345678")
    assert float(Decimal("90000000.12345678")) != Decimal("90000000.12345678")


async def test_a_ban_that_outlasts_the_wait_is_waited_out_twice_as_long() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.switch("ban", seconds=1_000)
        with pytest.raises(BrokerConnectionError):
            await gateway.get_account()
        first = gateway.banned_until
        clock.advance(61)
        with pytest.raises(BrokerConnectionError):
            await gateway.connect()  # still banned at the venue
        second = gateway.banned_until

    assert first == START + timedelta(seconds=60)
    assert second == START + timedelta(seconds=61 + 120)


async def test_holdings_read_once_are_kept_until_the_stream_says_they_changed() -> None:
    clock = FakeClock(START)
    async with upbit_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        await until(lambda: gateway.account_stream.orders.live, "the account's stream opens")
        first = await gateway.get_positions()  # asked
        asked = venue.requests
        kept = await gateway.get_positions()
        told = venue.requests
        await gateway.place_order(buy("1"))
        await caught_up(venue, gateway)  # myAsset: the balances changed
        before = venue.requests
        after = await gateway.get_positions()

    assert first == kept == []
    assert told == asked, "kept: not asked"
    assert venue.requests == before + 1, "changed: asked again"
    (eth,) = after
    assert (eth.symbol, eth.quantity) == ("KRW-ETH", 1)
    assert eth.average_price > 0, "Upbit's average buy price, from the read"
