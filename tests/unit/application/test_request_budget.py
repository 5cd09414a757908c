"""A gateway's requests spend its venue's budget: in order of importance, never past the
venue's limit, and not at all while the venue has asked for a pause (issue 21)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from livetrader_gui.adapters.brokers.venue_budgets import BINANCE, UPBIT, within_budget
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.ports import BrokerOrderState, BrokerRateLimitError
from livetrader_gui.application.request_budget import (
    BudgetedGateway,
    Rate,
    RequestBudget,
    RequestGroup,
    VenueBudget,
)
from livetrader_gui.domain import OrderRequest, OrderStatus, OrderType, TradeDirection
from tests.builders import T0
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock
from tests.runner_harness import Harness

ORDERS, ACCOUNT, MARKET_DATA = RequestGroup.ORDERS, RequestGroup.ACCOUNT, RequestGroup.MARKET_DATA
SAMSUNG = "005930"


async def spend(budget: RequestBudget, clock: FakeClock, groups: list[RequestGroup]) -> list[str]:
    """Ask for every group's turn at once; return the order they were let go in, with times."""
    order: list[str] = []

    async def ask(i: int, group: RequestGroup) -> None:
        await budget.acquire(group)
        order.append(f"{group.name}#{i}@{(clock.now() - T0).total_seconds():g}")

    tasks = [asyncio.create_task(ask(i, g)) for i, g in enumerate(groups)]
    await turn()
    while budget.waiting:
        await clock.run_until(clock.now() + timedelta(seconds=0.05), lambda: budget.waiting)
        await turn()
    await asyncio.gather(*tasks)
    return order


async def turn() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_requests_within_the_burst_go_at_once_and_the_rest_at_the_venues_rate() -> None:
    clock = FakeClock(T0)
    budget = RequestBudget(VenueBudget("V", {MARKET_DATA: Rate(10, 3)}), clock)

    order = await spend(budget, clock, [MARKET_DATA] * 5)

    assert order == [
        "MARKET_DATA#0@0",
        "MARKET_DATA#1@0",
        "MARKET_DATA#2@0",
        "MARKET_DATA#3@0.1",
        "MARKET_DATA#4@0.2",
    ]


async def test_an_order_waiting_goes_before_an_account_read_and_that_before_a_quote() -> None:
    clock = FakeClock(T0)
    budget = RequestBudget(VenueBudget("V", shared=Rate(10, 1)), clock)
    await budget.acquire(MARKET_DATA)  # the burst is spent: the next ones wait

    order = await spend(budget, clock, [MARKET_DATA, ACCOUNT, ORDERS, MARKET_DATA, ORDERS])

    assert [o.split("@")[0] for o in order] == [
        "ORDERS#2",
        "ORDERS#4",
        "ACCOUNT#1",
        "MARKET_DATA#0",
        "MARKET_DATA#3",
    ]


async def test_a_group_that_has_spent_its_own_rate_does_not_hold_back_another() -> None:
    clock = FakeClock(T0)
    budget = RequestBudget(VenueBudget("V", {ORDERS: Rate(1, 1), MARKET_DATA: Rate(10, 10)}), clock)
    await budget.acquire(ORDERS)

    order = await spend(budget, clock, [ORDERS, MARKET_DATA, MARKET_DATA])

    assert order == ["MARKET_DATA#1@0", "MARKET_DATA#2@0", "ORDERS#0@1"]


async def test_a_request_weighs_what_the_venue_counts_against_the_shared_allowance() -> None:
    clock = FakeClock(T0)
    budget = RequestBudget(VenueBudget("V", shared=Rate(10, 20)), clock)
    await budget.acquire(ACCOUNT, cost=20)

    async def quote_after_account() -> float:
        await budget.acquire(MARKET_DATA, cost=2)
        return (clock.now() - T0).total_seconds()

    waited = asyncio.create_task(quote_after_account())
    await turn()
    await clock.run_until(T0 + timedelta(seconds=1), lambda: budget.waiting)

    assert await waited == pytest.approx(0.2)


