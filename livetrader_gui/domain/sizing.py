"""How many units a new position buys, and what a trade costs: one rule for live and backtest."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.instrument import Instrument, PriceRounding
from livetrader_gui.domain.values import bounded_int, non_negative, round_fee


@dataclass(frozen=True, slots=True)
class TradingCosts:
    """Commission on both sides, a transaction tax on sales, and slippage in ticks.

    The defaults are the simulated broker's: a typical Korean online commission (0.015 %) and the
    KRX sell tax from 2026 (0.20 %).
    """

    commission_rate: Decimal = Decimal("0.00015")
    sell_tax_rate: Decimal = Decimal("0.0020")
    slippage_ticks: int = 0

    def __post_init__(self) -> None:
        for name in ("commission_rate", "sell_tax_rate"):
            rate = non_negative(getattr(self, name), name.replace("_", " "))
            if rate >= 1:
                raise InvalidValueError(f"{name.replace('_', ' ')} must be below 1, got {rate}")
            object.__setattr__(self, name, rate)
        bounded_int(self.slippage_ticks, "slippage ticks", 0, 100)

    def buy_costs(self, notional: Decimal, currency: str) -> Decimal:
        """Return the commission on a purchase of *notional*."""
        return round_fee(notional * self.commission_rate, currency)

    def sell_costs(self, notional: Decimal, currency: str) -> Decimal:
        """Return commission plus tax on a sale of *notional*."""
        return round_fee(notional * self.commission_rate, currency) + round_fee(
            notional * self.sell_tax_rate, currency
        )

    def fill_price(self, instrument: Instrument, price: Decimal, *, buying: bool) -> Decimal:
        """Return the price a market order fills at: *price* moved against us by the slippage."""
        mode = PriceRounding.UP if buying else PriceRounding.DOWN
        filled = instrument.round_price(price, mode)
        for _ in range(self.slippage_ticks):
            tick = instrument.tick_size(filled)
            filled = filled + tick if buying else max(filled - tick, tick)
        return instrument.round_price(filled, mode)


def position_quantity(
    *,
    equity: Decimal,
    cash: Decimal,
    price: Decimal,
    position_pct: Decimal,
    max_position_size_pct: Decimal,
    commission_rate: Decimal,
    instrument: Instrument,
) -> Decimal:
    """Return the whole lots a new position buys; zero when not even the venue's smallest order
    (its minimum quantity and minimum order value) fits.

    The budget is ``position_pct`` of equity, capped by ``max_position_size_pct`` of equity and by
    the cash on hand once commission is paid, so sizing never asks for more than the risk limit
    allows: the risk check that follows stays as a second line of defence.
    """
    if price <= 0 or equity <= 0:
        return Decimal(0)
    budget = min(equity * position_pct, equity * max_position_size_pct) / 100
    budget = min(budget, cash / (1 + commission_rate))
    if budget <= 0:
        return Decimal(0)
    quantity = instrument.round_quantity(budget / price)
    # Below the venue's minimum quantity or order value the order would only be refused.
    if quantity < instrument.smallest_quantity or quantity * price < instrument.min_notional:
        return Decimal(0)
    return quantity
