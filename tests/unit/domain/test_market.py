from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from livetrader_gui.domain import Candle, InvalidValueError, Quote
from tests.builders import T0


def test_a_quote_exposes_last_as_price_and_the_mid() -> None:
    quote = Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_100), T0)
    assert quote.price == 72_100
    assert quote.mid == Decimal(72_050)


def test_a_crossed_quote_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="crossed"):
        Quote("005930", Decimal(72_200), Decimal(72_100), Decimal(72_100), T0)


def test_a_nan_price_is_refused_naming_the_symbol() -> None:
    with pytest.raises(InvalidValueError, match="005930 last price must be a finite number"):
        Quote("005930", Decimal(1), Decimal(1), Decimal("NaN"), T0)


def test_a_naive_quote_time_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="must carry a time zone"):
        Quote("005930", Decimal(1), Decimal(1), Decimal(1), datetime(2026, 1, 1))


def test_a_candle_knows_its_end() -> None:
    candle = Candle("005930", T0, Decimal(1), Decimal(2), Decimal(1), Decimal(2), Decimal(5))
    assert candle.end == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(("high", "low"), [(1, 1), (3, 3)])
def test_a_candle_whose_high_and_low_do_not_enclose_open_and_close_is_refused(
    high: int, low: int
) -> None:
    with pytest.raises(InvalidValueError, match="must enclose"):
        Candle("X", T0, Decimal(2), Decimal(high), Decimal(low), Decimal(2), Decimal(0))


def test_a_candle_needs_a_positive_interval_and_non_negative_volume() -> None:
    with pytest.raises(InvalidValueError, match="interval must be positive"):
        Candle("X", T0, Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(0), timedelta(0))
    with pytest.raises(InvalidValueError, match="volume must not be negative"):
        Candle("X", T0, Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(-1))


def test_a_quote_knows_its_change_from_the_previous_close_when_told_it() -> None:
    at = datetime(2026, 11, 24, 1, tzinfo=UTC)
    quote = Quote("005930", Decimal(70_000), Decimal(70_100), Decimal(70_000), at)
    assert (quote.change, quote.change_pct) == (None, None)

    told = Quote(
        "005930",
        Decimal(70_000),
        Decimal(70_100),
        Decimal(70_000),
        at,
        previous_close=Decimal(80_000),
    )

    assert told.previous_close == Decimal(80_000)
    assert told.change == Decimal(-10_000)
    assert told.change_pct == Decimal("-12.5")


def test_a_quote_refuses_a_previous_close_that_is_not_a_price() -> None:
    at = datetime(2026, 11, 24, 1, tzinfo=UTC)
    with pytest.raises(InvalidValueError, match="005930 previous close"):
        Quote("005930", Decimal(1), Decimal(2), Decimal(1), at, previous_close=Decimal(0))