async def test_a_request_that_gives_up_waiting_lets_the_next_go() -> None:
    clock = FakeClock(T0)
    budget = RequestBudget(VenueBudget("V", shared=Rate(1, 1)), clock)
    await budget.acquire(MARKET_DATA)
    first = asyncio.create_task(budget.acquire(ORDERS))
    second = asyncio.create_task(budget.acquire(MARKET_DATA))
    await clock.settle(2)

    first.cancel()
    await turn()
    await clock.run_until(T0 + timedelta(seconds=1), lambda: budget.waiting)
    await second

    assert budget.waiting == 0
    assert budget.granted[MARKET_DATA] == 2


async def test_the_venues_slow_down_holds_its_group_and_refuses_without_sending() -> None:
    clock = FakeClock(T0)
    broker = FakeBroker(clock)
    gateway = BudgetedGateway(broker, RequestBudget(UPBIT, clock))
    broker.rate_limited_until = T0 + timedelta(seconds=5)

    with pytest.raises(BrokerRateLimitError) as met:
        await gateway.get_latest_quote(SAMSUNG)
    assert met.value.sent
    calls = broker.calls
    broker.rate_limited_until = None

    with pytest.raises(BrokerRateLimitError) as held:
        await gateway.get_recent_candles(SAMSUNG, 5)
    assert not held.value.sent
    assert held.value.retry_after == 5
    assert "UPBIT asked for no market data requests for 5 s more" in str(held.value)
    assert broker.calls == calls, "a held request never reaches the venue"
    await gateway.get_account()  # Upbit limits its exchange requests apart from quotes
    clock.advance(5)
    assert await gateway.get_recent_candles(SAMSUNG, 5) == []
    assert gateway.budget.refused[MARKET_DATA] == 1


async def test_a_venue_that_limits_per_ip_holds_every_group() -> None:
    clock = FakeClock(T0)
    broker = FakeBroker(clock, broker_id="BINANCE")
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    broker.rate_limited_until = T0 + timedelta(seconds=2)

    with pytest.raises(BrokerRateLimitError):
        await gateway.get_latest_quote(SAMSUNG)
    with pytest.raises(BrokerRateLimitError) as held:
        await gateway.get_account()

    assert not held.value.sent
    assert gateway.budget.held_for(ORDERS) == 2


def test_a_venue_without_limits_or_already_budgeted_is_not_wrapped_and_bad_figures_are_named() -> (
    None
):
    broker = FakeBroker(FakeClock(T0), broker_id="SIM")
    assert within_budget(broker, broker.clock) is broker
    upbit = within_budget(FakeBroker(broker.clock, broker_id="UPBIT"), broker.clock)
    assert within_budget(upbit, broker.clock) is upbit
    with pytest.raises(ValueError, match="above 0 per second, not 0"):
        Rate(0, 1)
    with pytest.raises(ValueError, match="at least 1, not 0"):
        Rate(1, 0)
    assert BINANCE.weight("get_account") == 22, "the account, and the prices of what it holds"
    assert BINANCE.weight("connect") == 1


@pytest.mark.parametrize("budget", [UPBIT, BINANCE], ids=lambda b: b.venue)
def test_a_venues_budget_never_exceeds_its_published_limit_in_any_window(
    budget: VenueBudget,
) -> None:
    # A token bucket sends at most burst + rate x window in any window: that is the worst case.
    published = {
        "UPBIT": {ORDERS: (8, 1.0), ACCOUNT: (30, 1.0), MARKET_DATA: (10, 1.0)},
        "BINANCE": {ORDERS: (50, 10.0)},
    }[budget.venue]
    for group, (limit, window) in published.items():
        rate = budget.groups[group]
        assert rate.burst + rate.per_second * window <= limit, f"{budget.venue} {group.name}"
    if budget.shared is not None:
        assert budget.shared.burst + budget.shared.per_second * 60 <= 6_000


# ----------------------------------------------------------------------------- the runner

# Upbit's way of holding (each group apart), with room for the harness's bursts: its clock
# moves only when told, so a request waiting for a token would wait for ever.
ROOMY_UPBIT = replace(UPBIT, groups=dict.fromkeys(RequestGroup, Rate(1_000, 1_000)))


