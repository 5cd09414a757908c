"""The simulated broker's books: cash, holdings, orders, and matching against the market path.

Matching is lazy and deterministic: whenever the broker is called at time ``now``, every open
order is matched against each one-second step of the price path it has not seen yet, up to
``now``. A step offers at most ``participation`` of its traded volume (at least one lot), so
large orders fill in parts over several steps, as on a real book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from livetrader_gui.adapters.brokers.simulated.market import DayPath, SyntheticMarket
from livetrader_gui.application.ports import BrokerOrderState, BrokerPosition
from livetrader_gui.domain import (
    Account,
    AccountStatus,
    Fill,
    Instrument,
    OrderRequest,
    OrderStatus,
    Position,
    PriceRounding,
    TradeDirection,
)
from livetrader_gui.domain.values import round_fee


@dataclass(frozen=True, slots=True)
class LedgerConfig:
    """Costs and limits of the simulated account."""

    account_id: str = "SIM-0001"
    currency: str = "KRW"
    starting_cash: Decimal = Decimal(100_000_000)
    # A typical Korean online brokerage commission, charged on both sides.
    commission_rate: Decimal = Decimal("0.00015")
    # KRX securities transaction tax on sales from 2026-01-01: KOSPI 0.05 % + 0.15 % rural
    # special tax, KOSDAQ 0.20 % (Ministry of Economy and Finance, decree of December 2025).
    sell_tax_rate: Decimal = Decimal("0.0020")
    slippage_ticks: int = 0
    participation: Decimal = Decimal("0.25")
    # Market buys reserve cash at the ask plus this margin, as brokers do for unpriced orders.
    market_reserve_pct: Decimal = Decimal(5)
    # KRX daily price limits: ±30 % of the previous close.
    price_limit_pct: Decimal = Decimal(30)


@dataclass(eq=False)
class SimulatedOrder:
    """An order as the simulated broker holds it."""

    request: OrderRequest
    broker_order_id: str
    day: date
    next_step: int
    reserve_price: Decimal
    status: OrderStatus = OrderStatus.SUBMITTED
    filled: Decimal = Decimal(0)
    traded_value: Decimal = Decimal(0)
    fills: list[Fill] = field(default_factory=list)
    reject_reason: str | None = None
    updated_at: datetime | None = None

    @property
    def remaining(self) -> Decimal:
        return self.request.quantity - self.filled

    def state(self) -> BrokerOrderState:
        assert self.updated_at is not None
        return BrokerOrderState(
            request=self.request,
            broker_order_id=self.broker_order_id,
            status=self.status,
            filled_quantity=self.filled,
            average_fill_price=(self.traded_value / self.filled) if self.filled else None,
            fills=tuple(self.fills),
            updated_at=self.updated_at,
            reject_reason=self.reject_reason,
        )


def _money(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"


class SimulatedLedger:
    """Cash, positions and orders of one simulated account.

    Order ids are ``SIM-<token>-<number>``: the number carries on for as long as the account
    lives (its books are stored between runs), and the token, drawn when the account is
    opened, keeps the ids of a new account apart from those of an old one. ``dirty`` names the
    orders changed since the books were last stored.
    """

    def __init__(self, market: SyntheticMarket, config: LedgerConfig, token: str) -> None:
        self._market = market
        self._config = config
        self.token = token
        self.cash = config.starting_cash
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, SimulatedOrder] = {}
        self.sequence = 0
        self.dirty: set[str] = set()

    def load(
        self,
        cash: Decimal,
        sequence: int,
        positions: dict[str, Position],
        orders: dict[str, SimulatedOrder],
    ) -> None:
        """Take over books stored by an earlier run."""
        self.cash, self.sequence = cash, sequence
        self.positions, self.orders = positions, orders

    # ------------------------------------------------------------------ placing

    def place(
        self, request: OrderRequest, now: datetime, reject: str | None = None
    ) -> SimulatedOrder:
        """Accept or refuse *request*; a known client order id returns the existing order."""
        existing = self.orders.get(request.client_order_id)
        if existing is not None:
            return existing
        self.sequence += 1
        calendar = self._market.calendar
        day = calendar.session_date(now)
        order = SimulatedOrder(
            request=request,
            broker_order_id=f"SIM-{self.token}-{self.sequence:08d}",
            day=day,
            next_step=0,
            reserve_price=Decimal(0),
            updated_at=now,
        )
        # Validate before booking: a booked order would count against its own checks.
        reason = reject or self._refusal(request, order, now)
        self.orders[request.client_order_id] = order
        self.dirty.add(request.client_order_id)
        if reason is not None:
            order.status = OrderStatus.REJECTED
            order.reject_reason = reason
            return order
        path = self._market.day_path(request.symbol, day)
        order.next_step = path.index_at(now)
        self.match(order, now)
        return order

    def _refusal(self, request: OrderRequest, order: SimulatedOrder, now: datetime) -> str | None:
        calendar = self._market.calendar
        if not self._market.knows(request.symbol):
            return f"unknown symbol '{request.symbol}'"
        instrument = self._market.instrument(request.symbol)
        if not instrument.is_valid_quantity(request.quantity):
            return (
                f"quantity {request.quantity} is not a whole number of lots "
                f"(lot size {instrument.lot_size})"
            )
        if not calendar.is_open(now):
            opens = calendar.next_open(now)
            return f"the {calendar.code} market is closed; it opens at {opens.isoformat()}"
        path = self._market.day_path(request.symbol, order.day)
        limit = request.limit_price
        if limit is not None:
            refusal = self._limit_refusal(instrument, limit, path)
            if refusal is not None:
                return refusal
        if request.direction is TradeDirection.BUY:
            ask = self._touch(instrument, path, path.index_at(now), TradeDirection.BUY)
            margin = 1 + self._config.market_reserve_pct / 100
            order.reserve_price = (
                limit
                if limit is not None
                else instrument.round_price(ask * margin, PriceRounding.UP)
            )
            needed = request.quantity * order.reserve_price * (1 + self._config.commission_rate)
            available = self.buying_power()
            if needed > available:
                estimate = _money(needed.quantize(Decimal(1)))
                return (
                    f"insufficient buying power: the order needs about {estimate} "
                    f"{self._config.currency}, {_money(available)} is available"
                )
            return None
        held = self.positions.get(request.symbol, Position(request.symbol)).quantity
        on_sale = sum(
            (
                o.remaining
                for o in self._open_orders()
                if o.request.symbol == request.symbol and o.request.direction is TradeDirection.SELL
            ),
            Decimal(0),
        )
        if request.quantity > held - on_sale:
            return (
                f"cannot sell {request.quantity} {request.symbol}: {held} held, {on_sale} already "
                "on open sell orders (short selling is not allowed)"
            )
        return None

    def _limit_refusal(self, instrument: Instrument, limit: Decimal, path: DayPath) -> str | None:
        if not instrument.is_valid_price(limit):
            below = instrument.round_price(limit, PriceRounding.DOWN)
            above = instrument.round_price(limit, PriceRounding.UP)
            return (
                f"limit price {_money(limit)} is off the tick grid: the tick at this price is "
                f"{_money(instrument.tick_size(limit))} (nearest valid prices {_money(below)} "
                f"and {_money(above)})"
            )
        reference = self._market.to_price(instrument.symbol, path.previous_close)
        band = reference * self._config.price_limit_pct / 100
        low = instrument.round_price(reference - band, PriceRounding.UP)
        high = instrument.round_price(reference + band, PriceRounding.DOWN)
        if not low <= limit <= high:
            return (
                f"limit price {_money(limit)} is outside today's price limits "
                f"{_money(low)}–{_money(high)}"
            )
        return None

    # ------------------------------------------------------------------ matching

    def _touch(
        self, instrument: Instrument, path: DayPath, index: int, side: TradeDirection
    ) -> Decimal:
        last = self._market.to_price(instrument.symbol, path.prices[index])
        slip = self._config.slippage_ticks
        if side is TradeDirection.BUY:
            price = last + instrument.tick_size(last)
            for _ in range(slip):
                price += instrument.tick_size(price)
            return price
        for _ in range(slip):
            last = max(last - instrument.tick_size(last), instrument.tick_size(last))
        return last

    def _open_orders(self) -> list[SimulatedOrder]:
        return [o for o in self.orders.values() if not o.status.is_terminal]

    def advance(self, now: datetime) -> None:
        """Match every open order up to *now*, and expire day orders whose session closed."""
        for order in self._open_orders():
            self.match(order, now)

    def match(self, order: SimulatedOrder, now: datetime) -> None:
        """Match *order* against the steps of its day it has not seen, up to *now*."""
        request = order.request
        instrument = self._market.instrument(request.symbol)
        path = self._market.day_path(request.symbol, order.day)
        last_step = path.index_at(now) if now < path.close_at else len(path.prices) - 1
        # Steps matched without a fill need not be stored: matched again, they fill nothing.
        before = (order.status, order.filled)
        for index in range(order.next_step, last_step + 1):
            if order.status.is_terminal:
                break
            self._match_step(order, instrument, path, index)
        order.next_step = max(order.next_step, last_step + 1)
        if now >= path.close_at and not order.status.is_terminal:
            order.status = OrderStatus.EXPIRED
            order.reject_reason = "day order expired at the market close"
            order.updated_at = path.close_at
        if (order.status, order.filled) != before:
            self.dirty.add(request.client_order_id)

    def _match_step(
        self, order: SimulatedOrder, instrument: Instrument, path: DayPath, index: int
    ) -> None:
        request = order.request
        price = self._touch(instrument, path, index, request.direction)
        limit = request.limit_price
        if limit is not None:
            if request.direction is TradeDirection.BUY and price > limit:
                return
            if request.direction is TradeDirection.SELL and price < limit:
                return
        lot = instrument.lot_size
        offered = (
            Decimal(int(path.volumes[index])) * self._config.participation / lot
        ).to_integral_value(rounding=ROUND_FLOOR) * lot
        quantity = min(order.remaining, max(offered, lot))
        at = path.step_time(index)
        if request.direction is TradeDirection.BUY:
            per_unit = price * (1 + self._config.commission_rate)
            affordable = (self.cash / per_unit / lot).to_integral_value(rounding=ROUND_FLOOR) * lot
            if affordable < quantity:
                quantity = affordable
                if quantity <= 0:
                    order.status = OrderStatus.CANCELLED
                    order.reject_reason = "remainder cancelled: insufficient cash at the fill price"
                    order.updated_at = at
                    return
        self._fill(order, quantity, price, at)

    def _fill(self, order: SimulatedOrder, quantity: Decimal, price: Decimal, at: datetime) -> None:
        request = order.request
        value = quantity * price
        commission = round_fee(value * self._config.commission_rate, self._config.currency)
        tax = (
            round_fee(value * self._config.sell_tax_rate, self._config.currency)
            if request.direction is TradeDirection.SELL
            else Decimal(0)
        )
        fill = Fill(
            fill_id=f"{order.broker_order_id}-F{len(order.fills) + 1}",
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            direction=request.direction,
            quantity=quantity,
            price=price,
            at=at,
            commission=commission,
            tax=tax,
        )
        position = self.positions.setdefault(request.symbol, Position(request.symbol))
        position.apply_fill(fill)
        self.cash += (
            -value - commission
            if request.direction is TradeDirection.BUY
            else value - commission - tax
        )
        order.fills.append(fill)
        order.filled += quantity
        order.traded_value += value
        order.status = OrderStatus.FILLED if order.remaining == 0 else OrderStatus.PARTIALLY_FILLED
        order.updated_at = at

    # ------------------------------------------------------------------ reading

    def cancel(self, client_order_id: str, now: datetime) -> SimulatedOrder | None:
        """Cancel what is left of an order; a finished order is returned unchanged."""
        order = self.orders.get(client_order_id)
        if order is None:
            return None
        self.match(order, now)
        self.dirty.add(client_order_id)
        if not order.status.is_terminal:
            order.status = OrderStatus.CANCELLED
            order.updated_at = now
        return order

    def buying_power(self) -> Decimal:
        """Return cash less what open buy orders have reserved."""
        reserved = sum(
            (
                o.remaining * o.reserve_price * (1 + self._config.commission_rate)
                for o in self._open_orders()
                if o.request.direction is TradeDirection.BUY
            ),
            Decimal(0),
        )
        return max(Decimal(0), (self.cash - reserved).quantize(Decimal(1), rounding=ROUND_FLOOR))

    def open_states(self) -> list[BrokerOrderState]:
        """Return the states of orders that can still fill."""
        return [o.state() for o in self._open_orders()]

    def broker_positions(self) -> list[BrokerPosition]:
        """Return non-zero holdings."""
        return [
            BrokerPosition(p.symbol, p.quantity, p.average_price)
            for p in self.positions.values()
            if not p.is_flat
        ]

    def account(self, now: datetime, blocked: bool) -> Account:
        """Return the account, valuing holdings at the last price at *now*."""
        holdings = sum(
            (
                p.quantity * self._market.quote_at(p.symbol, now).last
                for p in self.positions.values()
                if not p.is_flat
            ),
            Decimal(0),
        )
        return Account(
            account_id=self._config.account_id,
            currency=self._config.currency,
            cash=self.cash,
            buying_power=self.buying_power(),
            equity=self.cash + holdings,
            status=AccountStatus.ACTIVE,
            trading_blocked=blocked,
        )
