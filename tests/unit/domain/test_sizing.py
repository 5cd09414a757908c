"""Sizing and trading costs: the rules shared by the backtester and the live runner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from livetrader_gui.domain import Instrument, TickTable
from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.sizing import TradingCosts, position_quantity
from tests.builders import samsung


def size(**overrides: object) -> Decimal:
    values: dict[str, object] = {
        "equity": Decimal(10_000_000),
        "cash": Decimal(10_000_000),
        "price": Decimal(70_000),
        "position_pct": Decimal(10),
        "max_position_size_pct": Decimal(20),
        "commission_rate": Decimal("0.00015"),
        "instrument": samsung(),
    }
    values.update(overrides)
    return position_quantity(**values)  # type: ignore[arg-type]


def test_a_position_buys_its_share_of_equity_in_whole_lots() -> None:
    assert size() == Decimal(14)  # 1,000,000 / 70,000 = 14.28


def test_the_risk_limit_caps_a_larger_position_size() -> None:
    assert size(position_pct=Decimal(50)) == Decimal(28)  # 20 % of 10,000,000 / 70,000


def test_cash_caps_the_position_with_room_for_the_commission() -> None:
    assert size(cash=Decimal(140_021)) == Decimal(2)
    assert size(cash=Decimal(140_020)) == Decimal(1)


@pytest.mark.parametrize(
    "overrides",
    [
        {"equity": Decimal(0)},
        {"price": Decimal(0)},
        {"cash": Decimal(0)},
        {"price": Decimal(10**9)},
    ],
)
def test_nothing_is_bought_when_no_lot_fits(overrides: dict[str, Decimal]) -> None:
    assert size(**overrides) == 0


def test_costs_are_commission_on_both_sides_and_tax_on_sales_rounded_down() -> None:
    costs = TradingCosts(Decimal("0.00015"), Decimal("0.002"))
    assert costs.buy_costs(Decimal(1_000_001), "KRW") == Decimal(150)
    assert costs.sell_costs(Decimal(1_000_001), "KRW") == Decimal(150 + 2000)


def test_slippage_moves_the_fill_against_the_trader_by_whole_ticks() -> None:
    costs = TradingCosts(slippage_ticks=2)
    assert costs.fill_price(samsung(), Decimal(70_000), buying=True) == Decimal(70_200)
    assert costs.fill_price(samsung(), Decimal(70_000), buying=False) == Decimal(69_800)
    # Off-grid prices round against the trader first; a sale never goes below one tick.
    assert TradingCosts().fill_price(samsung(), Decimal("70040"), buying=True) == Decimal(70_100)
    assert TradingCosts().fill_price(samsung(), Decimal("70040"), buying=False) == Decimal(70_000)
    assert TradingCosts(slippage_ticks=5).fill_price(samsung(), Decimal(2), buying=False) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"commission_rate": Decimal(-1)}, "commission rate must not be negative"),
        ({"sell_tax_rate": Decimal(1)}, "sell tax rate must be below 1"),
        ({"slippage_ticks": 101}, "slippage ticks"),
    ],
)
def test_bad_costs_are_refused_by_name(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        TradingCosts(**overrides)  # type: ignore[arg-type]


def test_no_position_is_sized_below_the_venue_s_minimum_quantity_or_value() -> None:
    coin = Instrument(
        "BTC/KRW",
        "Bitcoin",
        "24/7",
        "KRW",
        TickTable.fixed(1000),
        lot_size=Decimal("0.00000001"),
        min_quantity=Decimal("0.0001"),
        min_notional=Decimal(5_000),
    )
    price = Decimal(90_000_000)

    assert size(instrument=coin, price=price) == Decimal("0.01111111")
    assert size(instrument=coin, price=price, equity=Decimal(80_000)) == 0, "0.0000888 BTC"
    assert size(instrument=coin, price=Decimal(40_000_000), equity=Decimal(40_000)) == 0, (
        "0.0001 BTC is worth 4,000 KRW, under the 5,000 KRW minimum"
    )
    assert size(instrument=coin, price=Decimal(40_000_000), equity=Decimal(60_000)) == Decimal(
        "0.00015"
    )
