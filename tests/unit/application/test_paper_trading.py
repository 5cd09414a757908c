"""Paper trading: simulated fills on a real feed, and the paper days the gate counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.paper_trading import PaperBook, PaperDays, PaperGateway
from livetrader_gui.application.ports import BrokerConnectionError
from livetrader_gui.domain import (
    KRX_STOCK_TICKS,
    Fill,
    Instrument,
    InvalidValueError,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PaperTradingSession,
    Quote,
    TradeDirection,
)
from livetrader_gui.domain.sizing import TradingCosts
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock, FakeJournal, FakePaperRepository, RecordingObserver

OPEN = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 KST
SAMSUNG = "005930"
INSTRUMENT = Instrument(SAMSUNG, SAMSUNG, "XKRX", "KRW", KRX_STOCK_TICKS)
COSTS = TradingCosts(commission_rate=Decimal("0.001"), sell_tax_rate=Decimal("0.002"))
BUY, SELL = TradeDirection.BUY, TradeDirection.SELL


def order(
    direction: TradeDirection, quantity: int, cid: str = "c-1", kind: OrderType = OrderType.MARKET
) -> OrderRequest:
    price = Decimal(70_000) if kind is OrderType.LIMIT else None
    return OrderRequest(cid, SAMSUNG, direction, kind, Decimal(quantity), price)


# ---------------------------------------------------------------------------- the book


def test_a_market_buy_fills_in_full_and_pays_its_commission_from_cash() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)

    state = book.execute(order(BUY, 10), Decimal(70_000), INSTRUMENT, OPEN)

    assert state.status is OrderStatus.FILLED
    (fill,) = state.fills
    assert (fill.quantity, fill.price, fill.commission, fill.tax) == (10, 70_000, 700, 0)
    assert book.cash == 1_000_000 - 700_000 - 700
    assert book.held(SAMSUNG) == 10


def test_a_market_sell_pays_commission_and_tax_and_returns_the_proceeds() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)
    book.execute(order(BUY, 10, "c-1"), Decimal(70_000), INSTRUMENT, OPEN)

    state = book.execute(order(SELL, 10, "c-2"), Decimal(71_000), INSTRUMENT, OPEN)

    (fill,) = state.fills
    assert (fill.commission, fill.tax) == (710, 1_420)
    assert book.cash == 1_000_000 - 700_700 + 710_000 - 2_130
    assert book.broker_positions() == []


def test_the_same_client_order_id_is_never_executed_twice() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)

    first = book.execute(order(BUY, 10), Decimal(70_000), INSTRUMENT, OPEN)
    again = book.execute(order(BUY, 10), Decimal(70_000), INSTRUMENT, OPEN)

    assert again is first
    assert book.held(SAMSUNG) == 10


@pytest.mark.parametrize(
    ("request_", "price", "reason"),
    [
        (order(BUY, 15), Decimal(70_000), "insufficient cash: 1051050 needed, 1000000 available"),
        (order(SELL, 1), Decimal(70_000), "cannot sell 1 005930: 0 held"),
        (order(BUY, 1), None, "no 005930 price to fill at"),
        (
            order(BUY, 1, kind=OrderType.LIMIT),
            Decimal(70_000),
            "simulated fills take market orders only, not LIMIT",
        ),
    ],
)
def test_what_a_cash_account_cannot_do_is_rejected_with_the_reason(
    request_: OrderRequest, price: Decimal | None, reason: str
) -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)

    state = book.execute(request_, price, INSTRUMENT, OPEN)

    assert (state.status, state.reject_reason) == (OrderStatus.REJECTED, reason)
    assert book.cash == 1_000_000


def recorded(book: PaperBook) -> tuple[list[Order], list[Fill]]:
    """Return the book's orders and fills as a session records them."""
    orders = []
    for state in book.orders.values():
        kept = Order(state.request, OPEN, broker_id="PAPER-S-1")
        kept.mark_submitted(state.broker_order_id, OPEN)
        for fill in state.fills:
            kept.apply_fill(fill)
        orders.append(kept)
    return orders, [f for s in book.orders.values() for f in s.fills]


def test_the_book_is_rebuilt_from_its_fills_after_a_restart_whatever_their_times() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)
    book.execute(order(BUY, 10, "c-1"), Decimal(70_000), INSTRUMENT, OPEN)
    # The clock restarted: the sale carries an earlier time than the purchase it sells.
    book.execute(order(SELL, 4, "c-2"), Decimal(72_000), INSTRUMENT, OPEN - timedelta(hours=5))

    rebuilt = PaperBook(Decimal(1_000_000), COSTS)
    rebuilt.restore(*recorded(book))

    assert rebuilt.cash == book.cash
    assert rebuilt.broker_positions() == book.broker_positions()
    assert rebuilt.orders["c-1"].fills == book.orders["c-1"].fills


