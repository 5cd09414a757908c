from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    ClientOrderIds,
    IllegalTransitionError,
    InvalidValueError,
    OrderRequest,
    OrderStatus,
    OrderType,
    TradeDirection,
    new_client_order_id,
)
from tests.builders import T0, fill_for, order


def test_a_new_order_is_pending_submit_with_a_unique_client_id() -> None:
    first, second = order(), order()
    assert first.status is OrderStatus.PENDING_SUBMIT
    assert first.client_order_id.startswith("LT-")
    assert first.client_order_id != second.client_order_id
    assert new_client_order_id() != new_client_order_id()


def test_fills_move_an_order_to_partially_filled_then_filled_with_an_average_price() -> None:
    target = order(quantity=10)
    target.mark_submitted("B-1", T0)
    target.apply_fill(fill_for(target, 4, price=72_000, fill_id="F1"))
    assert target.status is OrderStatus.PARTIALLY_FILLED
    target.apply_fill(fill_for(target, 6, price=72_500, fill_id="F2"))
    assert target.status is OrderStatus.FILLED
    assert target.filled_quantity == 10
    assert target.average_fill_price == Decimal(72_300)
    assert target.remaining_quantity == 0


def test_the_same_fill_applied_twice_is_counted_once() -> None:
    target = order(quantity=10)
    fill = fill_for(target, 4)
    assert target.apply_fill(fill) is True
    assert target.apply_fill(fill) is False
    assert target.filled_quantity == 4


def test_an_overfill_is_refused() -> None:
    target = order(quantity=10)
    with pytest.raises(InvalidValueError, match="exceeds the 10 left"):
        target.apply_fill(fill_for(target, 11))


def test_a_fill_of_another_order_or_side_is_refused() -> None:
    target = order()
    with pytest.raises(InvalidValueError, match="belongs to order"):
        target.apply_fill(fill_for(order(), 1))
    with pytest.raises(InvalidValueError, match="does not match"):
        target.apply_fill(fill_for(target, 1, direction=TradeDirection.SELL))


def test_terminal_orders_cannot_change_again() -> None:
    target = order()
    target.mark_rejected("insufficient cash", T0)
    assert target.status.is_terminal
    assert target.reject_reason == "insufficient cash"
    with pytest.raises(IllegalTransitionError, match="cannot go from REJECTED to CANCELLED"):
        target.mark_cancelled(T0)


def test_a_submitted_order_cannot_be_submitted_again() -> None:
    target = order()
    target.mark_submitted("B-1", T0)
    with pytest.raises(IllegalTransitionError, match="SUBMITTED to SUBMITTED"):
        target.mark_submitted("B-2", T0)


def test_a_pending_order_can_learn_any_outcome_from_a_broker_lookup() -> None:
    for move in ("cancel", "expire", "fill"):
        target = order(quantity=1)
        if move == "cancel":
            target.mark_cancelled(T0)
        elif move == "expire":
            target.mark_expired(T0)
        else:
            target.apply_fill(fill_for(target, 1))
        assert target.status.is_terminal


def test_a_partially_filled_order_can_be_cancelled_keeping_its_fills() -> None:
    target = order(quantity=10)
    target.apply_fill(fill_for(target, 3))
    target.mark_cancelled(T0)
    assert target.status is OrderStatus.CANCELLED
    assert target.filled_quantity == 3


def test_order_requests_check_quantity_and_limit_price() -> None:
    with pytest.raises(InvalidValueError, match="order quantity must be greater than 0"):
        OrderRequest("c", "X", TradeDirection.BUY, OrderType.MARKET, Decimal(0))
    with pytest.raises(InvalidValueError, match="needs a limit price"):
        OrderRequest("c", "X", TradeDirection.BUY, OrderType.LIMIT, Decimal(1))
    with pytest.raises(InvalidValueError, match="must not carry a limit price"):
        OrderRequest("c", "X", TradeDirection.BUY, OrderType.MARKET, Decimal(1), Decimal(5))
    with pytest.raises(InvalidValueError, match="limit price must be greater than 0"):
        OrderRequest("c", "X", TradeDirection.BUY, OrderType.LIMIT, Decimal(1), Decimal(0))


def test_an_order_restored_with_an_impossible_filled_quantity_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"filled quantity 11 outside 0\.\.10"):
        order(quantity=10, filled_quantity=Decimal(11))


def test_fills_report_gross_value_and_fees() -> None:
    target = order()
    fill = fill_for(target, 2, price=100, commission=Decimal(3), tax=Decimal(1))
    assert fill.gross_value == 200
    assert fill.fees == 4
    assert TradeDirection.SELL.sign == -1


def test_a_fee_kept_in_the_coin_bought_leaves_the_buyer_holding_less() -> None:
    bought = fill_for(order(quantity=10), 10, price=100, fee_quantity=Decimal("0.01"))
    sold = fill_for(order(quantity=10, direction=TradeDirection.SELL), 10, price=100)

    assert bought.held_change == Decimal("9.99")
    assert bought.gross_value == 1000, "the whole quantity was paid for"
    assert sold.held_change == -10


def test_a_fee_can_be_kept_only_from_a_buy_and_less_than_its_quantity() -> None:
    sell = order(quantity=10, direction=TradeDirection.SELL)
    with pytest.raises(InvalidValueError, match="can only be kept from a buy"):
        fill_for(sell, 10, fee_quantity=Decimal("0.01"))
    with pytest.raises(InvalidValueError, match="less than its 10"):
        fill_for(order(quantity=10), 10, fee_quantity=Decimal(10))
    with pytest.raises(InvalidValueError):
        fill_for(order(quantity=10), 10, fee_quantity=Decimal("-0.01"))


def test_client_order_ids_are_made_in_the_format_each_venue_accepts() -> None:
    default = ClientOrderIds()
    binance = ClientOrderIds("LT-", 36, r"\.A-Z:/a-z0-9_-")
    short = ClientOrderIds("x", 20, "a-z0-9")

    ids = {default.new() for _ in range(1_000)}
    assert len(ids) == 1_000
    assert all(len(i) == 35 and i.startswith("LT-") and default.problem(i) is None for i in ids)
    assert len(binance.new()) == 35
    made = short.new()
    assert len(made) == 20
    assert short.problem(made) is None
    assert short.problem("X-1") == "client order id 'X-1' has characters outside [a-z0-9]"
    assert short.problem("x" * 21) == (
        f"client order id {'x' * 21!r} has 21 characters, not 1 to 20"
    )
    assert new_client_order_id().startswith("LT-")


def test_a_format_that_leaves_too_little_randomness_or_refuses_its_own_ids_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="fewer than 16 random digits"):
        ClientOrderIds("LIVETRADER-", 20)
    with pytest.raises(InvalidValueError, match="cannot be made"):
        ClientOrderIds("LT-", 36, "A-Z0-9")
