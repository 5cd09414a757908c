"""``SimulatedBroker``: the embedded default broker ``SIM``.

A seeded, deterministic market of KRX stocks with its own clock, an account with cash and
buying power, market and limit orders with partial fills, commission, tax and slippage,
rejections with reasons, and switchable faults (``broker.faults``) for tests and rehearsals.

Given a store, the account outlives the app as a real broker's does: every change to the books
is stored before the broker answers, together with the time on its clock, and the next run
takes the books (and the clock) up where they were.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from livetrader_gui.adapters.brokers.simulated.clock import MarketHoursClock
from livetrader_gui.adapters.brokers.simulated.faults import SimulatedFaults
from livetrader_gui.adapters.brokers.simulated.ledger import LedgerConfig, SimulatedLedger
from livetrader_gui.adapters.brokers.simulated.market import SimulatedSymbol, SyntheticMarket
from livetrader_gui.adapters.brokers.simulated.store import (
    SimulatedAccountStore,
    SimulatedStoreError,
    StoredBooks,
    new_token,
    snapshot,
)
from livetrader_gui.adapters.brokers.simulated.universe import KRX_UNIVERSE
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerError,
    BrokerOrderState,
    BrokerPosition,
    BrokerRateLimitError,
    BrokerTimeoutError,
    Clock,
    ConnectionState,
    ITradingCalendar,
    UnknownSymbolError,
)
from livetrader_gui.domain import (
    DEFAULT_CLIENT_ORDER_IDS,
    Account,
    Candle,
    ClientOrderIds,
    Instrument,
    OrderRequest,
    Quote,
)

MAX_CANDLES = 100_000
MAX_HISTORY = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class SimulatedBrokerConfig:
    """Settings of the simulated broker."""

    broker_id: str = "SIM"
    display_name: str = "Simulated market (SIM)"
    seed: int = 7
    ledger: LedgerConfig = field(default_factory=LedgerConfig)


class SimulatedBroker:
    """An ``IBrokerGateway`` over a ``SyntheticMarket``."""

    def __init__(
        self,
        calendar: ITradingCalendar,
        clock: Clock,
        config: SimulatedBrokerConfig | None = None,
        universe: tuple[SimulatedSymbol, ...] = KRX_UNIVERSE,
        *,
        store: SimulatedAccountStore | None = None,
        books: StoredBooks | None = None,
    ) -> None:
        """*books* are what *store* held (``store.load()``, run off the event loop first)."""
        self._config = config or SimulatedBrokerConfig()
        self._clock = clock
        self._market = SyntheticMarket(list(universe), calendar, seed=self._config.seed)
        self._ledger = SimulatedLedger(
            self._market, self._config.ledger, books.token if books else new_token()
        )
        if books is not None:
            self._ledger.load(books.cash, books.sequence, books.positions, books.orders)
        self._store = store
        self._stored = books is not None
        self._writing = asyncio.Lock()
        self._connected = False
        self._silenced_at: dict[str, datetime] = {}
        self.faults = SimulatedFaults()

    # ------------------------------------------------------------------ identity

    @property
    def broker_id(self) -> str:
        return self._config.broker_id

    @property
    def display_name(self) -> str:
        return self._config.display_name

    @property
    def is_real_money(self) -> bool:
        return False

    @property
    def client_order_ids(self) -> ClientOrderIds:
        """Return how this broker wants client order ids made."""
        return DEFAULT_CLIENT_ORDER_IDS

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def connection_state(self) -> ConnectionState:
        if self._connected and self.faults.dropped:
            self._connected = False
        return ConnectionState.CONNECTED if self._connected else ConnectionState.DISCONNECTED

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        await self._delay()
        if self.faults.refusals > 0:
            self.faults.refusals -= 1
            raise BrokerConnectionError(f"{self.broker_id} refused the connection (fault injected)")
        self.faults.dropped = False
        self._connected = True
        if not self._stored:
            await self._store_books(self._clock.now())  # a new account: keep its token

    async def disconnect(self) -> None:
        self._connected = False
        if self._store is not None:
            # Where the clock stands: the next run carries on from here.
            await self._store_books(self._clock.now(), force=True)

    async def _store_books(self, now: datetime, *, force: bool = False) -> None:
        """Store what changed, before the broker answers (a real broker's books are durable
        once it has answered)."""
        if self._store is None or not (force or self._ledger.dirty or not self._stored):
            return
        async with self._writing:
            ledger = self._ledger
            changed = sorted(ledger.dirty)
            books = StoredBooks(ledger.token, ledger.cash, ledger.sequence, now, ledger.positions)
            text = snapshot(books, [ledger.orders[c] for c in changed])
            ledger.dirty.difference_update(changed)
            try:
                await asyncio.to_thread(self._store.write, text)
            except SimulatedStoreError as error:
                ledger.dirty.update(changed)  # written with the next change, or the next call
                raise BrokerError(f"{self.broker_id} could not store its books: {error}") from None
            self._stored = True

    async def _delay(self) -> None:
        if self.faults.latency > 0:
            await self._clock.sleep(self.faults.latency)

    async def _enter(self) -> datetime:
        """Check the link, apply latency and timeouts, and bring the books up to now."""
        if self.connection_state is not ConnectionState.CONNECTED:
            raise BrokerConnectionError(f"{self.broker_id} is disconnected")
        await self._delay()
        if self.connection_state is not ConnectionState.CONNECTED:
            raise BrokerConnectionError(f"{self.broker_id} dropped the connection")
        if self.faults.timeouts > 0:
            self.faults.timeouts -= 1
            raise BrokerTimeoutError(f"{self.broker_id} did not answer in time (fault injected)")
        now = self._clock.now()
        limited = self.faults.rate_limited_until
        if limited is not None:
            if now < limited:
                raise BrokerRateLimitError(
                    f"{self.broker_id}: too many requests (429, fault injected)",
                    (limited - now).total_seconds(),
                )
            self.faults.rate_limited_until = None
        self._ledger.advance(now)
        await self._store_books(now)
        return now

    # ------------------------------------------------------------------ market data

    async def get_instruments(self) -> list[Instrument]:
        await self._enter()
        return self._market.instruments()

    async def get_instrument(self, symbol: str) -> Instrument:
        await self._enter()
        return self._instrument(symbol)

    def _instrument(self, symbol: str) -> Instrument:
        if not self._market.knows(symbol):
            raise UnknownSymbolError(f"{self.broker_id} does not list '{symbol}'")
        return self._market.instrument(symbol)

    def _data_time(self, symbol: str, now: datetime) -> datetime:
        """Return *now*, or the instant the feed of *symbol* went silent."""
        if self.faults.is_silenced(symbol):
            return self._silenced_at.setdefault(symbol, now)
        self._silenced_at.pop(symbol, None)
        return now

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        now = await self._enter()
        self._instrument(symbol)
        return self._market.quote_at(symbol, self._data_time(symbol, now))

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        now = await self._enter()
        self._instrument(symbol)
        if not 0 < limit <= MAX_CANDLES:
            raise ValueError(f"candle limit must be between 1 and {MAX_CANDLES}, got {limit}")
        # A warm-up can reach back over days of paths, each built anew: not on the event loop.
        return await asyncio.to_thread(
            self._market.recent_candles, symbol, self._data_time(symbol, now), limit
        )

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        now = await self._enter()
        self._instrument(symbol)
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("candle ranges must carry a time zone")
        end = min(end, self._data_time(symbol, now))
        if end <= start:
            return []
        if end - start > MAX_HISTORY:
            raise ValueError(
                f"at most {MAX_HISTORY.days} days of candles per request: ask for a shorter range"
            )
        # Months of one-minute candles take seconds to build: not on the event loop.
        return await asyncio.to_thread(self._market.candles, symbol, start, end)

    # ------------------------------------------------------------------ orders

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        now = await self._enter()
        known = request.client_order_id in self._ledger.orders
        reject = None if known else self.faults.next_reject()
        if not known and self.faults.account_blocked:
            reject = f"trading is blocked on account {self._config.ledger.account_id}"
        order = self._ledger.place(request, now, reject)
        await self._store_books(now)
        if not known and self.faults.lost_order_answers > 0:
            self.faults.lost_order_answers -= 1
            raise BrokerTimeoutError(
                f"{self.broker_id} received order {request.client_order_id} but its answer was "
                "lost (fault injected): look it up by client order id"
            )
        return order.state()

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        now = await self._enter()
        order = self._ledger.cancel(client_order_id, now)
        if order is None:
            raise ValueError(f"{self.broker_id} has no order {client_order_id}")
        await self._store_books(now)
        return order.state()

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        await self._enter()
        order = self._ledger.orders.get(client_order_id)
        return None if order is None else order.state()

    async def get_open_orders(self) -> list[BrokerOrderState]:
        await self._enter()
        return self._ledger.open_states()

    async def get_positions(self) -> list[BrokerPosition]:
        await self._enter()
        return self._ledger.broker_positions()

    async def get_account(self) -> Account:
        now = await self._enter()
        return self._ledger.account(now, blocked=self.faults.account_blocked)


def default_market_start(calendar: ITradingCalendar, now: datetime) -> datetime:
    """Return where the demo market clock starts: now if the exchange is open, else 30 minutes
    into the latest session, so there is history for indicators and a market in session."""
    if calendar.is_open(now):
        return now
    recent = calendar.sessions_between(now.date() - timedelta(days=14), now.date())
    for day in reversed(recent):
        session_open, _ = calendar.session_bounds(day)
        if session_open < now:
            return session_open + timedelta(minutes=30)
    return calendar.next_open(now)


def market_clock(
    base: Clock, calendar: ITradingCalendar, speed: float = 1.0, start: datetime | None = None
) -> MarketHoursClock:
    """Return the simulator's clock: in session at any hour, running *speed* times real time."""
    return MarketHoursClock(
        base, calendar, start or default_market_start(calendar, base.now()), speed
    )
