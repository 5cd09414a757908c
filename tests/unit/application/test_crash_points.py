"""The crash campaign's kill points sit exactly between the order path's steps, and a start
after a kill at any of them finds, by asking the broker, what the kill interrupted. An order
whose answer was lost stays in doubt until a request held up on the way would have arrived."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from livetrader_gui.application import crash_points
from livetrader_gui.application.live_trading.orders import (
    NOT_RECEIVED,
    NOT_RECEIVED_AFTER,
    OrderExecutor,
)
from livetrader_gui.application.ports import BrokerOrderState, BrokerTimeoutError
from livetrader_gui.domain import OrderRequest, OrderStatus, TradeDirection
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock, FakeJournal, FakeOrderRepository, RecordingObserver
from tests.sim import MARKET_OPEN_T0

SAMSUNG = "005930"


class Killed(BaseException):
    """What the kill point does in a test: execution stops where the point is."""


@pytest.fixture(autouse=True)
def nothing_armed_after() -> Iterator[None]:
    yield
    crash_points.disarm()


def kill_at(point: str, nth: int = 1) -> list[str]:
    reached: list[str] = []

    def die(name: str) -> None:
        reached.append(name)
        raise Killed(name)

    crash_points.arm(point, nth, die)
    return reached


def executor(broker: FakeBroker, orders: FakeOrderRepository, clock: FakeClock) -> OrderExecutor:
    return OrderExecutor(
        "S-1", broker, orders, FakeJournal(), RecordingObserver(), clock, timeout=5
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MARKET_OPEN_T0)


@pytest.fixture
def broker(clock: FakeClock) -> FakeBroker:
    broker = FakeBroker(clock)
    broker.set_price(SAMSUNG, 70_000)
    return broker


async def test_a_kill_after_persisting_leaves_a_saved_order_the_broker_never_received(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()
    reached = kill_at(crash_points.PERSISTED)

    with pytest.raises(Killed):
        await executor(broker, orders, clock).submit(SAMSUNG, TradeDirection.BUY, Decimal(3))

    (saved,) = orders.orders.values()
    assert (reached, saved.status, broker.placed) == (["persisted"], OrderStatus.PENDING_SUBMIT, [])
    after = await executor(broker, orders, clock).resolve(saved)
    assert after.order.status is OrderStatus.REJECTED
    assert after.order.reject_reason == NOT_RECEIVED
    assert broker.placed == [], "resolving asks; it never sends"


async def test_a_kill_after_sending_leaves_an_order_the_broker_has_and_the_start_finds_it(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()
    broker.fill_orders = False
    kill_at(crash_points.SENT)

    with pytest.raises(Killed):
        await executor(broker, orders, clock).submit(SAMSUNG, TradeDirection.BUY, Decimal(3))

    (saved,) = orders.orders.values()
    assert saved.status is OrderStatus.PENDING_SUBMIT, "its answer was never saved"
    assert [r.client_order_id for r in broker.placed] == [saved.client_order_id]
    after = await executor(broker, orders, clock).resolve(saved)
    assert after.order.status is OrderStatus.SUBMITTED
    assert len(broker.placed) == 1, "found by its client order id, not sent again"


async def test_a_kill_between_reading_a_fill_and_saving_it_loses_nothing_once_asked_again(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()
    kill_at(crash_points.FILL_SEEN)

    with pytest.raises(Killed):
        await executor(broker, orders, clock).submit(SAMSUNG, TradeDirection.BUY, Decimal(3))

    (saved,) = orders.orders.values()
    assert await orders.list_fills(saved.client_order_id) == []
    after = await executor(broker, orders, clock).resolve(saved)
    assert after.order.status is OrderStatus.FILLED
    (fill,) = await orders.list_fills(saved.client_order_id)
    assert fill.quantity == 3
    assert len(broker.placed) == 1


async def test_a_point_armed_for_its_second_pass_lets_the_first_one_by(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()
    reached = kill_at(crash_points.PERSISTED, 2)
    first = await executor(broker, orders, clock).submit(SAMSUNG, TradeDirection.BUY, Decimal(1))

    with pytest.raises(Killed):
        await executor(broker, orders, clock).submit(SAMSUNG, TradeDirection.BUY, Decimal(1))

    assert first.order.status is OrderStatus.FILLED
    assert reached == ["persisted"]
    crash_points.reach(crash_points.PERSISTED)  # spent: it fires once


def test_points_that_are_not_armed_cost_nothing_and_do_nothing() -> None:
    crash_points.reach(crash_points.SENT)
    kill_at(crash_points.FILL_SEEN)

    crash_points.reach(crash_points.SENT)  # another point than the armed one


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sent", ("sent", 1)), ("fill_seen:3", ("fill_seen", 3)), ("persisted:1", ("persisted", 1))],
)
def test_an_arming_names_a_point_and_the_time_it_fires(
    text: str, expected: tuple[str, int]
) -> None:
    assert crash_points.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sending", "unknown crash point 'sending' (known: persisted, sent, fill_seen)"),
        ("sent:two", "crash point sent: 'two' is not a whole number"),
        ("sent:0", "crash point sent: the count must be 1 or more, got 0"),
    ],
)
def test_a_bad_arming_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(crash_points.CrashPointError) as raised:
        crash_points.parse(text)
    assert str(raised.value) == message


async def test_a_lost_answer_stays_in_doubt_until_a_late_request_could_have_arrived(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()
    place = broker.place_order
    held_up: list[OrderRequest] = []

    async def held_up_on_the_way(request: OrderRequest) -> BrokerOrderState:
        held_up.append(request)  # it reaches the broker only later
        raise BrokerTimeoutError("no answer in 10 s")

    broker.place_order = held_up_on_the_way  # type: ignore[method-assign]
    sender = executor(broker, orders, clock)

    first = await sender.submit(SAMSUNG, TradeDirection.BUY, Decimal(3))
    clock.advance(5)
    await place(held_up[0])  # the request arrives, late
    found = await sender.resolve(first.order)

    assert first.order.status is OrderStatus.PENDING_SUBMIT, "not found yet: still in doubt"
    assert found.order.status is OrderStatus.FILLED
    assert len(broker.orders) == 1, "found, never sent again"


async def test_an_order_still_not_found_once_a_late_request_would_have_arrived_is_closed(
    broker: FakeBroker, clock: FakeClock
) -> None:
    orders = FakeOrderRepository()

    async def lost(request: OrderRequest) -> BrokerOrderState:
        raise BrokerTimeoutError("no answer in 10 s")

    broker.place_order = lost  # type: ignore[method-assign]
    sender = executor(broker, orders, clock)
    first = await sender.submit(SAMSUNG, TradeDirection.BUY, Decimal(3))
    clock.advance(NOT_RECEIVED_AFTER - 1)
    still = await sender.resolve(first.order)
    clock.advance(1)

    closed = await sender.resolve(first.order)

    assert still.order.status is OrderStatus.PENDING_SUBMIT
    assert closed.order.status is OrderStatus.REJECTED
    assert closed.order.reject_reason == NOT_RECEIVED