async def test_an_order_held_back_by_the_budget_is_closed_as_not_sent_and_never_reaches_the_broker(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await Harness(xkrx, budget=ROOMY_UPBIT).started()
    await h.warm_up(SAMSUNG)
    assert isinstance(h.gateway, BudgetedGateway)
    h.gateway.budget.hold(ORDERS, 90)  # past the coming minute

    await h.minute(s005930=110)

    assert h.broker.placed == []
    (order,) = h.orders.orders.values()
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason is not None
    assert order.reject_reason.startswith("not sent: UPBIT asked for no orders requests")
    assert h.runner.book.held(SAMSUNG) == 0


async def test_a_pause_the_venue_asks_of_one_session_holds_the_other_on_the_same_venue(
    xkrx: ExchangeTradingCalendar,
) -> None:
    first = await Harness(xkrx, budget=ROOMY_UPBIT).started()
    second = await Harness(xkrx, shared=first).started()
    first.broker.rate_limited_until = first.clock.now() + timedelta(seconds=70)
    first.clock.advance(60)

    await first.runner.run_once()
    first.broker.rate_limited_until = None  # the venue would answer, but it asked for 70 s
    calls = first.broker.calls
    await second.runner.run_once()

    assert first.broker.calls == calls, "the second session sent nothing"
    (said,) = [m for m in second.observer.logs() if "asks to slow down" in m]
    assert "not sent" in said


class PushingBroker(FakeBroker):
    """A broker whose account stream has followed its orders (``IPushesOrders``)."""

    def pushed_order(self, client_order_id: str) -> BrokerOrderState | None:
        return self.orders.get(client_order_id)

    def knows_balances(self) -> bool:
        return False


async def test_an_order_the_account_stream_has_followed_is_looked_up_without_spending() -> None:
    clock = FakeClock(T0)
    broker = PushingBroker(clock, broker_id="BINANCE")
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    broker.set_price(SAMSUNG, 1000)
    placed = await gateway.place_order(
        OrderRequest("LT-1", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))
    )
    calls = broker.calls
    gateway.budget.hold(ORDERS, 60)  # a lookup that had to be asked would be refused now

    found = await gateway.get_order("LT-1", symbol=SAMSUNG)

    assert found == placed
    assert broker.calls == calls, "told by the stream: not asked"


class BalancesPushingBroker(PushingBroker):
    """A broker whose account stream keeps the balances too."""

    def knows_balances(self) -> bool:
        return True


async def test_holdings_the_account_stream_keeps_are_read_without_spending() -> None:
    clock = FakeClock(T0)
    broker = BalancesPushingBroker(clock, broker_id="BINANCE")
    broker.holdings[SAMSUNG] = Decimal(3)
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    gateway.budget.hold(ACCOUNT, 60)  # a read that had to be asked would be refused now

    held = await gateway.get_positions()

    assert [(p.symbol, p.quantity) for p in held] == [(SAMSUNG, Decimal(3))]


async def test_a_hold_that_ends_within_a_second_is_waited_out_and_the_order_goes() -> None:
    clock = FakeClock(T0)
    broker = FakeBroker(clock, broker_id="UPBIT")
    broker.set_price(SAMSUNG, 1000)
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    gateway.budget.hold(ORDERS, 0.4)  # Upbit: this second's orders are spent
    buy = OrderRequest("LT-1", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))

    placing = asyncio.ensure_future(gateway.place_order(buy))
    await clock.settle()
    assert not placing.done(), "it waits for the second to renew"
    clock.advance(0.5)  # the hold's end, and a hair past it
    placed = await placing

    assert placed.status is OrderStatus.FILLED
    assert [r.client_order_id for r in broker.placed] == ["LT-1"]


async def test_a_longer_hold_refuses_the_order_at_once_unsent() -> None:
    clock = FakeClock(T0)
    broker = FakeBroker(clock, broker_id="UPBIT")
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    gateway.budget.hold(ORDERS, 1.5)

    with pytest.raises(BrokerRateLimitError) as refused:
        await gateway.place_order(
            OrderRequest("LT-1", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))
        )

    assert not refused.value.sent
    assert broker.placed == []