def test_a_restored_book_numbers_its_next_order_after_the_last_recorded() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)
    book.execute(order(BUY, 10, "c-1"), Decimal(70_000), INSTRUMENT, OPEN)
    book.execute(order(BUY, 10, "c-2"), Decimal(70_000), INSTRUMENT, OPEN)
    rebuilt = PaperBook(Decimal(1_000_000), COSTS)
    rebuilt.restore(*recorded(book))

    state = rebuilt.execute(order(SELL, 5, "c-3"), Decimal(71_000), INSTRUMENT, OPEN)

    assert state.broker_order_id == "P-000003"
    assert state.fills[0].fill_id == "P-000003-F1"


def test_a_history_that_sells_more_than_was_bought_is_refused_naming_the_fill() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)
    book.execute(order(BUY, 10, "c-1"), Decimal(70_000), INSTRUMENT, OPEN)
    book.execute(order(SELL, 10, "c-2"), Decimal(72_000), INSTRUMENT, OPEN)
    orders, fills = recorded(book)

    with pytest.raises(InvalidValueError, match="cannot replay fill P-000002-F1 of order c-2"):
        PaperBook(Decimal(1_000_000), COSTS).restore(orders, list(reversed(fills)))


def test_equity_values_holdings_at_their_marks_or_else_at_entry() -> None:
    book = PaperBook(Decimal(1_000_000), COSTS)
    book.execute(order(BUY, 10), Decimal(70_000), INSTRUMENT, OPEN)

    assert book.equity({SAMSUNG: Decimal(71_000)}) == book.cash + 710_000
    assert book.equity({}) == book.cash + 700_000


def test_a_paper_book_needs_capital() -> None:
    with pytest.raises(ValueError, match="paper capital must be above 0, got 0"):
        PaperBook(Decimal(0), COSTS)


# ---------------------------------------------------------------------------- the gateway


@pytest.fixture
def feed() -> FakeBroker:
    broker = FakeBroker(FakeClock(OPEN), symbols=(SAMSUNG,))
    broker.set_price(SAMSUNG, 70_000)
    broker.half_spread = Decimal(100)  # bid 69,900, ask 70,100
    return broker


def paper_on(
    feed: FakeBroker, calendar: ExchangeTradingCalendar, slippage: int = 0
) -> PaperGateway:
    costs = TradingCosts(Decimal(0), Decimal(0), slippage_ticks=slippage)
    return PaperGateway(feed, PaperBook(Decimal(10_000_000), costs), calendar, "PAPER-S-1")


