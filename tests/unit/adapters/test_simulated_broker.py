"""The simulated broker SIM: fills, fees, partial fills, rejections with reasons, and faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from livetrader_gui.adapters.brokers.simulated import SimulatedBroker
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerTimeoutError,
    ConnectionState,
    UnknownSymbolError,
)
from livetrader_gui.domain import OrderRequest, OrderStatus, PriceRounding, Quote
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0, buy, sell, sim_broker

START_CASH = Decimal(100_000_000)


async def connected(
    xkrx: ExchangeTradingCalendar, **ledger: Any
) -> tuple[SimulatedBroker, FakeClock]:
    broker, clock = sim_broker(xkrx, **ledger)
    await broker.connect()
    return broker, clock


async def test_a_market_buy_fills_at_the_ask_and_pays_commission(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None

    state = await broker.place_order(buy(10))

    assert state.status is OrderStatus.FILLED
    (fill,) = state.fills
    assert fill.price == quote.ask
    assert fill.commission == (10 * quote.ask * Decimal("0.00015")).quantize(
        Decimal(1), "ROUND_DOWN"
    )
    assert fill.tax == 0
    account = await broker.get_account()
    assert account.cash == START_CASH - 10 * quote.ask - fill.commission
    assert [(p.symbol, p.quantity, p.average_price) for p in await broker.get_positions()] == [
        ("005930", Decimal(10), quote.ask)
    ]


async def test_a_sale_pays_the_020_percent_transaction_tax_and_commission(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = await connected(xkrx)
    await broker.place_order(buy(10))
    clock.advance(60)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None
    cash_before = (await broker.get_account()).cash

    state = await broker.place_order(sell(10))

    (fill,) = state.fills
    value = 10 * quote.bid
    assert fill.price == quote.bid
    assert fill.tax == (value * Decimal("0.002")).quantize(Decimal(1), "ROUND_DOWN")
    assert (await broker.get_account()).cash == cash_before + value - fill.commission - fill.tax
    assert await broker.get_positions() == []


async def test_a_large_order_fills_in_parts_as_the_market_trades(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = await connected(xkrx, participation=Decimal("0.000001"))  # one share a second

    placed = await broker.place_order(buy(5))
    assert (placed.status, placed.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 1)

    clock.advance(2)
    middle = await broker.get_order(placed.client_order_id)
    assert middle is not None
    assert (middle.status, middle.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 3)

    clock.advance(2)
    done = await broker.get_order(placed.client_order_id)
    assert done is not None
    assert (done.status, done.filled_quantity, len(done.fills)) == (OrderStatus.FILLED, 5, 5)
    assert done.average_fill_price == sum(f.price * f.quantity for f in done.fills) / 5
    assert len({f.fill_id for f in done.fills}) == 5


async def test_a_limit_buy_rests_until_the_market_comes_to_it(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = await connected(xkrx)
    market = broker._market  # the same deterministic path the broker matches against
    path = market.day_path("005930", MARKET_OPEN_T0.date())
    start = path.index_at(MARKET_OPEN_T0)
    asks = [market.to_price("005930", p) + 100 for p in path.prices[start : start + 600]]
    limit = min(asks)
    assert asks[0] > limit, "the test needs a limit below the current ask"

    state = await broker.place_order(buy(3, limit=limit))
    assert state.status is OrderStatus.SUBMITTED
    clock.advance(600)
    filled = await broker.get_order(state.client_order_id)

    assert filled is not None
    assert filled.status is OrderStatus.FILLED
    assert all(f.price <= limit for f in filled.fills)


async def test_an_unfilled_limit_order_expires_at_the_close(xkrx: ExchangeTradingCalendar) -> None:
    broker, clock = await connected(xkrx)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None
    low = broker._market.instrument("005930").round_price(
        quote.bid * Decimal("0.75"), PriceRounding.UP
    )
    state = await broker.place_order(buy(1, limit=low))

    clock.advance(6 * 3600)
    expired = await broker.get_order(state.client_order_id)

    assert expired is not None
    assert expired.status is OrderStatus.EXPIRED
    assert expired.reject_reason == "day order expired at the market close"
    assert await broker.get_open_orders() == []


async def test_an_open_buy_order_reserves_buying_power(xkrx: ExchangeTradingCalendar) -> None:
    broker, _ = await connected(xkrx)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None
    low = broker._market.instrument("005930").round_price(
        quote.bid * Decimal("0.9"), PriceRounding.UP
    )

    await broker.place_order(buy(100, limit=low))

    account = await broker.get_account()
    assert account.cash == START_CASH
    assert account.buying_power == int(START_CASH - 100 * low * Decimal("1.00015"))
    assert len(await broker.get_open_orders()) == 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda q: buy("1.5"), "quantity 1.5 is not a whole number of lots (lot size 1)"),
        (lambda q: buy(1, symbol="999999"), "unknown symbol '999999'"),
        (lambda q: buy(1, limit=q.bid + 50), "is off the tick grid: the tick at this price is 100"),
        (lambda q: buy(1, limit=q.bid * 2), "is outside today's price limits"),
        (lambda q: buy(100_000), "insufficient buying power: the order needs about"),
        (lambda q: sell(1), "cannot sell 1 005930: 0 held, 0 already on open sell orders"),
    ],
)
async def test_bad_orders_are_rejected_with_the_reason(
    xkrx: ExchangeTradingCalendar, make: Callable[[Quote], OrderRequest], reason: str
) -> None:
    broker, _ = await connected(xkrx)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None

    state = await broker.place_order(make(quote))

    assert state.status is OrderStatus.REJECTED
    assert state.reject_reason is not None
    assert reason in state.reject_reason
    assert (await broker.get_account()).cash == START_CASH


async def test_the_nearest_valid_prices_are_named_for_an_off_tick_limit(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None
    state = await broker.place_order(buy(1, limit=quote.bid + 50))
    assert state.reject_reason is not None
    assert (
        f"nearest valid prices {quote.bid:,.0f} and {quote.bid + 100:,.0f}" in state.reject_reason
    )


async def test_orders_are_rejected_while_the_market_is_closed(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = await connected(xkrx)
    clock.advance(7 * 3600)  # 17:00 KST

    state = await broker.place_order(buy(1))

    assert state.status is OrderStatus.REJECTED
    assert state.reject_reason == (
        "the XKRX market is closed; it opens at 2026-11-25T00:00:00+00:00"
    )


async def test_an_order_sent_twice_with_the_same_client_id_is_placed_once(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx)
    order = buy(10)

    first = await broker.place_order(order)
    second = await broker.place_order(order)

    assert second == first
    assert [p.quantity for p in await broker.get_positions()] == [10]


async def test_a_partly_filled_order_can_be_cancelled_keeping_its_fills(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx, participation=Decimal("0.000001"))
    state = await broker.place_order(buy(5))

    cancelled = await broker.cancel_order(state.client_order_id)

    assert (cancelled.status, cancelled.filled_quantity) == (OrderStatus.CANCELLED, 1)
    with pytest.raises(ValueError, match="has no order nope"):
        await broker.cancel_order("nope")


async def test_a_dropped_connection_fails_every_call_until_reconnected(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx)
    await broker.place_order(buy(10))
    broker.faults.disconnect()

    assert broker.connection_state is ConnectionState.DISCONNECTED
    with pytest.raises(BrokerConnectionError, match="SIM is disconnected"):
        await broker.get_account()

    broker.faults.refuse_connections(2)
    for _ in range(2):
        with pytest.raises(BrokerConnectionError, match="refused the connection"):
            await broker.connect()
    await broker.connect()
    assert [p.quantity for p in await broker.get_positions()] == [10], "the account survives"


async def test_latency_delays_answers_on_the_broker_clock(xkrx: ExchangeTradingCalendar) -> None:
    broker, clock = await connected(xkrx)
    broker.faults.latency = 2.0

    call = asyncio.ensure_future(broker.get_account())
    await clock.settle()
    assert not call.done()
    clock.advance(2)
    account = await call

    assert account.cash == START_CASH


async def test_a_silent_feed_freezes_quotes_while_connected(xkrx: ExchangeTradingCalendar) -> None:
    broker, clock = await connected(xkrx)
    broker.faults.silence_feed("005930")
    frozen = await broker.get_latest_quote("005930")
    clock.advance(120)

    assert await broker.get_latest_quote("005930") == frozen
    assert (await broker.get_recent_candles("005930", 1))[-1].end <= MARKET_OPEN_T0
    other = await broker.get_latest_quote("000660")
    assert other is not None
    assert other.at == MARKET_OPEN_T0 + timedelta(seconds=120)

    broker.faults.restore_feed()
    fresh = await broker.get_latest_quote("005930")
    assert fresh is not None
    assert fresh.at == MARKET_OPEN_T0 + timedelta(seconds=120)


async def test_a_lost_answer_is_a_timeout_and_the_order_is_found_by_client_id(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx)
    broker.faults.lose_next_order_answers(1)
    order = buy(10)

    with pytest.raises(BrokerTimeoutError, match="look it up by client order id"):
        await broker.place_order(order)
    found = await broker.get_order(order.client_order_id)

    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert await broker.place_order(order) == found
    assert [p.quantity for p in await broker.get_positions()] == [10]


async def test_injected_rejections_timeouts_and_blocks(xkrx: ExchangeTradingCalendar) -> None:
    broker, _ = await connected(xkrx)
    broker.faults.reject_next_orders(1, "risk desk says no")
    assert (await broker.place_order(buy(1))).reject_reason == "risk desk says no"
    assert (await broker.place_order(buy(1))).status is OrderStatus.FILLED

    broker.faults.time_out_next_calls(1)
    with pytest.raises(BrokerTimeoutError):
        await broker.get_account()

    broker.faults.account_blocked = True
    assert (await broker.get_account()).verification_problems() == (
        "trading is blocked on account SIM-0001",
    )
    assert (
        await broker.place_order(buy(1))
    ).reject_reason == "trading is blocked on account SIM-0001"


async def test_market_data_requests_are_checked(xkrx: ExchangeTradingCalendar) -> None:
    broker, _ = await connected(xkrx)
    with pytest.raises(UnknownSymbolError, match="SIM does not list 'XXX'"):
        await broker.get_instrument("XXX")
    with pytest.raises(ValueError, match="candle limit must be between 1 and"):
        await broker.get_recent_candles("005930", 0)
    with pytest.raises(ValueError, match="at most 400 days"):
        await broker.get_historical_candles(
            "005930", MARKET_OPEN_T0 - timedelta(days=500), MARKET_OPEN_T0
        )
    with pytest.raises(ValueError, match="must carry a time zone"):
        await broker.get_historical_candles(
            "005930", MARKET_OPEN_T0.replace(tzinfo=None), MARKET_OPEN_T0
        )
    future = await broker.get_historical_candles(
        "005930", MARKET_OPEN_T0 + timedelta(minutes=1), MARKET_OPEN_T0 + timedelta(hours=1)
    )
    assert future == []
    assert [i.symbol for i in await broker.get_instruments()][:2] == ["005930", "000660"]
    assert (await broker.get_instrument("005930")).name == "Samsung Electronics"


async def test_slippage_moves_fills_against_the_trader_by_whole_ticks(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, _ = await connected(xkrx, slippage_ticks=2)
    quote = await broker.get_latest_quote("005930")
    assert quote is not None

    bought = await broker.place_order(buy(1))
    sold = await broker.place_order(sell(1))

    tick = Decimal(100)  # 005930 trades between 50,000 and 200,000 KRW
    assert bought.fills[0].price == quote.ask + 2 * tick
    assert sold.fills[0].price == quote.bid - 2 * tick


async def test_candles_are_built_in_a_worker_thread_not_on_the_event_loop(
    xkrx: ExchangeTradingCalendar,
) -> None:
    import threading

    broker, clock = await connected(xkrx)
    clock.advance(600)
    built_on: list[str] = []
    market = broker._market
    candles, recent = market.candles, market.recent_candles

    def spy_candles(*args: Any) -> Any:
        built_on.append(threading.current_thread().name)
        return candles(*args)

    def spy_recent(*args: Any) -> Any:
        built_on.append(threading.current_thread().name)
        return recent(*args)

    market.candles = spy_candles  # type: ignore[method-assign, assignment]
    market.recent_candles = spy_recent  # type: ignore[method-assign, assignment]

    await broker.get_recent_candles("005930", 500)
    await broker.get_historical_candles("005930", MARKET_OPEN_T0, clock.now())

    assert built_on
    assert threading.main_thread().name not in built_on
