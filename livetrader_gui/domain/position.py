"""Positions, derived from fills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.orders import Fill, TradeDirection
from livetrader_gui.domain.values import positive, symbol_code


@dataclass(eq=False, slots=True)
class Position:
    """A long holding of one instrument, built up and run down by fills.

    Strategies here are long-only (KRX retail accounts cannot short), so a sell larger than the
    holding is an error, not a short position. ``realized_pnl`` is net of fees and taxes.
    """

    symbol: str
    quantity: Decimal = Decimal(0)
    average_price: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    fees_paid: Decimal = Decimal(0)
    last_price: Decimal | None = None
    opened_at: datetime | None = None

    def __post_init__(self) -> None:
        self.symbol = symbol_code(self.symbol)
        if self.quantity < 0:
            raise InvalidValueError(f"{self.symbol} position quantity must not be negative")

    @property
    def is_flat(self) -> bool:
        """Tell whether nothing is held."""
        return self.quantity == 0

    @property
    def cost_basis(self) -> Decimal:
        """Return quantity times average entry price."""
        return self.quantity * self.average_price

    @property
    def market_value(self) -> Decimal:
        """Return quantity times the last price (entry price while none is known)."""
        return self.quantity * (
            self.last_price if self.last_price is not None else self.average_price
        )

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the gain or loss of the open quantity at the last price."""
        last = self.last_price
        return Decimal(0) if last is None else self.quantity * (last - self.average_price)

    def mark(self, price: Decimal) -> None:
        """Update the last price used to value the position."""
        # Every pushed quote of a held symbol marks it: name the price only when it is wrong.
        if not (isinstance(price, Decimal) and price.is_finite() and price > 0):
            price = positive(price, f"{self.symbol} mark price")
        self.last_price = price

    def apply_fill(self, fill: Fill) -> Decimal:
        """Apply *fill* and return the P&L it realized (net of its fees)."""
        if fill.symbol != self.symbol:
            raise InvalidValueError(f"fill for {fill.symbol} applied to the {self.symbol} position")
        # A fee kept in the coin bought costs what the coin cost: it is in the average price.
        self.fees_paid += fill.fees + fill.fee_quantity * fill.price
        if fill.direction is TradeDirection.BUY:
            total = self.cost_basis + fill.gross_value
            self.quantity += fill.held_change
            self.average_price = total / self.quantity
            if self.opened_at is None:
                self.opened_at = fill.at
            realized = -fill.fees
        else:
            if fill.quantity > self.quantity:
                raise InvalidValueError(
                    f"sell of {fill.quantity} {self.symbol} exceeds the {self.quantity} held"
                )
            realized = (fill.price - self.average_price) * fill.quantity - fill.fees
            self.quantity -= fill.quantity
            if self.quantity == 0:
                # Nothing of a closed position carries over to the next one: a mark left here
                # would value the next purchase at an old price until its first quote.
                self.average_price = Decimal(0)
                self.opened_at = None
                self.last_price = None
        self.realized_pnl += realized
        return realized
