"""A scripted ``IBrokerGateway``: prices and candles set by the test, market orders fill at once.

It honours the gateway contract the runner relies on (idempotent client order ids, rejections as
answers, connection errors while down) and records every call, so tests can assert that an order
was placed exactly once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerOrderState,
    BrokerPosition,
    BrokerRateLimitError,
    BrokerTimeoutError,
    ConnectionState,
    UnknownSymbolError,
)
from livetrader_gui.domain import (
    DEFAULT_CLIENT_ORDER_IDS,
    KRX_STOCK_TICKS,
    Account,
    AccountStatus,
    Candle,
    ClientOrderIds,
    Fill,
    Instrument,
    OrderRequest,
    OrderStatus,
    Quote,
    TradeDirection,
)
from livetrader_gui.domain.values import plain
from tests.fakes import FakeClock


class FakeBroker:
    """A broker whose market the test writes, minute by minute."""

    def __init__(
        self,
        clock: FakeClock,
        symbols: tuple[str, ...] = ("005930",),
        cash: Decimal = Decimal(10_000_000),
        broker_id: str = "FAKE",
    ) -> None:
        self._clock = clock
        self._broker_id = broker_id
        # A test gives a venue's own format (a short length, other characters).
        self.order_ids: ClientOrderIds = DEFAULT_CLIENT_ORDER_IDS
        self.connected = True
        self.refuse_connects = 0  # how many coming ``connect`` calls fail
        self.calls = 0  # every call that reached the venue
        self.market_data_calls = 0  # of which quotes and candles
        self.rate_limited_until: datetime | None = None  # until then, every call answers 429
        self.cash = cash
        self.prices: dict[str, Decimal] = {}
        self.half_spread = Decimal(0)  # bid and ask sit this far below and above the price
        self.quote_times: dict[str, datetime] = {}
        self.candles: dict[str, list[Candle]] = {s: [] for s in symbols}
        self.holdings: dict[str, Decimal] = {}
        self.orders: dict[str, BrokerOrderState] = {}
        self.placed: list[OrderRequest] = []
        self.lose_answers = 0
        self.reject_with: str | None = None
        self.fill_orders = True
        # A market order fills in this many parts, one a second (1: at once).
        self.fill_parts = 1
        self._working: dict[str, datetime] = {}  # orders filling in parts, by when placed
        self.account_status = AccountStatus.ACTIVE
        self.real_money = False
        # A real broker's answer takes a while: with this set, calls let other tasks run first.
        self.suspends = False
        # Seconds of real time (the fake clock's) each quote, account and order call takes.
        self.latency = 0.0

    # ------------------------------------------------------------------ test controls

    def close_minute(self, symbol: str, close: Decimal | int, volume: int = 1_000) -> Candle:
        """Add the candle of the minute that just ended at the clock's time, and quote its close."""
        price = Decimal(close)
        start = self._clock.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
        candle = Candle(symbol, start, price, price, price, price, Decimal(volume))
        self.candles[symbol].append(candle)
        self.set_price(symbol, price)
        return candle

    def set_price(self, symbol: str, price: Decimal | int) -> None:
        """Quote *symbol* at *price* now."""
        self.prices[symbol] = Decimal(price)
        self.quote_times[symbol] = self._clock.now()

    # ------------------------------------------------------------------ identity

    @property
    def broker_id(self) -> str:
        return self._broker_id

    @property
    def display_name(self) -> str:
        return f"Fake broker ({self._broker_id})"

    @property
    def is_real_money(self) -> bool:
        return self.real_money

    @property
    def client_order_ids(self) -> ClientOrderIds:
        """Return how this broker wants client order ids made."""
        return self.order_ids

    @property
    def clock(self) -> FakeClock:
        return self._clock

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.CONNECTED if self.connected else ConnectionState.DISCONNECTED

    async def connect(self) -> None:
        if self.refuse_connects > 0:
            self.refuse_connects -= 1
            raise BrokerConnectionError(f"{self._broker_id} refused the connection")
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def _answer(self) -> None:
        if self.suspends:
            await asyncio.sleep(0)
        if self.latency:
            await self._clock.sleep(self.latency)
        self._check()

    def _check(self) -> None:
        if not self.connected:
            raise BrokerConnectionError(f"{self._broker_id} is disconnected")
        self.calls += 1
        if self.rate_limited_until is not None and self._clock.now() < self.rate_limited_until:
            wait = (self.rate_limited_until - self._clock.now()).total_seconds()
            raise BrokerRateLimitError(f"{self._broker_id}: too many requests (429)", wait)
        self._fill_due_parts()

    # ------------------------------------------------------------------ market data

    async def get_instruments(self) -> list[Instrument]:
        self._check()
        return [self._instrument(s) for s in self.candles]

    async def get_instrument(self, symbol: str) -> Instrument:
        self._check()
        if symbol not in self.candles:
            raise UnknownSymbolError(f"{self._broker_id} does not list '{symbol}'")
        return self._instrument(symbol)

    @staticmethod
    def _instrument(symbol: str) -> Instrument:
        return Instrument(symbol, symbol, "XKRX", "KRW", KRX_STOCK_TICKS)

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        await self._answer()
        self.market_data_calls += 1
        price = self.prices.get(symbol)
        if price is None:
            return None
        spread = self.half_spread
        return Quote(symbol, price - spread, price + spread, price, self.quote_times[symbol])

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        self._check()
        self.market_data_calls += 1
        now = self._clock.now()
        return [c for c in self.candles[symbol] if c.end <= now][-limit:]

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        self._check()
        self.market_data_calls += 1
        return [c for c in self.candles[symbol] if start <= c.start and c.end <= end]

    # ------------------------------------------------------------------ orders

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        await self._answer()
        self.placed.append(request)
        known = self.orders.get(request.client_order_id)
        if known is not None:
            return known
        state = self._execute(request)
        self.orders[request.client_order_id] = state
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise BrokerTimeoutError(f"{self._broker_id}: the answer to the order was lost")
        return state

    def _execute(self, request: OrderRequest) -> BrokerOrderState:
        now = self._clock.now()
        broker_id = f"B-{len(self.orders) + 1}"
        held = self.holdings.get(request.symbol, Decimal(0))
        reason = self.reject_with
        if request.direction is TradeDirection.SELL and held < request.quantity:
            reason = reason or f"{request.symbol}: {plain(held)} held, cannot sell more"
        if reason is not None:
            return BrokerOrderState(
                request, broker_id, OrderStatus.REJECTED, Decimal(0), None, (), now, reason
            )
        submitted = BrokerOrderState(
            request, broker_id, OrderStatus.SUBMITTED, Decimal(0), None, (), now
        )
        if not self.fill_orders or not self._marketable(request):
            return submitted  # it rests at the broker
        if self.fill_parts > 1:
            self._working[request.client_order_id] = now
            self.orders[request.client_order_id] = submitted
            self._fill_due_parts()
            return self.orders[request.client_order_id]
        return self._filled(submitted, (request.quantity,))

    def _marketable(self, request: OrderRequest) -> bool:
        if request.limit_price is None:
            return True
        price = self.prices[request.symbol]
        buying = request.direction is TradeDirection.BUY
        return request.limit_price >= price if buying else request.limit_price <= price

    def _fill_due_parts(self) -> None:
        """Fill one more part of each working order for every second since it was placed."""
        now = self._clock.now()
        for client_order_id, placed in list(self._working.items()):
            state = self.orders[client_order_id]
            quantity = state.request.quantity
            parts = min(self.fill_parts, int(quantity))
            part = (quantity / parts).to_integral_value(rounding="ROUND_FLOOR")
            due = min(parts, 1 + int((now - placed).total_seconds()))
            if due < parts:
                sizes = [part] * due
            else:
                sizes = [part] * (parts - 1) + [quantity - part * (parts - 1)]
                del self._working[client_order_id]
            if len(sizes) > len(state.fills):
                self.orders[client_order_id] = self._filled(state, tuple(sizes))

    def fill_now(self, state: BrokerOrderState) -> BrokerOrderState:
        """Return *state* filled in full at the price now, applied to the books (a fill the
        app has not heard of yet)."""
        return self._filled(state, (state.request.quantity,))

    def _filled(self, state: BrokerOrderState, sizes: tuple[Decimal, ...]) -> BrokerOrderState:
        """Return *state* with fills of *sizes* (those it had are kept), applied to the books."""
        request, now = state.request, self._clock.now()
        price = self.prices[request.symbol]
        fills = list(state.fills)
        for number, size in enumerate(sizes[len(fills) :], start=len(fills) + 1):
            fills.append(
                Fill(
                    f"{state.broker_order_id}-F{number}",
                    request.client_order_id,
                    request.symbol,
                    request.direction,
                    size,
                    price,
                    now,
                )
            )
            sign = request.direction.sign
            self.cash -= sign * size * price
            held = self.holdings.get(request.symbol, Decimal(0)) + sign * size
            self.holdings[request.symbol] = held
        filled = sum((f.quantity for f in fills), Decimal(0))
        average = sum((f.quantity * f.price for f in fills), Decimal(0)) / filled
        status = OrderStatus.FILLED if filled == request.quantity else OrderStatus.PARTIALLY_FILLED
        return BrokerOrderState(
            request, state.broker_order_id, status, filled, average, tuple(fills), now
        )

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        self._check()
        state = self.orders[client_order_id]
        if state.status.is_terminal:
            return state
        self._working.pop(client_order_id, None)
        cancelled = BrokerOrderState(
            state.request,
            state.broker_order_id,
            OrderStatus.CANCELLED,
            state.filled_quantity,
            state.average_fill_price,
            state.fills,
            self._clock.now(),
        )
        self.orders[client_order_id] = cancelled
        return cancelled

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        self._check()
        return self.orders.get(client_order_id)

    async def get_open_orders(self) -> list[BrokerOrderState]:
        self._check()
        return [s for s in self.orders.values() if not s.status.is_terminal]

    async def get_positions(self) -> list[BrokerPosition]:
        self._check()
        return [
            BrokerPosition(s, q, self.prices.get(s, Decimal(1)))
            for s, q in self.holdings.items()
            if q != 0
        ]

    async def get_account(self) -> Account:
        await self._answer()
        holdings = sum(
            (q * self.prices.get(s, Decimal(0)) for s, q in self.holdings.items()), Decimal(0)
        )
        return Account(
            "FAKE-1",
            "KRW",
            self.cash,
            max(self.cash, Decimal(0)),
            self.cash + holdings,
            self.account_status,
        )

    def buys(self) -> list[OrderRequest]:
        """Return the buy requests placed (repeats of a client order id included)."""
        return [r for r in self.placed if r.direction is TradeDirection.BUY]
