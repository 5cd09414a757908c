"""Orders, their checked life cycle, and the fills that execute them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.errors import IllegalTransitionError, InvalidValueError
from livetrader_gui.domain.values import aware, non_negative, positive, symbol_code, text


class TradeDirection(Enum):
    """Buy or sell."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """Return +1 for a buy and -1 for a sell."""
        return 1 if self is TradeDirection.BUY else -1


class OrderType(Enum):
    """How the order is priced."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"


class OrderStatus(Enum):
    """Where an order is in its life.

    ``PENDING_SUBMIT`` means recorded here and possibly sent: until the broker confirms, the
    outcome is unknown and is resolved by asking the broker, never by sending again.
    """

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        """Tell whether nothing more can happen to an order in this status."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
_ORDER_EDGES: dict[OrderStatus, frozenset[OrderStatus]] = {
    # A broker looked up after a lost answer may report any state, so PENDING_SUBMIT reaches all.
    OrderStatus.PENDING_SUBMIT: frozenset(OrderStatus) - {OrderStatus.PENDING_SUBMIT},
    OrderStatus.SUBMITTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class ClientOrderIds:
    """How a venue wants the client order ids it is sent: a prefix, a longest length and the
    characters it allows (the body of a regular-expression class). Venues differ: Binance takes
    up to 36 of ``.A-Z:/a-z0-9_-``. Each id is the prefix and random hexadecimal digits, as many
    as fit up to 32 (128 bits), and never fewer than 16: unique across restarts and machines."""

    prefix: str = "LT-"
    max_length: int = 64
    allowed: str = "A-Za-z0-9_-"

    def __post_init__(self) -> None:
        if self.max_length - len(self.prefix) < _MIN_RANDOM_DIGITS:
            raise InvalidValueError(
                f"client order ids of at most {self.max_length} characters leave fewer than "
                f"{_MIN_RANDOM_DIGITS} random digits after the prefix {self.prefix!r}"
            )
        sample = self.prefix + "0123456789abcdef"
        if (problem := self.problem(sample[: self.max_length])) is not None:
            raise InvalidValueError(f"client order ids cannot be made: {problem}")

    def new(self) -> str:
        """Return a fresh client order id this venue accepts."""
        digits = min(32, self.max_length - len(self.prefix))
        return self.prefix + uuid.uuid4().hex[:digits]

    def problem(self, client_order_id: str) -> str | None:
        """Return why the venue would refuse *client_order_id*; None when it would take it."""
        if not 0 < len(client_order_id) <= self.max_length:
            return (
                f"client order id {client_order_id!r} has {len(client_order_id)} characters, "
                f"not 1 to {self.max_length}"
            )
        if re.fullmatch(f"[{self.allowed}]+", client_order_id) is None:
            return f"client order id {client_order_id!r} has characters outside [{self.allowed}]"
        return None


_MIN_RANDOM_DIGITS = 16  # 64 bits: no two ids alike in any plausible number of orders
DEFAULT_CLIENT_ORDER_IDS = ClientOrderIds()


def new_client_order_id() -> str:
    """Return a fresh client order id in the default format, unique across restarts and
    machines."""
    return DEFAULT_CLIENT_ORDER_IDS.new()


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What is sent to a broker: the immutable part of an order."""

    client_order_id: str
    symbol: str
    direction: TradeDirection
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "client_order_id", text(self.client_order_id, "client order id", max_length=64)
        )
        object.__setattr__(self, "symbol", symbol_code(self.symbol))
        object.__setattr__(self, "quantity", positive(self.quantity, "order quantity"))
        if self.order_type is OrderType.LIMIT:
            if self.limit_price is None:
                raise InvalidValueError("a limit order needs a limit price")
            object.__setattr__(self, "limit_price", positive(self.limit_price, "limit price"))
        elif self.limit_price is not None:
            raise InvalidValueError("a market order must not carry a limit price")


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order; ``fill_id`` is unique per broker.

    ``fee_quantity`` is the part of a buy's quantity the venue kept as its fee (Binance takes
    its fee in the coin bought unless the account pays with BNB): the buyer paid for the whole
    ``quantity`` and holds ``quantity - fee_quantity``. ``commission`` is a fee paid in money.
    """

    fill_id: str
    client_order_id: str
    symbol: str
    direction: TradeDirection
    quantity: Decimal
    price: Decimal
    at: datetime
    commission: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    fee_quantity: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fill_id", text(self.fill_id, "fill id", max_length=96))
        object.__setattr__(self, "symbol", symbol_code(self.symbol))
        object.__setattr__(self, "quantity", positive(self.quantity, "fill quantity"))
        object.__setattr__(self, "price", positive(self.price, "fill price"))
        object.__setattr__(self, "commission", non_negative(self.commission, "commission"))
        object.__setattr__(self, "tax", non_negative(self.tax, "tax"))
        kept = non_negative(self.fee_quantity, "fee quantity")
        object.__setattr__(self, "fee_quantity", kept)
        if kept and (self.direction is not TradeDirection.BUY or kept >= self.quantity):
            raise InvalidValueError(
                f"fill {self.fill_id}: a fee of {kept} {self.symbol} can only be kept from a "
                f"buy, and from less than its {self.quantity}"
            )
        aware(self.at, "fill time")

    @property
    def gross_value(self) -> Decimal:
        """Return quantity times price, before fees."""
        return self.quantity * self.price

    @property
    def fees(self) -> Decimal:
        """Return commission plus tax."""
        return self.commission + self.tax

    @property
    def held_change(self) -> Decimal:
        """Return what the fill changes the holding by: a buy adds what the venue did not
        keep as its fee, a sell takes its whole quantity."""
        if self.direction is TradeDirection.BUY:
            return self.quantity - self.fee_quantity
        return -self.quantity


@dataclass(eq=False, slots=True)
class Order:
    """An order and what the broker has said about it."""

    request: OrderRequest
    created_at: datetime
    session_id: str | None = None
    # The books that hold the order: a broker's id, or a paper account's. With the broker's own
    # order id and a fill id it names each fill, so ids that two brokers share never collide.
    broker_id: str | None = None
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    broker_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    average_fill_price: Decimal | None = None
    reject_reason: str | None = None
    updated_at: datetime | None = None
    fill_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        aware(self.created_at, "order creation time")
        if self.broker_id is not None:
            self.broker_id = text(self.broker_id, "broker id", max_length=32)
        if self.updated_at is None:
            self.updated_at = self.created_at
        if not Decimal(0) <= self.filled_quantity <= self.request.quantity:
            raise InvalidValueError(
                f"order {self.client_order_id}: filled quantity {self.filled_quantity} "
                f"outside 0..{self.request.quantity}"
            )

    @property
    def client_order_id(self) -> str:
        """Return the id this app gave the order."""
        return self.request.client_order_id

    def copy(self) -> Order:
        """Return an independent copy, to change without touching this order."""
        return replace(self, fill_ids=set(self.fill_ids))

    @property
    def symbol(self) -> str:
        """Return the instrument's symbol."""
        return self.request.symbol

    @property
    def remaining_quantity(self) -> Decimal:
        """Return the quantity still to fill."""
        return self.request.quantity - self.filled_quantity

    def _move(self, target: OrderStatus, at: datetime, detail: str = "") -> None:
        if target not in _ORDER_EDGES[self.status]:
            raise IllegalTransitionError(
                f"order {self.client_order_id}", self.status.value, target.value, detail
            )
        self.status = target
        self.updated_at = aware(at, "order update time")

    def mark_submitted(self, broker_order_id: str, at: datetime) -> None:
        """Record that the broker accepted the order under *broker_order_id*."""
        self._move(OrderStatus.SUBMITTED, at)
        self.broker_order_id = text(broker_order_id, "broker order id", max_length=96)

    def apply_fill(self, fill: Fill) -> bool:
        """Apply *fill*; return False, changing nothing, if it was applied before."""
        if fill.client_order_id != self.client_order_id:
            raise InvalidValueError(
                f"fill {fill.fill_id} belongs to order {fill.client_order_id}, "
                f"not {self.client_order_id}"
            )
        if fill.fill_id in self.fill_ids:
            return False
        if fill.direction is not self.request.direction or fill.symbol != self.symbol:
            raise InvalidValueError(
                f"fill {fill.fill_id} does not match order {self.client_order_id}"
            )
        if fill.quantity > self.remaining_quantity:
            raise InvalidValueError(
                f"fill {fill.fill_id} of {fill.quantity} exceeds the {self.remaining_quantity} "
                f"left on order {self.client_order_id}"
            )
        new_filled = self.filled_quantity + fill.quantity
        target = (
            OrderStatus.FILLED
            if new_filled == self.request.quantity
            else OrderStatus.PARTIALLY_FILLED
        )
        self._move(target, fill.at)
        previous_value = (self.average_fill_price or Decimal(0)) * self.filled_quantity
        self.average_fill_price = (previous_value + fill.gross_value) / new_filled
        self.filled_quantity = new_filled
        self.fill_ids.add(fill.fill_id)
        return True

    def mark_cancelled(self, at: datetime) -> None:
        """Record that the order was cancelled (what filled before stays filled)."""
        self._move(OrderStatus.CANCELLED, at)

    def mark_rejected(self, reason: str, at: datetime) -> None:
        """Record that the broker refused the order, and why."""
        self._move(OrderStatus.REJECTED, at)
        self.reject_reason = text(reason, "reject reason", max_length=500)

    def mark_expired(self, at: datetime) -> None:
        """Record that the order lapsed (a day order at the close)."""
        self._move(OrderStatus.EXPIRED, at)
