from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    KRX_STOCK_TICKS,
    Instrument,
    InvalidValueError,
    PriceRounding,
    TickBand,
    TickTable,
)
from tests.builders import samsung


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        (1_999, 1),
        (2_000, 5),
        (4_995, 5),
        (5_000, 10),
        (19_990, 10),
        (20_000, 50),
        (49_950, 50),
        (50_000, 100),
        (72_000, 100),
        (199_900, 100),
        (200_000, 500),
        (499_500, 500),
        (500_000, 1_000),
        (1_250_000, 1_000),
    ],
)
def test_krx_tick_size_follows_the_2023_price_bands(price: int, tick: int) -> None:
    assert KRX_STOCK_TICKS.tick_for(Decimal(price)) == tick


def test_prices_are_rounded_onto_the_grid_in_the_asked_direction() -> None:
    stock = samsung()
    assert stock.round_price(Decimal(72_040), PriceRounding.DOWN) == 72_000
    assert stock.round_price(Decimal(72_040), PriceRounding.UP) == 72_100
    assert stock.round_price(Decimal(72_040)) == 72_000
    assert stock.round_price(Decimal(72_060)) == 72_100
    assert stock.tick_size(72_000) == 100


def test_rounding_up_at_a_band_edge_lands_on_the_upper_grid() -> None:
    assert KRX_STOCK_TICKS.round(Decimal("199950"), PriceRounding.UP) == 200_000
    assert KRX_STOCK_TICKS.is_on_grid(Decimal(200_000))


def test_off_grid_and_non_positive_prices_are_not_valid_order_prices() -> None:
    stock = samsung()
    assert stock.is_valid_price(Decimal(72_100))
    assert not stock.is_valid_price(Decimal(72_050))
    assert not stock.is_valid_price(Decimal(0))


def test_quantities_round_down_to_whole_lots() -> None:
    lot10 = Instrument("X", "Ten lot", "XKRX", "KRW", TickTable.fixed(1), lot_size=Decimal(10))
    assert lot10.round_quantity(Decimal(37)) == 30
    assert lot10.round_quantity(Decimal(-5)) == 0
    assert lot10.is_valid_quantity(Decimal(20))
    assert not lot10.is_valid_quantity(Decimal(25))
    assert not lot10.is_valid_quantity(Decimal(0))


def test_zero_lot_size_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="lot size must be greater than 0"):
        Instrument("X", "Bad", "XKRX", "KRW", TickTable.fixed(1), lot_size=Decimal(0))


def test_tick_tables_must_be_well_formed() -> None:
    with pytest.raises(InvalidValueError, match="start with a band at price 0"):
        TickTable((TickBand(Decimal(1), Decimal(1)),))
    with pytest.raises(InvalidValueError, match="ascending"):
        TickTable((TickBand(Decimal(0), Decimal(1)), TickBand(Decimal(0), Decimal(5))))
    with pytest.raises(InvalidValueError, match="not a multiple of its tick"):
        TickTable((TickBand(Decimal(0), Decimal(1)), TickBand(Decimal(7), Decimal(5))))
    with pytest.raises(InvalidValueError, match="tick sizes must be positive"):
        TickTable((TickBand(Decimal(0), Decimal(0)),))


def test_a_nan_price_is_refused_when_rounding() -> None:
    with pytest.raises(InvalidValueError, match="005930 price must be a finite number"):
        samsung().round_price(Decimal("NaN"))


def btc(**overrides: object) -> Instrument:
    values: dict[str, object] = {
        "symbol": "BTC/KRW",
        "name": "Bitcoin",
        "exchange": "24/7",
        "currency": "KRW",
        "ticks": TickTable.fixed(1000),
        "lot_size": Decimal("0.00000001"),
        "min_quantity": None,
        "min_notional": Decimal(5_000),
    }
    values.update(overrides)
    return Instrument(**values)  # type: ignore[arg-type]


def test_the_smallest_order_is_one_lot_or_the_venue_s_minimum_in_whole_lots() -> None:
    assert samsung().smallest_quantity == Decimal(1)
    assert btc().smallest_quantity == Decimal("0.00000001")
    assert btc(min_quantity=Decimal("0.0001")).smallest_quantity == Decimal("0.0001")
    lots = btc(lot_size=Decimal("0.001"), min_quantity=Decimal("0.0015"))
    assert lots.smallest_quantity == Decimal("0.002"), "rounded up to whole lots"
    assert btc(min_quantity=Decimal("0.000000001")).smallest_quantity == Decimal("0.00000001")


def test_an_order_the_venue_would_refuse_is_named_with_the_limit_it_breaks() -> None:
    coin = btc(min_quantity=Decimal("0.0001"))
    price = Decimal(90_000_000)

    assert coin.order_problem(Decimal("0.001"), price) is None
    assert coin.order_problem(Decimal("0.000000005"), price) == (
        "BTC/KRW: 0.000000005 is not a positive whole number of lots of 0.00000001"
    )
    assert coin.order_problem(Decimal("0.00005"), price) == (
        "BTC/KRW: 0.00005 is below the minimum quantity 0.0001"
    )
    assert coin.order_problem(Decimal("0.0001"), Decimal(40_000_000)) == (
        "BTC/KRW: 0.0001 at 40000000 is worth 4000 KRW, below the minimum order value of 5000 KRW"
    )
    assert coin.order_problem(Decimal("0.000125"), Decimal(40_000_000)) is None


def test_a_minimum_that_is_not_a_quantity_or_a_value_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="BTC/KRW minimum quantity"):
        btc(min_quantity=Decimal(0))
    with pytest.raises(InvalidValueError, match="BTC/KRW minimum order value"):
        btc(min_notional=Decimal(-1))
