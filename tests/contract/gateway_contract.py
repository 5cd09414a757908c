"""The contract every ``IBrokerGateway`` honours.

A gateway's test module subclasses ``GatewayContract`` and provides a ``harness`` fixture: the
gateway, connected, on a market that is open, plus the few levers only a test has (moving the
venue's time, dropping the link, losing an answer, a 429, fills in parts). SIM, the tests' fake
broker, the paper gateway and the replay broker run it; each real venue runs it against a
loopback copy of its wire protocol. A double without a lever (a replay has no link to drop)
skips that test and says why; a double that cannot rest a limit order must refuse it with a
reason.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from livetrader_gui.application.market_data.polling import PollingFeed
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerRateLimitError,
    BrokerTimeoutError,
    ConnectionState,
    IBrokerGateway,
    UnknownSymbolError,
)
from livetrader_gui.domain import (
    AccountStatus,
    Candle,
    OrderRequest,
    OrderStatus,
    OrderType,
    PriceRounding,
    Quote,
    TradeDirection,
    new_client_order_id,
)
from tests.fakes import FakeClock


@dataclass
class GatewayHarness:
    gateway: IBrokerGateway
    symbol: str  # a liquid symbol the venue lists
    clock: FakeClock  # the venue's time, and the tests' real time
    advance: Callable[[float], None]  # move the venue's time forward by seconds
    drop_link: Callable[[], None] | None  # make the venue unreachable
    lose_next_answer: Callable[[], None] | None  # accept the next order but lose its answer
    rate_limit: Callable[[float], None] | None = None  # answer 429 for so many seconds
    parts: int | None = None  # a quantity it fills in more than one part (None: all at once)
    # True: a market order sweeps the book at once, and parts come to a limit order the
    # market reaches second by second (Binance); False: a market order fills in parts.
    parts_rest: bool = False
    rests_limit_orders: bool = True  # False: it refuses limit orders with a reason
    # Wait until what the venue did in the time just moved has reached the gateway (a venue
    # that pushes the account's orders over a socket takes real milliseconds).
    caught_up: Callable[[], Awaitable[None]] | None = None

    async def step(self, seconds: float) -> None:
        """Move the venue's time forward by *seconds*, and let the gateway hear of it."""
        self.advance(seconds)
        if self.caught_up is not None:
            await self.caught_up()

    def lever(self, lever: object, missing: str) -> None:
        """Skip the test when the double has no such lever, saying why."""
        if lever is None:
            pytest.skip(f"{self.gateway.display_name}: {missing}")


def market(
    symbol: str, quantity: int, direction: TradeDirection = TradeDirection.BUY
) -> OrderRequest:
    return OrderRequest(
        new_client_order_id(), symbol, direction, OrderType.MARKET, Decimal(quantity)
    )


async def filled(harness: GatewayHarness, client_order_id: str, steps: int = 60) -> None:
    for _ in range(steps):
        state = await harness.gateway.get_order(client_order_id)
        assert state is not None
        if state.status is OrderStatus.FILLED:
            return
        await harness.step(1)
    pytest.fail(f"order {client_order_id} did not fill within {steps} s")