async def test_paper_buys_fill_at_the_ask_and_sells_at_the_bid_and_never_reach_the_broker(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    paper = paper_on(feed, xkrx)

    bought = await paper.place_order(order(BUY, 10, "c-1"))
    sold = await paper.place_order(order(SELL, 10, "c-2"))

    assert (bought.status, bought.average_fill_price) == (OrderStatus.FILLED, 70_100)
    assert (sold.status, sold.average_fill_price) == (OrderStatus.FILLED, 69_900)
    assert feed.placed == []
    assert (await paper.get_account()).cash == 10_000_000 - 2_000


async def test_slippage_moves_paper_fills_by_whole_ticks_against_the_trader(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    paper = paper_on(feed, xkrx, slippage=2)

    bought = await paper.place_order(order(BUY, 1, "c-1"))
    sold = await paper.place_order(order(SELL, 1, "c-2"))

    assert (bought.average_fill_price, sold.average_fill_price) == (70_300, 69_700)


async def test_paper_orders_are_refused_while_the_market_is_closed(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    feed.clock.advance(8 * 3600)  # 18:00 KST
    paper = paper_on(feed, xkrx)

    state = await paper.place_order(order(BUY, 1))

    assert (state.status, state.reject_reason) == (
        OrderStatus.REJECTED,
        "the XKRX market is closed",
    )
    assert await paper.get_order("c-1") == state


async def test_a_paper_order_without_a_quote_is_refused(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    feed.prices.clear()
    paper = paper_on(feed, xkrx)

    state = await paper.place_order(order(BUY, 1))

    assert state.reject_reason == "no 005930 quote to fill at"


async def test_paper_trading_needs_the_feed_it_fills_against(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    paper = paper_on(feed, xkrx)
    await feed.disconnect()

    with pytest.raises(BrokerConnectionError, match="FAKE is disconnected: paper orders need"):
        await paper.place_order(order(BUY, 1))
    with pytest.raises(BrokerConnectionError):
        await paper.get_account()


async def test_the_paper_account_marks_holdings_at_the_last_price(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    paper = paper_on(feed, xkrx)
    await paper.place_order(order(BUY, 10))
    feed.set_price(SAMSUNG, 72_000)

    account = await paper.get_account()

    assert account.account_id == "PAPER-S-1"
    assert account.currency == "KRW"
    assert account.equity == 10_000_000 - 701_000 + 720_000
    assert await paper.get_positions() == paper.book.broker_positions()
    assert await paper.get_open_orders() == []


async def test_the_paper_gateway_shows_the_feed_and_moves_no_money(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    paper = paper_on(feed, xkrx)

    assert (paper.broker_id, paper.display_name, paper.is_real_money) == (
        "FAKE",
        f"{feed.display_name} (paper)",
        False,
    )
    assert await paper.get_latest_quote(SAMSUNG) == await feed.get_latest_quote(SAMSUNG)
    assert (await paper.get_instrument(SAMSUNG)).symbol == SAMSUNG
    await paper.place_order(order(BUY, 1))
    assert (await paper.cancel_order("c-1")).status is OrderStatus.FILLED
    with pytest.raises(ValueError, match="the paper account has no order c-9"):
        await paper.cancel_order("c-9")


# ---------------------------------------------------------------------------- paper days


def paper_days(
    calendar: ExchangeTradingCalendar,
) -> tuple[PaperDays, FakeJournal, RecordingObserver]:
    paper = PaperTradingSession("P-1", "strat-1", "hash-1", OPEN, live_session_id="S-1")
    journal, observer = FakeJournal(), RecordingObserver()
    days = PaperDays(paper, FakePaperRepository(), calendar, journal, observer)
    return days, journal, observer


async def tick_minutes(days: PaperDays, start: datetime, minutes: int) -> list[date | None]:
    return [await days.tick_completed(start + timedelta(minutes=m)) for m in range(minutes)]


async def test_a_trading_day_counts_once_half_its_session_was_traded(
    xkrx: ExchangeTradingCalendar,
) -> None:
    days, journal, observer = paper_days(xkrx)
    session_open = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 09:00 KST, a 390-minute session

    recorded = await tick_minutes(days, session_open, 195)

    assert days.minutes_needed(date(2026, 11, 24)) == 195
    assert recorded[:-1] == [None] * 194
    assert recorded[-1] == date(2026, 11, 24)
    assert days.paper.trading_days == {date(2026, 11, 24)}
    assert [e.data["minutes"] for e in journal.kinds("paper_day")] == [195]
    assert observer.logs() == [
        "paper day 2026-11-24 recorded after 195 traded minutes of its session "
        "(1 in this paper session)"
    ]


async def test_a_few_minutes_a_day_never_make_a_paper_day(xkrx: ExchangeTradingCalendar) -> None:
    days, _, _ = paper_days(xkrx)

    for day in (23, 24, 25, 26, 27):
        await tick_minutes(days, datetime(2026, 11, day, 6, 0, tzinfo=UTC), 30)

    assert days.paper.trading_days == set()


async def test_ticks_outside_the_session_and_repeats_in_one_minute_do_not_count(
    xkrx: ExchangeTradingCalendar,
) -> None:
    days, _, _ = paper_days(xkrx)
    evening = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 18:00 KST
    every_second = [OPEN + timedelta(seconds=s) for s in range(600)]  # ten minutes

    for at in [evening, *every_second]:
        assert await days.tick_completed(at) is None

    assert days.paper.trading_days == set()


async def test_a_recorded_day_is_not_recorded_again(xkrx: ExchangeTradingCalendar) -> None:
    days, journal, _ = paper_days(xkrx)
    session_open = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)

    await tick_minutes(days, session_open, 300)

    assert len(journal.kinds("paper_day")) == 1


def test_coverage_must_be_a_fraction_of_the_session(xkrx: ExchangeTradingCalendar) -> None:
    paper = PaperTradingSession("P-1", "strat-1", "hash-1", OPEN)
    with pytest.raises(ValueError, match=r"paper-day coverage must be in \(0, 1\], got 0"):
        PaperDays(paper, FakePaperRepository(), xkrx, FakeJournal(), RecordingObserver(), 0)


async def test_paper_orders_on_a_hub_fill_at_its_latest_quote_without_asking_the_broker(
    feed: FakeBroker, xkrx: ExchangeTradingCalendar
) -> None:
    pushed = Quote(SAMSUNG, Decimal(71_000), Decimal(71_200), Decimal(71_100), feed.clock.now())
    paper = PaperGateway(
        feed,
        PaperBook(Decimal(10_000_000), TradingCosts(Decimal(0), Decimal(0))),
        xkrx,
        "PAPER-S-1",
        latest={SAMSUNG: pushed}.get,
    )
    asked = feed.market_data_calls

    bought = await paper.place_order(order(BUY, 10, "c-1"))
    account = await paper.get_account()

    assert bought.average_fill_price == 71_200, "the pushed ask, not the broker's 70,100"
    assert account.equity == 10_000_000 - 10 * 71_200 + 10 * 71_100
    assert feed.market_data_calls == asked
