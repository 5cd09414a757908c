from decimal import Decimal

import pytest

from livetrader_gui.domain import InvalidValueError, Position, TradeDirection
from tests.builders import T0, fill_for, order


def test_buys_average_in_and_a_sell_realizes_pnl_net_of_fees() -> None:
    position = Position("005930")
    buy = order(quantity=20)
    position.apply_fill(fill_for(buy, 10, price=70_000, fill_id="a", commission=Decimal(100)))
    position.apply_fill(fill_for(buy, 10, price=72_000, fill_id="b"))
    assert position.quantity == 20
    assert position.average_price == 71_000
    assert position.opened_at == T0

    sell = order(quantity=5, direction=TradeDirection.SELL)
    realized = position.apply_fill(fill_for(sell, 5, price=73_000, tax=Decimal(50)))
    assert realized == Decimal(2_000 * 5 - 50)
    assert position.realized_pnl == Decimal(10_000 - 50 - 100)
    assert position.fees_paid == 150


def test_a_fee_kept_in_the_coin_bought_is_in_the_average_price_and_lost_at_the_sale() -> None:
    position = Position("005930")
    bought = fill_for(order(quantity=1), 1, price=3000, fee_quantity=Decimal("0.001"))
    position.apply_fill(bought)

    assert position.quantity == Decimal("0.999")
    assert position.cost_basis == 3000, "the whole ETH was paid for"
    assert position.fees_paid == 3, "0.001 ETH at 3,000"
    sell = order(quantity=Decimal("0.999"), direction=TradeDirection.SELL)
    realized = position.apply_fill(fill_for(sell, Decimal("0.999"), price=3000))
    assert realized.quantize(Decimal("0.00000001")) == -3, "sold at cost: the fee is the loss"
    assert position.is_flat


def test_unrealized_pnl_follows_the_mark_price() -> None:
    position = Position("005930")
    position.apply_fill(fill_for(order(quantity=10), 10, price=70_000))
    assert position.unrealized_pnl == 0
    position.mark(Decimal(71_000))
    assert position.unrealized_pnl == 10_000
    assert position.market_value == 710_000


def test_selling_everything_leaves_the_position_flat() -> None:
    position = Position("005930")
    position.apply_fill(fill_for(order(quantity=10), 10))
    position.apply_fill(fill_for(order(quantity=10, direction=TradeDirection.SELL), 10))
    assert position.is_flat
    assert position.average_price == 0
    assert position.opened_at is None


def test_a_position_bought_again_after_it_was_closed_carries_no_old_mark() -> None:
    # Found by the parity test: the old mark valued the new purchase at a price it never had,
    # and the day's loss limit tripped on a loss that did not exist.
    position = Position("005930")
    position.apply_fill(fill_for(order(quantity=10), 10, price=70_000))
    position.mark(Decimal(75_000))
    position.apply_fill(fill_for(order(quantity=10, direction=TradeDirection.SELL), 10))

    position.apply_fill(fill_for(order(quantity=10), 10, price=72_000, fill_id="again"))

    assert position.last_price is None
    assert position.unrealized_pnl == 0


def test_selling_more_than_held_is_refused_because_strategies_are_long_only() -> None:
    position = Position("005930")
    with pytest.raises(InvalidValueError, match="exceeds the 0 held"):
        position.apply_fill(fill_for(order(quantity=1, direction=TradeDirection.SELL), 1))


def test_a_fill_of_another_symbol_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="applied to the 000660 position"):
        Position("000660").apply_fill(fill_for(order(), 1))


def test_a_negative_quantity_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="must not be negative"):
        Position("X", quantity=Decimal(-1))