class GatewayContract:
    """Tests every gateway must pass. Subclasses provide the ``harness`` fixture."""

    async def test_it_reports_its_identity_and_an_aware_clock(
        self, harness: GatewayHarness
    ) -> None:
        gateway = harness.gateway
        assert isinstance(gateway, IBrokerGateway)
        assert gateway.broker_id
        assert gateway.display_name
        assert gateway.connection_state is ConnectionState.CONNECTED
        assert gateway.clock.now().utcoffset() == timedelta(0)

    async def test_every_call_fails_cleanly_while_disconnected(
        self, harness: GatewayHarness
    ) -> None:
        await harness.gateway.disconnect()
        assert harness.gateway.connection_state is ConnectionState.DISCONNECTED
        with pytest.raises(BrokerConnectionError):
            await harness.gateway.get_latest_quote(harness.symbol)
        await harness.gateway.connect()
        assert await harness.gateway.get_latest_quote(harness.symbol) is not None

    async def test_a_dropped_link_is_reported_and_fails_calls(
        self, harness: GatewayHarness
    ) -> None:
        harness.lever(harness.drop_link, "it has no link that can drop")
        assert harness.drop_link is not None
        harness.drop_link()
        assert harness.gateway.connection_state is ConnectionState.DISCONNECTED
        with pytest.raises(BrokerConnectionError):
            await harness.gateway.get_account()

    async def test_it_lists_instruments_and_refuses_unknown_symbols(
        self, harness: GatewayHarness
    ) -> None:
        symbols = [i.symbol for i in await harness.gateway.get_instruments()]
        assert harness.symbol in symbols
        with pytest.raises(UnknownSymbolError):
            await harness.gateway.get_instrument("NO-SUCH-SYMBOL")

    async def test_quotes_are_positive_uncrossed_on_the_tick_grid_and_timestamped(
        self, harness: GatewayHarness
    ) -> None:
        instrument = await harness.gateway.get_instrument(harness.symbol)
        quote = await harness.gateway.get_latest_quote(harness.symbol)
        assert quote is not None
        assert quote.symbol == harness.symbol
        assert 0 < quote.bid <= quote.ask
        assert instrument.is_valid_price(quote.bid)
        assert instrument.is_valid_price(quote.ask)
        assert quote.at <= harness.gateway.clock.now()

    async def test_recent_candles_are_closed_ordered_and_at_most_the_limit(
        self, harness: GatewayHarness
    ) -> None:
        now = harness.gateway.clock.now()
        candles = await harness.gateway.get_recent_candles(harness.symbol, 50)
        assert 0 < len(candles) <= 50
        assert all(c.end <= now for c in candles)
        assert all(a.start < b.start for a, b in itertools.pairwise(candles))
        assert all(c.symbol == harness.symbol for c in candles)

    async def test_historical_candles_match_recent_ones_and_never_come_from_the_future(
        self, harness: GatewayHarness
    ) -> None:
        now = harness.gateway.clock.now()
        recent = await harness.gateway.get_recent_candles(harness.symbol, 10)
        history = await harness.gateway.get_historical_candles(
            harness.symbol, recent[0].start, now + timedelta(hours=2)
        )
        assert history[: len(recent)] == recent
        assert all(c.end <= now for c in history)
        assert all(recent[0].start <= c.start for c in history)

    async def test_a_market_order_fills_and_shows_in_positions_and_account(
        self, harness: GatewayHarness
    ) -> None:
        gateway = harness.gateway
        cash_before = (await gateway.get_account()).cash
        order = market(harness.symbol, 3)

        state = await gateway.place_order(order)
        assert state.client_order_id == order.client_order_id
        assert state.status in (
            OrderStatus.SUBMITTED,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
        )
        await filled(harness, order.client_order_id)

        final = await gateway.get_order(order.client_order_id)
        assert final is not None
        assert final.filled_quantity == 3
        assert sum(f.quantity for f in final.fills) == 3
        assert len({f.fill_id for f in final.fills}) == len(final.fills)
        held = {p.symbol: p.quantity for p in await gateway.get_positions()}
        assert held[harness.symbol] == 3
        assert (await gateway.get_account()).cash < cash_before

    async def test_an_order_with_a_client_order_id_of_its_own_format_is_taken_and_found(
        self, harness: GatewayHarness
    ) -> None:
        ids = harness.gateway.client_order_ids
        client_order_id = ids.new()
        assert ids.problem(client_order_id) is None
        order = OrderRequest(
            client_order_id, harness.symbol, TradeDirection.BUY, OrderType.MARKET, Decimal(1)
        )

        state = await harness.gateway.place_order(order)

        assert state.client_order_id == client_order_id
        await filled(harness, client_order_id)

    async def test_placing_the_same_client_order_id_twice_never_creates_a_second_order(
        self, harness: GatewayHarness
    ) -> None:
        order = market(harness.symbol, 2)
        first = await harness.gateway.place_order(order)
        again = await harness.gateway.place_order(order)
        assert again.broker_order_id == first.broker_order_id
        await filled(harness, order.client_order_id)
        held = {p.symbol: p.quantity for p in await harness.gateway.get_positions()}
        assert held[harness.symbol] == 2

    async def test_a_refused_order_is_an_answer_with_a_reason(
        self, harness: GatewayHarness
    ) -> None:
        state = await harness.gateway.place_order(market(harness.symbol, 1, TradeDirection.SELL))
        assert state.status is OrderStatus.REJECTED
        assert state.reject_reason
        looked_up = await harness.gateway.get_order(state.client_order_id)
        assert looked_up is not None
        assert looked_up.status is OrderStatus.REJECTED

    async def test_a_resting_limit_order_can_be_cancelled(self, harness: GatewayHarness) -> None:
        gateway = harness.gateway
        instrument = await gateway.get_instrument(harness.symbol)
        quote = await gateway.get_latest_quote(harness.symbol)
        assert quote is not None
        low = instrument.round_price(quote.bid * Decimal("0.8"), PriceRounding.UP)
        order = OrderRequest(
            new_client_order_id(),
            harness.symbol,
            TradeDirection.BUY,
            OrderType.LIMIT,
            Decimal(1),
            low,
        )
        placed = await gateway.place_order(order)
        if not harness.rests_limit_orders:
            assert placed.status is OrderStatus.REJECTED
            assert placed.reject_reason
            return
        assert order.client_order_id in {o.client_order_id for o in await gateway.get_open_orders()}

        cancelled = await gateway.cancel_order(order.client_order_id)

        assert cancelled.status is OrderStatus.CANCELLED
        assert order.client_order_id not in {
            o.client_order_id for o in await gateway.get_open_orders()
        }

    async def test_an_unknown_client_order_id_is_not_found(self, harness: GatewayHarness) -> None:
        unknown = new_client_order_id()
        assert await harness.gateway.get_order(unknown, symbol=harness.symbol) is None

    async def test_a_lost_answer_times_out_and_the_order_is_found_by_client_id(
        self, harness: GatewayHarness
    ) -> None:
        harness.lever(harness.lose_next_answer, "no answer of it can be lost")
        assert harness.lose_next_answer is not None
        order = market(harness.symbol, 1)
        harness.lose_next_answer()
        with pytest.raises(BrokerTimeoutError):
            await harness.gateway.place_order(order)
        found = await harness.gateway.get_order(order.client_order_id)
        assert found is not None
        assert found.client_order_id == order.client_order_id

    async def test_the_account_is_active_with_buying_power(self, harness: GatewayHarness) -> None:
        account = await harness.gateway.get_account()
        assert account.status is AccountStatus.ACTIVE
        assert account.buying_power > 0
        assert account.verification_problems() == ()

    async def test_its_market_data_streams_the_symbols_quotes_and_closed_candles_in_order(
        self, harness: GatewayHarness
    ) -> None:
        # A gateway that streams gives its own feed; one that can only be asked is polled.
        feed = PollingFeed(harness.gateway, harness.clock)
        stream = feed.subscribe([harness.symbol])
        facts: list[tuple[Quote | Candle, datetime]] = []

        async def read() -> None:
            async for fact in stream:
                facts.append((fact, harness.gateway.clock.now()))

        reader = asyncio.create_task(read())
        for _ in range(3):
            await parked(harness.clock)
            harness.advance(60)
        await parked(harness.clock)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)

        quotes = [f for f, _ in facts if isinstance(f, Quote)]
        candles = [(f, at) for f, at in facts if isinstance(f, Candle)]
        assert quotes, "a quote arrives"
        assert len(candles) >= 2, "the minutes that close arrive"
        assert all(f.symbol == harness.symbol for f, _ in facts)
        assert all(c.end <= at for c, at in candles), "never a candle before it closed"
        assert all(a.start < b.start for (a, _), (b, _) in itertools.pairwise(candles))

    async def test_an_order_filled_in_parts_reports_each_part_and_they_add_up(
        self, harness: GatewayHarness
    ) -> None:
        harness.lever(harness.parts, "it fills every order whole, at once")
        assert harness.parts is not None
        order = market(harness.symbol, harness.parts)
        if harness.parts_rest:
            quote = await harness.gateway.get_latest_quote(harness.symbol)
            assert quote is not None
            instrument = await harness.gateway.get_instrument(harness.symbol)
            price = instrument.round_price(quote.ask * Decimal("1.05"), PriceRounding.UP)
            order = OrderRequest(
                order.client_order_id, order.symbol, order.direction, OrderType.LIMIT,
                order.quantity, price,
            )  # fmt: skip
        state = await harness.gateway.place_order(order)
        seen = []
        for _ in range(120):
            assert state.filled_quantity == sum((f.quantity for f in state.fills), Decimal(0))
            assert len({f.fill_id for f in state.fills}) == len(state.fills)
            if 0 < state.filled_quantity < order.quantity:
                assert state.status is OrderStatus.PARTIALLY_FILLED
            seen.append(state.filled_quantity)
            if state.status is OrderStatus.FILLED:
                break
            await harness.step(1)
            found = await harness.gateway.get_order(order.client_order_id)
            assert found is not None
            state = found
        assert state.status is OrderStatus.FILLED
        assert len(state.fills) >= 2
        assert any(0 < q < order.quantity for q in seen), "a part was seen on its own"
        value = sum((f.quantity * f.price for f in state.fills), Decimal(0))
        assert state.average_fill_price == value / order.quantity

    async def test_a_venue_that_says_slow_down_tells_how_long_and_answers_after(
        self, harness: GatewayHarness
    ) -> None:
        harness.lever(harness.rate_limit, "it never limits its request rate")
        assert harness.rate_limit is not None
        harness.rate_limit(5)

        with pytest.raises(BrokerRateLimitError) as limited:
            await harness.gateway.get_latest_quote(harness.symbol)

        assert 0 < limited.value.retry_after <= 5
        harness.advance(limited.value.retry_after)
        assert await harness.gateway.get_latest_quote(harness.symbol) is not None

    async def test_after_a_reconnection_its_orders_and_holdings_are_still_there(
        self, harness: GatewayHarness
    ) -> None:
        gateway = harness.gateway
        order = market(harness.symbol, 2)
        await gateway.place_order(order)
        await filled(harness, order.client_order_id)
        held = {p.symbol: p.quantity for p in await gateway.get_positions()}
        if harness.drop_link is not None:
            harness.drop_link()
        else:
            await gateway.disconnect()
        assert gateway.connection_state is ConnectionState.DISCONNECTED

        await gateway.connect()

        assert gateway.connection_state is ConnectionState.CONNECTED
        again = await gateway.get_order(order.client_order_id)
        assert again is not None
        assert again.status is OrderStatus.FILLED
        assert {p.symbol: p.quantity for p in await gateway.get_positions()} == held


async def parked(clock: FakeClock) -> None:
    """Let the other tasks run until one waits for time (a venue may take many turns, and one
    across a socket takes real milliseconds: after the first turns, each gives it one)."""
    for spin in range(10_000):
        if clock.sleepers:
            return
        await asyncio.sleep(0 if spin < 1_000 else 0.001)
    pytest.fail("nothing came to wait for time")
