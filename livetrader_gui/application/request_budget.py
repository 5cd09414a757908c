"""A per-gateway request budget: what a venue allows, spent in order of importance.

Venues limit how fast they may be asked (Upbit: about 10 quotation requests a second per IP, 8
orders a second; Binance: a weight per request against a per-minute allowance) and punish more
with 429s and temporary bans. Every request of a gateway goes through one ``RequestBudget``:
each priority group (orders, then the account, then market data) has its own rate and burst,
all of them may share one more (a venue's per-IP weight), and when requests wait, an order goes
before an account read and an account read before a quote. A venue's own "slow down" holds the
group it came from (or every group) for the time the venue gave: while held, a request is
refused at once without being sent (``BrokerRateLimitError`` with ``sent=False``), so the
caller knows for certain that nothing reached the venue and never retries in a loop.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TypeVar

from livetrader_gui.application.ports import (
    BrokerOrderState,
    BrokerPosition,
    BrokerRateLimitError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    IPushesOrders,
    IReadsQuotes,
)
from livetrader_gui.domain import (
    Account,
    Candle,
    ClientOrderIds,
    Instrument,
    OrderRequest,
    Quote,
)

_T = TypeVar("_T")
# The longest hold a request waits out rather than being refused (seconds of real time).
SHORT_HOLD = 1.0
HOLD_MARGIN = 0.01  # past the hold's end: a timer may wake a hair early
# How long the quote an order needs waits out a hold on market data (an order answers within
# the runner's broker timeout, ten seconds, wait included).
ORDER_QUOTE_PATIENCE = 5.0


class RequestGroup(IntEnum):
    """What a request is for; a lower value goes first when requests wait."""

    ORDERS = 0  # placement, cancels and order look-ups
    ACCOUNT = 1  # balances, positions, open orders
    MARKET_DATA = 2  # quotes, candles, instruments


@dataclass(frozen=True, slots=True)
class Rate:
    """A token bucket: *per_second* requests on average, up to *burst* at once."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.per_second) and self.per_second > 0):
            raise ValueError(f"a request rate must be above 0 per second, not {self.per_second}")
        if self.burst < 1:
            raise ValueError(f"a request burst must be at least 1, not {self.burst}")


@dataclass(frozen=True, slots=True)
class VenueBudget:
    """What one venue allows.

    ``groups``: each group's own rate (a group left out is limited by ``shared`` only).
    ``shared``: what every group together may spend, in ``weights`` (a gateway method's
    weight; 1 when left out), as Binance counts request weight per IP.
    ``hold_all_on_limit``: a venue's 429 stops every group (a per-IP limit), not only the
    group that met it (Upbit limits quotation and exchange requests apart).
    """

    venue: str
    groups: Mapping[RequestGroup, Rate] = field(default_factory=dict)
    shared: Rate | None = None
    weights: Mapping[str, int] = field(default_factory=dict)
    hold_all_on_limit: bool = False

    def weight(self, method: str) -> int:
        """Return what *method* costs against the shared allowance."""
        return self.weights.get(method, 1)


class _Bucket:
    __slots__ = ("_at", "_rate", "tokens")

    def __init__(self, rate: Rate, now: datetime) -> None:
        self._rate = rate
        self.tokens = float(rate.burst)
        self._at = now

    def refill(self, now: datetime) -> None:
        elapsed = (now - self._at).total_seconds()
        if elapsed > 0:
            refilled = self.tokens + elapsed * self._rate.per_second
            self.tokens = min(float(self._rate.burst), refilled)
            self._at = now

    def ready(self, cost: int) -> bool:
        return self.tokens >= min(cost, self._rate.burst)

    def take(self, cost: int) -> None:
        self.tokens -= min(cost, self._rate.burst)

    def seconds_until(self, cost: int) -> float:
        missing = min(cost, self._rate.burst) - self.tokens
        return max(0.0, missing / self._rate.per_second)


@dataclass(eq=False, slots=True)
class _Ticket:
    group: RequestGroup
    cost: int
    order: int
    granted: bool = False