class BandingBroker(FakeBroker):
    """A broker whose gateway reads a quote to bound each market buy (as on Upbit)."""

    def quotes_to_place(self, request: OrderRequest) -> int:
        return 1 if request.direction is TradeDirection.BUY else 0

    def quotes_for_account(self) -> int:
        return 1

    def requests_for_quote(self) -> int:
        return 1

    def requests_for_candles(self, minutes: int) -> int:
        return 1


async def test_the_quote_a_market_buy_reads_is_paid_from_the_market_data_budget() -> None:
    clock = FakeClock(T0)
    broker = BandingBroker(clock, broker_id="UPBIT")
    broker.set_price(SAMSUNG, 1000)
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    before = gateway.budget.granted[MARKET_DATA]

    await gateway.place_order(
        OrderRequest("LT-1", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))
    )
    spent = gateway.budget.granted[MARKET_DATA] - before
    gateway.budget.hold(MARKET_DATA, 30)  # the venue asked for no quotes for a while
    with pytest.raises(BrokerRateLimitError) as refused:
        await gateway.place_order(
            OrderRequest("LT-2", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))
        )
    sold = await gateway.place_order(
        OrderRequest("LT-3", SAMSUNG, TradeDirection.SELL, OrderType.MARKET, Decimal(1))
    )

    assert spent == 1
    assert not refused.value.sent
    with pytest.raises(BrokerRateLimitError):
        await gateway.get_account()  # valued at the last prices: a quote too
    assert [r.client_order_id for r in broker.placed] == ["LT-1", "LT-3"], "a sale reads none"
    assert sold.status is OrderStatus.FILLED


async def test_the_quote_an_order_needs_waits_out_a_hold_of_a_few_seconds() -> None:
    clock = FakeClock(T0)
    broker = BandingBroker(clock, broker_id="UPBIT")
    broker.set_price(SAMSUNG, 1000)
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    gateway.budget.hold(MARKET_DATA, 3)  # quotes held after a 429: the buy still goes, later
    buy = OrderRequest("LT-1", SAMSUNG, TradeDirection.BUY, OrderType.MARKET, Decimal(1))

    placing = asyncio.ensure_future(gateway.place_order(buy))
    await clock.settle()
    assert not placing.done()
    clock.advance(3.1)
    placed = await placing

    assert placed.status is OrderStatus.FILLED
    gateway.budget.hold(MARKET_DATA, 3)
    with pytest.raises(BrokerRateLimitError):
        await gateway.get_latest_quote(SAMSUNG)  # a quote alone is not worth the wait


class PagingBroker(BandingBroker):
    """A broker whose quote is a ticker and a book, and whose candles come 200 a page."""

    def requests_for_quote(self) -> int:
        return 2

    def requests_for_candles(self, minutes: int) -> int:
        return -(-minutes // 200)


async def test_every_request_a_call_makes_of_the_venue_is_paid_for() -> None:
    # Seen in the crash campaign: a warm-up of 650 candles was paid as one request and sent
    # four, and the venue's ten a second were met at every start.
    clock = FakeClock(T0)
    broker = PagingBroker(clock, broker_id="UPBIT")
    broker.set_price(SAMSUNG, 1000)
    gateway = within_budget(broker, clock)
    assert isinstance(gateway, BudgetedGateway)
    granted = gateway.budget.granted

    async def paid(call: Awaitable[object]) -> int:
        before = granted[MARKET_DATA]
        task = asyncio.ensure_future(call)
        for _ in range(10):  # the budget refills with time: let it
            for _ in range(50):
                await asyncio.sleep(0)
            clock.advance(1)
        await task
        return granted[MARKET_DATA] - before

    assert await paid(gateway.get_latest_quote(SAMSUNG)) == 2
    assert await paid(gateway.get_recent_candles(SAMSUNG, 650)) == 4
    assert await paid(gateway.get_historical_candles(SAMSUNG, T0, T0 + timedelta(minutes=201))) == 2
