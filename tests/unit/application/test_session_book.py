"""The session book counts what it holds as fills come, and a pushed decision sees the same
P&L as a tick's view of it (issue 21: a pushed quote must not copy every holding)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.domain import Fill, TradeDirection
from tests.builders import T0, order

_ids = itertools.count(1)


def fill(symbol: str, direction: TradeDirection, quantity: int, price: int) -> Fill:
    number = next(_ids)
    return Fill(
        f"F-{number}", f"C-{number}", symbol, direction, Decimal(quantity), Decimal(price), T0
    )


def test_a_position_sold_out_no_longer_counts_and_one_bought_again_does() -> None:
    book = SessionBook()
    book.apply_fill(fill("005930", TradeDirection.BUY, 10, 100))
    book.apply_fill(fill("000660", TradeDirection.BUY, 5, 200))
    assert book.open_positions == 2

    book.apply_fill(fill("005930", TradeDirection.SELL, 10, 110))
    assert book.open_positions == 1
    assert set(book.view().holdings) == {"000660"}

    book.apply_fill(fill("005930", TradeDirection.BUY, 3, 105))
    assert book.open_positions == 2


def test_a_pushed_decision_sees_the_same_pnl_and_slots_as_a_ticks_view() -> None:
    book = SessionBook()
    book.apply_fill(fill("005930", TradeDirection.BUY, 10, 100))
    book.apply_fill(fill("000660", TradeDirection.BUY, 5, 200))
    book.apply_fill(fill("035720", TradeDirection.BUY, 2, 50))  # never marked: no P&L yet
    book.positions["005930"].mark(Decimal(112))
    book.positions["000660"].mark(Decimal(190))

    tick = book.view()

    # A pushed fact decides on the book as it stands.
    assert book.unrealized_pnl == tick.unrealized == Decimal(10 * 12 - 5 * 10)
    assert (book.open_positions, book.realized_pnl) == (tick.open_positions, tick.realized)


def test_a_rebuilt_book_counts_what_its_fills_leave_held() -> None:
    fills = [
        fill("005930", TradeDirection.BUY, 10, 100),
        fill("005930", TradeDirection.SELL, 10, 90),
        fill("000660", TradeDirection.BUY, 1, 200),
    ]

    book = SessionBook.rebuild([], fills)

    assert book.open_positions == 1
    assert book.realized_pnl == Decimal(-100)


def test_a_symbol_has_an_open_order_until_its_last_order_can_no_longer_fill() -> None:
    book = SessionBook()
    first, second = order(symbol="005930"), order(symbol="005930")
    other = order(symbol="000660")
    for tracked in (first, second, other):
        book.track(tracked)
    book.track(first)  # tracked again as its state changes: still one order
    assert book.has_open_order("005930")
    assert book.has_open_order("000660")

    first.mark_cancelled(T0)
    book.track(first)
    assert book.has_open_order("005930"), "the second can still fill"

    second.mark_rejected("no", T0)
    book.track(second)
    book.track(second)  # a terminal order seen twice is forgotten once
    assert not book.has_open_order("005930")
    assert book.has_open_order("000660")
    assert list(book.open_orders) == [other.client_order_id]