class RequestBudget:
    """Grants one gateway's requests within its venue's budget (see the module's text).

    *timer* is real time (the runner's timer), since venues count real seconds however fast a
    simulated market runs.
    """

    def __init__(self, budget: VenueBudget, timer: Clock) -> None:
        self._budget = budget
        self._timer = timer
        now = timer.now()
        self._own = {group: _Bucket(rate, now) for group, rate in budget.groups.items()}
        self._shared = _Bucket(budget.shared, now) if budget.shared is not None else None
        self._waiting: list[_Ticket] = []
        self._numbers = itertools.count()
        self._change = asyncio.Event()
        self._held: dict[RequestGroup, datetime] = {}
        self.granted: dict[RequestGroup, int] = dict.fromkeys(RequestGroup, 0)
        self.refused: dict[RequestGroup, int] = dict.fromkeys(RequestGroup, 0)

    @property
    def venue(self) -> str:
        """Return the venue whose budget this is."""
        return self._budget.venue

    @property
    def waiting(self) -> int:
        """Return how many requests wait for their turn."""
        return len(self._waiting)

    def weight(self, method: str) -> int:
        """Return what the gateway call *method* costs against the venue's shared allowance."""
        return self._budget.weight(method)

    def held_for(self, group: RequestGroup) -> float:
        """Return how many more seconds *group* sends nothing, as the venue asked."""
        until = self._held.get(group)
        return 0.0 if until is None else max(0.0, (until - self._timer.now()).total_seconds())

    def hold(self, group: RequestGroup, seconds: float) -> None:
        """Send nothing of *group* (or of every group, if the venue limits them together) for
        *seconds*, because the venue said so."""
        until = self._timer.now() + timedelta(seconds=seconds)
        groups = tuple(RequestGroup) if self._budget.hold_all_on_limit else (group,)
        for held in groups:
            self._held[held] = max(until, self._held.get(held, until))
        self._notify()

    async def acquire(
        self, group: RequestGroup, cost: int = 1, *, patience: float = SHORT_HOLD
    ) -> None:
        """Wait for *group*'s turn to send one request of weight *cost*.

        A hold that ends within *patience* seconds (by default ``SHORT_HOLD``: a venue's "this
        second is spent") is waited out; a longer one raises ``BrokerRateLimitError``
        (``sent=False``) at once.
        """
        # Waited out, not retried: an order dropped for half a second would be a missed trade.
        # (A hold renewed meanwhile is waited out too, three times at most.)
        for _ in range(3):
            left = self.held_for(group)
            if not 0 < left <= patience:
                break
            await self._timer.wait(asyncio.Event(), left + HOLD_MARGIN)
        ticket = _Ticket(group, cost, next(self._numbers))
        self._waiting.append(ticket)
        try:
            while True:
                self._refuse_if_held(group)
                self._grant()
                if ticket.granted:
                    return
                await self._timer.wait(self._change, self._next_grant_in())
        finally:
            if not ticket.granted:
                self._waiting.remove(ticket)
                self._notify()  # a ticket ahead of others left: they may go now

    def _refuse_if_held(self, group: RequestGroup) -> None:
        left = self.held_for(group)
        if left > 0:
            self.refused[group] += 1
            raise BrokerRateLimitError(
                f"{self._budget.venue} asked for no {group.name.lower().replace('_', ' ')} "
                f"requests for {left:.3g} s more; this one was not sent",
                left,
                sent=False,
            )

    def _grant(self) -> None:
        """Let go every waiting request the buckets allow, the most important first."""
        now = self._timer.now()
        for bucket in (*self._own.values(), self._shared):
            if bucket is not None:
                bucket.refill(now)
        shared_blocked = False
        granted = False
        for ticket in sorted(self._waiting, key=lambda t: (t.group, t.order)):
            own = self._own.get(ticket.group)
            if own is not None and not own.ready(1):
                continue  # its own group is spent; another group may still go
            if self._shared is not None:
                if shared_blocked or not self._shared.ready(ticket.cost):
                    # Nothing less important may take what this one waits for.
                    shared_blocked = True
                    continue
                self._shared.take(ticket.cost)
            if own is not None:
                own.take(1)
            ticket.granted = True
            self.granted[ticket.group] += 1
            self._waiting.remove(ticket)
            granted = True
        if granted:
            self._notify()

    def _next_grant_in(self) -> float:
        """Return the seconds until some waiting request may go (refills are continuous)."""
        waits = []
        for ticket in self._waiting:
            own = self._own.get(ticket.group)
            wait = own.seconds_until(1) if own is not None else 0.0
            if self._shared is not None:
                wait = max(wait, self._shared.seconds_until(ticket.cost))
            waits.append(wait)
        # A tiny floor: a wait of zero would spin when float rounding leaves a token short.
        return max(min(waits, default=1.0), 1e-6)

    def _notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()


# Which group each gateway call belongs to.
_GROUP_OF = {
    "place_order": RequestGroup.ORDERS,
    "cancel_order": RequestGroup.ORDERS,
    "get_order": RequestGroup.ORDERS,
    "get_open_orders": RequestGroup.ACCOUNT,
    "get_positions": RequestGroup.ACCOUNT,
    "get_account": RequestGroup.ACCOUNT,
    "get_latest_quote": RequestGroup.MARKET_DATA,
    "get_recent_candles": RequestGroup.MARKET_DATA,
    "get_historical_candles": RequestGroup.MARKET_DATA,
    "get_instruments": RequestGroup.MARKET_DATA,
    "get_instrument": RequestGroup.MARKET_DATA,
}


