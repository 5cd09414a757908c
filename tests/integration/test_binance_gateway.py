"""The ccxt gateway meets the local Binance's faults and limits as it would meet Binance's own."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import ccxt.async_support as ccxt_async
import pytest
from aiohttp import web

from livetrader_gui.adapters.brokers.ccxt.binance_gateway import BinanceGateway
from livetrader_gui.adapters.brokers.ccxt.exact import exact_class, isolated
from livetrader_gui.adapters.brokers.ccxt.venues import BINANCE, BINANCE_TESTNET
from livetrader_gui.adapters.brokers.connections import BrokerConnection, venue_exchange
from livetrader_gui.adapters.credentials import ApiKey
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
from tests.venues.binance import SYMBOLS, BinanceVenue, make_app
from tests.venues.binance_gateway import KEY, SECRET, binance_exchange, binance_gateway, switch
from tests.venues.market import caught_up, until

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def order(
    quantity: str,
    direction: TradeDirection = TradeDirection.BUY,
    symbol: str = "ETHUSDT",
    limit: Decimal | None = None,
) -> OrderRequest:
    kind = OrderType.MARKET if limit is None else OrderType.LIMIT
    return OrderRequest(
        BINANCE.client_order_ids.new(), symbol, direction, kind, Decimal(quantity), limit
    )


async def test_a_wrong_secret_is_refused_at_connect_in_words_that_say_what_to_fix() -> None:
    async with binance_gateway(FakeClock(START), secret="not-the-secret") as (_, gateway, _b):
        with pytest.raises(BrokerAuthenticationError) as refused:
            await gateway.connect()

    assert "secret key does not belong to this API key" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert gateway.connection_state is ConnectionState.DISCONNECTED


async def test_a_clock_out_of_step_with_the_venue_is_named_as_the_problem() -> None:
    async with binance_gateway(FakeClock(START), clock_skew=-30) as (_, gateway, _base):
        with pytest.raises(BrokerConnectionError) as refused:
            await gateway.connect()

    assert "clock is out of step with Binance's" in str(refused.value)
    assert gateway.connection_state is ConnectionState.DISCONNECTED


async def test_a_429_holds_every_request_for_as_long_as_binance_says_without_sending() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.faults.switch("rate_limit", seconds=7)
        with pytest.raises(BrokerRateLimitError) as limited:
            await gateway.get_latest_quote("ETHUSDT")
        with pytest.raises(BrokerRateLimitError) as held:
            await gateway.get_account()  # one weight for every request: all of them wait
        clock.advance(7)
        quote = await gateway.get_latest_quote("ETHUSDT")

    assert limited.value.sent
    assert limited.value.retry_after == 7
    assert "429" in str(limited.value)
    assert not held.value.sent, "held back: never sent"
    assert quote is not None


async def test_a_418_ban_stops_the_venue_for_as_long_as_binance_says_and_says_so() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.faults.switch("ban", seconds=300)
        with pytest.raises(BrokerConnectionError) as banned:
            await gateway.get_account()
        assert gateway.connection_state is ConnectionState.DISCONNECTED
        with pytest.raises(BrokerConnectionError):
            await gateway.connect()  # refused here: the ban is not over
        clock.advance(301)
        await gateway.connect()
        account = await gateway.get_account()

    assert "banned this address" in str(banned.value)
    assert "(418)" in str(banned.value)
    assert "09:05:00 UTC" in str(banned.value), "Retry-After said 300 s"
    assert account.buying_power > 0


async def test_weight_used_up_makes_the_next_request_wait_for_the_next_minute() -> None:
    clock = FakeClock(START)
    profile = replace(BINANCE, weight_per_minute=60)
    async with binance_gateway(clock, weight_limit=60, profile=profile) as (_, gateway, _b):
        await gateway.connect()  # exchangeInfo 20 and account 20
        await gateway.get_positions()  # 20 more: the minute's 60 are used
        assert gateway.remaining["default"] == 0
        waiting = asyncio.create_task(gateway.get_latest_quote("ETHUSDT"))
        await clock.settle()
        assert not waiting.done(), "it waits for the next minute"
        clock.advance(60)
        quote = await waiting

    assert quote is not None, "sent in the next minute: no 429"


async def test_a_502_page_is_an_error_in_words_not_html() -> None:
    async with binance_gateway(FakeClock(START)) as (venue, gateway, _base):
        await gateway.connect()
        venue.faults.switch("server_error")
        with pytest.raises(BrokerError) as failed:
            await gateway.get_latest_quote("ETHUSDT")

    said = str(failed.value)
    assert said.startswith("Binance is not available for get_latest_quote: ")
    assert "502" in said
    assert "<" not in said


async def test_an_answer_that_hangs_past_the_timeout_is_an_unknown_outcome_found_by_id() -> None:
    async with binance_gateway(FakeClock(START), answer_within=0.2) as (venue, gateway, _base):
        await gateway.connect()
        venue.faults.switch("hang", seconds=1)
        bought = order("1")
        with pytest.raises(BrokerTimeoutError):
            await gateway.place_order(bought)
        found = await gateway.get_order(bought.client_order_id, symbol="ETHUSDT")

    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert len(venue.orders) == 1


async def test_a_lost_answer_and_a_careless_retry_leave_exactly_one_order_at_binance() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        venue.faults.switch("lose_answer")
        bought = order("1")
        with pytest.raises(BrokerTimeoutError):
            await gateway.place_order(bought)
        # Binance would take the id again once its order has ended: the gateway looks it up.
        again = await gateway.place_order(bought)

    assert again.status is OrderStatus.FILLED
    assert [o.client_order_id for o in venue.orders.values()] == [bought.client_order_id]


async def test_a_market_buy_sweeps_the_book_and_each_level_is_a_fill_of_its_own() -> None:
    async with binance_gateway(FakeClock(START), bnb=Decimal(10), bnb_fees=True) as (
        venue,
        gateway,
        _base,
    ):
        await gateway.connect()
        state = await gateway.place_order(order("3"))

    assert state.status is OrderStatus.FILLED
    prices = [f.price for f in state.fills]
    assert len(prices) == 3
    assert prices == sorted(prices), "the best ask first, then the next levels"
    value = sum((f.quantity * f.price for f in state.fills), Decimal(0))
    assert state.average_fill_price == value / 3
    # Paid with BNB: the standard fee, 25 % off, on each fill's value, in USDT.
    assert all(f.commission == (f.quantity * f.price * Decimal("0.00075")) for f in state.fills)
    assert venue.balances["ETH"][0] == 3, "the coin bought is held whole"


async def test_a_fee_taken_in_the_coin_bought_is_what_the_venue_kept_of_the_fill() -> None:
    async with binance_gateway(FakeClock(START)) as (venue, gateway, _base):
        await gateway.connect()
        state = await gateway.place_order(order("1"))
        held = {p.symbol: p.quantity for p in await gateway.get_positions()}

    (fill,) = state.fills
    assert fill.quantity == 1, "the order filled whole"
    assert fill.fee_quantity == Decimal("0.001"), "Binance kept 0.1 % of the ETH"
    assert fill.commission == 0, "no money was paid besides the ETH's price"
    assert fill.held_change == held["ETHUSDT"] == Decimal("0.999")
    assert venue.balances["ETH"][0] == Decimal("0.999")


async def test_a_refused_sell_says_why_in_words_and_is_found_refused() -> None:
    async with binance_gateway(FakeClock(START)) as (_, gateway, _base):
        await gateway.connect()
        sold = order("1", TradeDirection.SELL)
        state = await gateway.place_order(sold)
        again = await gateway.get_order(sold.client_order_id, symbol="ETHUSDT")

    assert state.status is OrderStatus.REJECTED
    assert state.reject_reason == (
        "not enough of the asset this order spends (the cash of a buy, the coin of a sell)"
    )
    assert again == state


async def test_a_quantity_off_the_lot_step_is_refused_unsent_not_rounded_by_ccxt() -> None:
    async with binance_gateway(FakeClock(START)) as (venue, gateway, _base):
        await gateway.connect()
        state = await gateway.place_order(order("1.00005"))

    assert state.status is OrderStatus.REJECTED
    assert state.reject_reason == (
        "the quantity 1.00005 is not a whole number of the market's lot step 0.0001"
    )
    assert venue.orders == {}, "ccxt would have sent 1.0000"


async def test_a_resting_order_fills_in_parts_and_a_cancel_keeps_what_filled() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock, liquidity=Decimal(1)) as (venue, gateway, _base):
        await gateway.connect()
        price = venue.price("ETHUSDT") * Decimal("1.05")
        bought = order("5", limit=price.quantize(Decimal("0.01")))
        first = await gateway.place_order(bought)
        clock.advance(1)
        second = await gateway.get_order(bought.client_order_id)
        cancelled = await gateway.cancel_order(bought.client_order_id)
        again = await gateway.cancel_order(bought.client_order_id)  # the race: already ended

    assert first.status is OrderStatus.PARTIALLY_FILLED
    assert first.filled_quantity == 1
    assert second is not None
    assert second.filled_quantity == 2
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.filled_quantity == 2
    assert again == cancelled


async def test_an_order_placed_by_hand_is_reported_under_the_venues_id() -> None:
    async with binance_gateway(FakeClock(START)) as (venue, gateway, base):
        await gateway.connect()
        exchange = binance_exchange(base)
        try:
            with isolated():
                await exchange.load_markets()  # type: ignore[attr-defined]
                await exchange.create_order(  # type: ignore[attr-defined]
                    "ETH/USDT", "limit", "buy", "1", "1000", {"clientOrderId": "web_by_hand"}
                )
        finally:
            await exchange.close()  # type: ignore[attr-defined]
        open_orders = await gateway.get_open_orders()

    (by_hand,) = open_orders
    assert by_hand.client_order_id == f"BINANCE:{next(iter(venue.orders))}"


async def test_an_order_whose_symbol_is_not_known_cannot_be_looked_up_and_says_why() -> None:
    async with binance_gateway(FakeClock(START)) as (_, gateway, _base):
        await gateway.connect()
        with pytest.raises(BrokerError) as unknown:
            await gateway.get_order("LT-from-another-run")

    assert str(unknown.value) == (
        "Binance looks orders up by symbol, and order LT-from-another-run's is not known"
    )


async def test_instruments_carry_each_markets_filters_and_the_always_open_calendar() -> None:
    async with binance_gateway(FakeClock(START)) as (_, gateway, _base):
        await gateway.connect()
        instruments = {i.symbol: i for i in await gateway.get_instruments()}

    assert set(instruments) == set(SYMBOLS)
    eth = instruments["ETHUSDT"]
    assert eth.exchange == "24/7"
    assert eth.currency == "USDT"
    assert eth.ticks.tick_for(Decimal(3000)) == Decimal("0.01")
    assert eth.lot_size == Decimal("0.0001")
    assert eth.min_notional == 5


async def test_the_testnet_is_ccxts_sandbox_and_its_money_is_not_real() -> None:
    connection = BrokerConnection("BINANCE", testnet=True)
    exchange = venue_exchange(
        exact_class(ccxt_async.binance), connection.profile, ApiKey("k", "s"), None
    )
    try:
        urls = exchange.urls["api"]
    finally:
        await exchange.close()

    assert connection.connection_id == "BINANCE_TESTNET"
    assert connection.profile is BINANCE_TESTNET
    assert not BINANCE_TESTNET.real_money
    assert connection.display_name == "Binance testnet"
    assert urls["public"] == "https://testnet.binance.vision/api/v3"
    assert urls["private"] == "https://testnet.binance.vision/api/v3"


async def live(gateway: BinanceGateway) -> None:
    await until(lambda: gateway.account_stream.orders.live, "the account's stream subscribes")


async def test_a_resting_orders_fills_come_by_the_account_stream_without_a_request() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock, liquidity=Decimal(1)) as (venue, gateway, _base):
        await gateway.connect()
        await live(gateway)
        price = (venue.price("ETHUSDT") * Decimal("1.05")).quantize(Decimal("0.01"))
        bought = order("3", limit=price)
        placed = await gateway.place_order(bought)
        for _ in range(2):
            clock.advance(1)
            await caught_up(venue, gateway)
        asked = venue.requests
        pushed = await gateway.get_order(bought.client_order_id)
        told = venue.requests
        fetched = await gateway._fetched(bought.client_order_id, "ETHUSDT")

    assert placed.filled_quantity == 1
    assert pushed is not None
    assert fetched is not None
    assert told == asked, "answered from the stream: no request"
    assert pushed.status is OrderStatus.FILLED
    assert pushed.fills == fetched.fills, "the same fills, ids and fees as REST's"
    assert pushed.filled_quantity == fetched.filled_quantity == 3


async def test_a_stream_that_breaks_sends_lookups_to_rest_until_orders_are_followed_again() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (venue, gateway, base):
        await gateway.connect()
        await live(gateway)
        before = order("1")
        await gateway.place_order(before)
        await caught_up(venue, gateway)
        followed = gateway.pushed_order(before.client_order_id)

        await switch(base, "close_streams")  # the venue closes its websockets
        await until(lambda: not gateway.account_stream.orders.live, "the break is seen")
        broken = gateway.pushed_order(before.client_order_id)
        asked = venue.requests
        found = await gateway.get_order(before.client_order_id)
        told = venue.requests
        clock.advance(1)  # the stream opens again after its first pause (1 s)
        await live(gateway)
        after = order("1")
        await gateway.place_order(after)
        await caught_up(venue, gateway)
        followed_again = gateway.pushed_order(after.client_order_id)

    assert followed is not None
    assert broken is None, "what was pushed before the break is forgotten"
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert told > asked, "asked by REST"
    assert followed_again is not None, "followed from its placement, after the break"


async def test_balances_the_stream_pushes_answer_holdings_without_a_request() -> None:
    clock = FakeClock(START)
    async with binance_gateway(clock) as (venue, gateway, _base):
        await gateway.connect()
        await live(gateway)
        before = await gateway.get_positions()  # asked once: the balances the pushes change
        await gateway.place_order(order("2"))
        await caught_up(venue, gateway)
        asked = venue.requests
        pushed = await gateway.get_positions()
        account = await gateway.get_account()
        told = venue.requests
        gateway.account_stream.orders.lost("a test breaks it")
        fetched = await gateway.get_positions()

    assert before == []
    assert [(p.symbol, p.quantity) for p in pushed] == [("ETHUSDT", Decimal("1.998"))]
    assert pushed == fetched, "the pushes tell what REST tells"
    assert told - asked == 1, "only the price of what is held was asked, for the equity"
    assert account.cash == Decimal(venue.balances["USDT"][0] + venue.balances["USDT"][1])


async def test_a_venue_that_goes_away_disconnects_the_gateway_and_its_orders_are_there_after() -> (
    None
):
    clock = FakeClock(START)
    venue = BinanceVenue(KEY, SECRET, usdt=Decimal(10**6), clock=lambda: clock.now().timestamp())
    runner = web.AppRunner(make_app(venue), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    gateway = BinanceGateway(
        BINANCE, lambda: binance_exchange(base), clock, account_stream=f"ws{base[4:]}/ws-api/v3"
    )
    try:
        await gateway.connect()
        await live(gateway)
        bought = order("1")
        await gateway.place_order(bought)
        await runner.cleanup()  # the venue is gone, its sockets with it

        with pytest.raises(BrokerConnectionError):
            await gateway.get_account()
        assert gateway.connection_state is ConnectionState.DISCONNECTED
        with pytest.raises(BrokerConnectionError):
            await gateway.get_order(bought.client_order_id, symbol="ETHUSDT")

        runner = web.AppRunner(make_app(venue), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await gateway.connect()
        found = await gateway.get_order(bought.client_order_id, symbol="ETHUSDT")
    finally:
        await gateway.disconnect()
        await runner.cleanup()

    assert found is not None
    assert found.status is OrderStatus.FILLED


async def test_binances_weights_already_count_the_prices_a_call_reads() -> None:
    async with binance_gateway(FakeClock(START)) as (_, gateway, _base):
        buy = OrderRequest("LT-1", "ETHUSDT", TradeDirection.BUY, OrderType.MARKET, Decimal("0.01"))

        # A market order goes as one; the account's weight counts its prices (``venue_budgets``).
        assert (gateway.quotes_to_place(buy), gateway.quotes_for_account()) == (0, 0)
        assert gateway.requests_for_quote() == 1, "Binance's ticker has the bid and ask"
