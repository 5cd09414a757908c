from datetime import datetime
from decimal import Decimal

import pytest

from livetrader_gui.domain import InvalidValueError
from livetrader_gui.domain.values import (
    bounded_int,
    minor_units,
    non_negative,
    percentage,
    plain,
    positive,
    round_fee,
    round_money,
    symbol_code,
    text,
    to_decimal,
)


def test_a_float_becomes_the_decimal_it_prints_as() -> None:
    assert to_decimal(0.1, "x") == Decimal("0.1")


@pytest.mark.parametrize("bad", ["nan", float("nan"), float("inf"), "-Infinity", "abc", None, True])
def test_non_numbers_and_non_finite_values_are_refused_with_the_field_name(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="price"):
        to_decimal(bad, "price")  # type: ignore[arg-type]


def test_positive_refuses_zero_and_names_the_field() -> None:
    with pytest.raises(InvalidValueError, match="lot size must be greater than 0, got 0"):
        positive(0, "lot size")


def test_non_negative_accepts_zero_and_refuses_negatives() -> None:
    assert non_negative(0, "fee") == 0
    with pytest.raises(InvalidValueError, match="fee must not be negative"):
        non_negative(-1, "fee")


@pytest.mark.parametrize("bad", [-5, 0, "100.01"])
def test_percentages_outside_0_to_100_are_refused(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="max daily loss must be above 0 %"):
        percentage(bad, "max daily loss")  # type: ignore[arg-type]


def test_bounded_int_refuses_floats_bools_and_out_of_range() -> None:
    assert bounded_int(3, "n", 1, 5) == 3
    for bad in (2.0, True, 0, 6):
        with pytest.raises(InvalidValueError, match="n must be"):
            bounded_int(bad, "n", 1, 5)  # type: ignore[arg-type]


def test_text_strips_and_refuses_empty_long_and_non_text() -> None:
    assert text("  a  ", "name") == "a"
    with pytest.raises(InvalidValueError, match="must not be empty"):
        text("   ", "name")
    with pytest.raises(InvalidValueError, match="at most 3 characters"):
        text("abcd", "name", max_length=3)
    with pytest.raises(InvalidValueError, match="must be text"):
        text(5, "name")  # type: ignore[arg-type]


def test_symbols_may_not_contain_spaces() -> None:
    with pytest.raises(InvalidValueError, match="must not contain spaces"):
        symbol_code("00 5930")


def test_money_is_rounded_to_the_currency_minor_unit() -> None:
    assert minor_units("krw") == 0
    assert minor_units("XYZ") == 2
    assert round_money(Decimal("10.5"), "KRW") == Decimal(10)
    assert round_money(Decimal("10.125"), "USD") == Decimal("10.12")
    assert round_fee(Decimal("10.99"), "KRW") == Decimal(10)


def test_plain_drops_exponent_and_trailing_zeros() -> None:
    assert plain(Decimal("5.00")) == "5"
    assert plain(Decimal("1E+2")) == "100"
    assert plain(Decimal("0.50")) == "0.5"


def test_aware_refuses_naive_times_and_non_times() -> None:
    from livetrader_gui.domain.values import aware

    with pytest.raises(InvalidValueError, match="must carry a time zone"):
        aware(datetime(2026, 1, 1), "start")
    with pytest.raises(InvalidValueError, match="must be a datetime"):
        aware("2026-01-01", "start")  # type: ignore[arg-type]