class BudgetedGateway:
    """An ``IBrokerGateway`` that sends every request of *gateway* through *budget*.

    The venue's own ``BrokerRateLimitError`` holds the budget for the time it gave and reaches
    the caller unchanged, so whoever asked says so and waits.
    """

    def __init__(self, gateway: IBrokerGateway, budget: RequestBudget) -> None:
        self._gateway = gateway
        self._budget = budget

    @property
    def budget(self) -> RequestBudget:
        """Return the budget every request goes through."""
        return self._budget

    @property
    def broker_id(self) -> str:
        return self._gateway.broker_id

    @property
    def display_name(self) -> str:
        return self._gateway.display_name

    @property
    def is_real_money(self) -> bool:
        return self._gateway.is_real_money

    @property
    def clock(self) -> Clock:
        return self._gateway.clock

    @property
    def client_order_ids(self) -> ClientOrderIds:
        return self._gateway.client_order_ids

    @property
    def connection_state(self) -> ConnectionState:
        return self._gateway.connection_state

    async def connect(self) -> None:
        await self._gateway.connect()

    async def disconnect(self) -> None:
        await self._gateway.disconnect()

    async def _spend(self, method: str, call: Callable[[], Awaitable[_T]]) -> _T:
        group = _GROUP_OF[method]
        await self._budget.acquire(group, self._budget.weight(method))
        try:
            return await call()
        except BrokerRateLimitError as error:
            self._budget.hold(group, error.retry_after)
            raise

    async def get_instruments(self) -> list[Instrument]:
        return await self._spend("get_instruments", self._gateway.get_instruments)

    async def get_instrument(self, symbol: str) -> Instrument:
        return await self._spend("get_instrument", lambda: self._gateway.get_instrument(symbol))

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        if isinstance(self._gateway, IReadsQuotes):
            await self._quotes(self._gateway.requests_for_quote() - 1)  # the rest: paid below
        return await self._spend("get_latest_quote", lambda: self._gateway.get_latest_quote(symbol))

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        if isinstance(self._gateway, IReadsQuotes):
            await self._quotes(self._gateway.requests_for_candles(limit) - 1)  # its pages
        return await self._spend(
            "get_recent_candles", lambda: self._gateway.get_recent_candles(symbol, limit)
        )

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        if isinstance(self._gateway, IReadsQuotes):
            minutes = max(1, math.ceil((end - start).total_seconds() / 60))
            await self._quotes(self._gateway.requests_for_candles(minutes) - 1)  # its pages
        return await self._spend(
            "get_historical_candles",
            lambda: self._gateway.get_historical_candles(symbol, start, end),
        )

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        if isinstance(self._gateway, IReadsQuotes):
            # The quote read to place it is a market-data request of the venue's: paid first,
            # and worth a few seconds' wait while quotes are held (an order goes first).
            await self._quotes(self._gateway.quotes_to_place(request), ORDER_QUOTE_PATIENCE)
        return await self._spend("place_order", lambda: self._gateway.place_order(request))

    async def _quotes(self, requests: int, patience: float = SHORT_HOLD) -> None:
        """Pay *requests* market-data requests a call makes beyond the one it is paid for."""
        for _ in range(requests):
            await self._budget.acquire(
                RequestGroup.MARKET_DATA,
                self._budget.weight("get_latest_quote"),
                patience=patience,
            )

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        return await self._spend(
            "cancel_order", lambda: self._gateway.cancel_order(client_order_id, symbol=symbol)
        )

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        if isinstance(self._gateway, IPushesOrders):
            pushed = self._gateway.pushed_order(client_order_id)
            if pushed is not None:
                return pushed  # told by the account's stream: no request, nothing spent
        return await self._spend(
            "get_order", lambda: self._gateway.get_order(client_order_id, symbol=symbol)
        )

    async def get_open_orders(self) -> list[BrokerOrderState]:
        return await self._spend("get_open_orders", self._gateway.get_open_orders)

    def _knows_balances(self) -> bool:
        return isinstance(self._gateway, IPushesOrders) and self._gateway.knows_balances()

    async def get_positions(self) -> list[BrokerPosition]:
        if self._knows_balances():
            return await self._gateway.get_positions()  # kept by the stream: nothing spent
        return await self._spend("get_positions", self._gateway.get_positions)

    async def get_account(self) -> Account:
        if isinstance(self._gateway, IReadsQuotes):
            # The last prices it is valued at are a market-data request of the venue's.
            await self._quotes(self._gateway.quotes_for_account())
        return await self._spend("get_account", self._gateway.get_account)
