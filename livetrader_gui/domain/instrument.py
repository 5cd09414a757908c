"""Instruments and the price and quantity grids an exchange accepts orders on."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import Enum

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import (
    DecimalLike,
    non_negative,
    plain,
    positive,
    symbol_code,
    text,
    to_decimal,
)


class PriceRounding(Enum):
    """Which way to move a price that is off the tick grid."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


@dataclass(frozen=True, slots=True)
class TickBand:
    """Prices from ``lower`` (inclusive) up to the next band trade in steps of ``tick``."""

    lower: Decimal
    tick: Decimal


@dataclass(frozen=True, slots=True)
class TickTable:
    """A price-dependent tick size, such as KRX's, as ascending bands starting at zero."""

    bands: tuple[TickBand, ...]

    def __post_init__(self) -> None:
        if not self.bands or self.bands[0].lower != 0:
            raise InvalidValueError("a tick table must start with a band at price 0")
        for before, after in zip(self.bands, self.bands[1:], strict=False):
            if after.lower <= before.lower:
                raise InvalidValueError("tick bands must be in ascending order of price")
            # Rounding up at a band edge lands on the edge; it must be on the upper grid too.
            if after.lower % after.tick != 0:
                raise InvalidValueError(
                    f"band edge {after.lower} is not a multiple of its tick {after.tick}"
                )
        for band in self.bands:
            if band.tick <= 0:
                raise InvalidValueError(f"tick sizes must be positive, got {band.tick}")

    @classmethod
    def fixed(cls, tick: DecimalLike) -> TickTable:
        """Return a table with one tick size at every price."""
        return cls((TickBand(Decimal(0), positive(tick, "tick size")),))

    def tick_for(self, price: Decimal) -> Decimal:
        """Return the tick size that applies at *price*."""
        tick = self.bands[0].tick
        for band in self.bands:
            if price < band.lower:
                break
            tick = band.tick
        return tick

    def round(self, price: Decimal, mode: PriceRounding = PriceRounding.NEAREST) -> Decimal:
        """Return *price* moved onto the grid in the direction *mode* asks for."""
        tick = self.tick_for(price)
        down = (price / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
        up = (price / tick).to_integral_value(rounding=ROUND_CEILING) * tick
        if mode is PriceRounding.DOWN:
            return down
        if mode is PriceRounding.UP:
            return up
        return down if price - down < up - price else up

    def is_on_grid(self, price: Decimal) -> bool:
        """Tell whether an order may be priced at *price*."""
        return price > 0 and price % self.tick_for(price) == 0


# KRX stock tick sizes for KOSPI, KOSDAQ and KONEX since 2023-01-25 (KRX notice of 2022-11-01:
# the three markets unified; 1,000-2,000 went from 5 to 1 KRW, 10,000-20,000 from 50 to 10,
# 100,000-200,000 from 500 to 100). ETFs, ETNs and ELWs keep a flat 5 KRW tick.
KRX_STOCK_TICKS = TickTable(
    (
        TickBand(Decimal(0), Decimal(1)),
        TickBand(Decimal(2_000), Decimal(5)),
        TickBand(Decimal(5_000), Decimal(10)),
        TickBand(Decimal(20_000), Decimal(50)),
        TickBand(Decimal(50_000), Decimal(100)),
        TickBand(Decimal(200_000), Decimal(500)),
        TickBand(Decimal(500_000), Decimal(1_000)),
    )
)


@dataclass(frozen=True, slots=True)
class Instrument:
    """Something that can be traded, with the grids its exchange accepts orders on.

    Parameters
    ----------
    symbol
        The broker's code, e.g. ``"005930"``.
    name
        A human name, e.g. ``"Samsung Electronics"``.
    exchange
        The exchange calendar code that sets its trading hours (``"XKRX"``, ``"XNYS"``, ``"24/7"``).
    currency
        ISO code of the quote currency.
    ticks
        The tick table prices must lie on.
    lot_size
        Quantities must be whole multiples of it.
    min_quantity
        The smallest quantity an order may ask for (a venue's ``minQty``); one lot when None.
    min_notional
        The smallest value, quantity times price in ``currency``, an order may have (Binance's
        ``NOTIONAL`` filter, Upbit's 5,000 KRW); zero when the venue has none.
    """

    symbol: str
    name: str
    exchange: str
    currency: str
    ticks: TickTable
    lot_size: Decimal = Decimal(1)
    min_quantity: Decimal | None = None
    min_notional: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", symbol_code(self.symbol))
        object.__setattr__(self, "name", text(self.name, "instrument name"))
        object.__setattr__(self, "exchange", symbol_code(self.exchange, "exchange code"))
        object.__setattr__(self, "currency", symbol_code(self.currency, "currency").upper())
        object.__setattr__(self, "lot_size", positive(self.lot_size, "lot size"))
        if self.min_quantity is not None:
            minimum = positive(self.min_quantity, f"{self.symbol} minimum quantity")
            object.__setattr__(self, "min_quantity", minimum)
        notional = non_negative(self.min_notional, f"{self.symbol} minimum order value")
        object.__setattr__(self, "min_notional", notional)

    @property
    def smallest_quantity(self) -> Decimal:
        """Return the smallest quantity an order may ask for: whole lots, at least the minimum."""
        minimum = self.min_quantity
        if minimum is None or minimum <= self.lot_size:
            return self.lot_size
        lots = (minimum / self.lot_size).to_integral_value(rounding=ROUND_CEILING)
        return lots * self.lot_size

    def tick_size(self, price: DecimalLike) -> Decimal:
        """Return the tick size at *price*."""
        return self.ticks.tick_for(positive(price, f"{self.symbol} price"))

    def round_price(
        self, price: DecimalLike, mode: PriceRounding = PriceRounding.NEAREST
    ) -> Decimal:
        """Return *price* on this instrument's tick grid."""
        return self.ticks.round(positive(price, f"{self.symbol} price"), mode)

    def is_valid_price(self, price: Decimal) -> bool:
        """Tell whether *price* lies on the tick grid."""
        return price.is_finite() and self.ticks.is_on_grid(price)

    def round_quantity(self, quantity: DecimalLike) -> Decimal:
        """Return *quantity* rounded down to whole lots (never up: that would exceed a limit)."""
        value = to_decimal(quantity, f"{self.symbol} quantity")
        lots = (value / self.lot_size).to_integral_value(rounding=ROUND_FLOOR)
        return max(lots, Decimal(0)) * self.lot_size

    def is_valid_quantity(self, quantity: Decimal) -> bool:
        """Tell whether *quantity* is a positive whole number of lots."""
        return quantity.is_finite() and quantity > 0 and quantity % self.lot_size == 0

    def order_problem(self, quantity: Decimal, price: Decimal) -> str | None:
        """Return why the venue would refuse an order of *quantity* at about *price*, naming
        the limit; None when it would take it."""
        if not self.is_valid_quantity(quantity):
            return (
                f"{self.symbol}: {plain(quantity)} is not a positive whole number of lots of "
                f"{plain(self.lot_size)}"
            )
        smallest = self.smallest_quantity
        if quantity < smallest:
            return (
                f"{self.symbol}: {plain(quantity)} is below the minimum quantity {plain(smallest)}"
            )
        value = quantity * price
        if value < self.min_notional:
            return (
                f"{self.symbol}: {plain(quantity)} at {plain(price)} is worth {plain(value)} "
                f"{self.currency}, below the minimum order value of {plain(self.min_notional)} "
                f"{self.currency}"
            )
        return None
