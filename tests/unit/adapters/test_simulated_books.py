"""SIM's books outlive the app, as a real broker's do: account, positions, orders, ids, clock."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from livetrader_gui.adapters.brokers.simulated import SimulatedBroker, SimulatedBrokerConfig
from livetrader_gui.adapters.brokers.simulated.store import (
    SimulatedAccountStore,
    SimulatedStoreError,
)
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.ports import BrokerError, BrokerTimeoutError
from livetrader_gui.domain import OrderStatus
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0, buy, sell


async def opened(
    xkrx: ExchangeTradingCalendar, store: SimulatedAccountStore, clock: FakeClock
) -> SimulatedBroker:
    """Return the broker over *store*'s books, as the app builds it at start-up."""
    broker = SimulatedBroker(xkrx, clock, SimulatedBrokerConfig(), store=store, books=store.load())
    await broker.connect()
    return broker


async def test_the_account_positions_and_orders_come_back_in_the_next_run(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    store = SimulatedAccountStore(tmp_path / "SIM-books.sqlite")
    clock = FakeClock(MARKET_OPEN_T0)
    first = await opened(xkrx, store, clock)
    bought = await first.place_order(buy(10))
    quote = await first.get_latest_quote("005930")
    assert quote is not None
    resting = await first.place_order(sell(4, limit=quote.bid + 2_000))  # above the market
    account = await first.get_account()
    # No shutdown: the app is killed; whatever the broker answered is in its books.

    second = await opened(xkrx, store, clock)

    assert await second.get_account() == account
    assert await second.get_positions() == await first.get_positions()
    assert await second.get_order(bought.client_order_id) == bought
    assert await second.get_open_orders() == [resting]
    again = await second.place_order(buy(1))
    assert again.broker_order_id.split("-")[:2] == bought.broker_order_id.split("-")[:2]
    assert again.broker_order_id.endswith("-00000003")  # the numbering carries on


async def test_a_new_account_draws_ids_no_earlier_account_gave(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    old = await opened(xkrx, SimulatedAccountStore(tmp_path / "old.sqlite"), clock)
    new = await opened(xkrx, SimulatedAccountStore(tmp_path / "new.sqlite"), clock)

    first_old = await old.place_order(buy(1))
    first_new = await new.place_order(buy(1))

    assert first_old.broker_order_id != first_new.broker_order_id
    assert first_old.fills[0].fill_id != first_new.fills[0].fill_id


async def test_the_clock_is_stored_with_the_books(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    store = SimulatedAccountStore(tmp_path / "SIM-books.sqlite")
    clock = FakeClock(MARKET_OPEN_T0)
    broker = await opened(xkrx, store, clock)
    await broker.place_order(buy(1))
    clock.advance(90)

    await broker.disconnect()

    books = store.load()
    assert books is not None
    assert books.clock == clock.now()


async def test_an_order_whose_answer_is_lost_is_in_the_books_all_the_same(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    store = SimulatedAccountStore(tmp_path / "SIM-books.sqlite")
    clock = FakeClock(MARKET_OPEN_T0)
    broker = await opened(xkrx, store, clock)
    broker.faults.lose_next_order_answers(1)
    request = buy(5)

    with pytest.raises(BrokerTimeoutError):
        await broker.place_order(request)

    later = await opened(xkrx, store, clock)
    found = await later.get_order(request.client_order_id)
    assert found is not None
    assert found.status is OrderStatus.FILLED


async def test_books_that_cannot_be_written_fail_the_call_and_are_written_with_the_next(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    path = tmp_path / "SIM-books.sqlite"
    store = SimulatedAccountStore(path, lock_timeout=0.05)
    clock = FakeClock(MARKET_OPEN_T0)
    broker = await opened(xkrx, store, clock)
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file
    request = buy(2)
    try:
        with pytest.raises(BrokerError, match="could not store its books"):
            await broker.place_order(request)
    finally:
        other.rollback()
        other.close()

    placed = await broker.get_order(request.client_order_id)  # the broker knows it ...
    assert placed is not None
    books = store.load()  # ... and has written it with this call
    assert books is not None
    assert request.client_order_id in books.orders


def test_damaged_books_are_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "SIM-books.sqlite"
    path.write_bytes(b"not a database at all" * 100)

    with pytest.raises(SimulatedStoreError, match=str(path)):
        SimulatedAccountStore(path).load()


async def test_cash_is_stored_exactly(xkrx: ExchangeTradingCalendar, tmp_path: Path) -> None:
    store = SimulatedAccountStore(tmp_path / "SIM-books.sqlite")
    broker = await opened(xkrx, store, FakeClock(MARKET_OPEN_T0))
    await broker.place_order(buy(3))

    books = store.load()

    assert books is not None
    assert books.cash == (await broker.get_account()).cash
    assert isinstance(books.cash, Decimal)
