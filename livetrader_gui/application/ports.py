"""Ports: what the application needs from the outside world, as Protocols.

Adapters implement them (``IBrokerGateway`` → ``SimulatedBroker``), tests implement them with
fakes (``tests/fakes.py``), and only ``app/bootstrap.py`` names the concrete classes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from livetrader_gui.application.read_models import (
    BarSnapshot,
    LogEntry,
    MarketStatusSnapshot,
    OrderSnapshot,
    PositionSnapshot,
    SessionSnapshot,
    SignalSnapshot,
)
from livetrader_gui.domain import (
    Account,
    AuditEntry,
    BacktestResult,
    Candle,
    ClientOrderIds,
    DailyBudget,
    Fill,
    Instrument,
    LiveTradingSession,
    Order,
    OrderRequest,
    OrderStatus,
    PaperTradingSession,
    Quote,
    RiskStatus,
    SessionStatus,
    Strategy,
    TradingSignal,
)

# --------------------------------------------------------------------------- time


class Clock(Protocol):
    """Where the application gets the time and waits; real, simulated or fake."""

    def now(self) -> datetime:
        """Return the current time, time-zone aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait *seconds* of this clock's time."""
        ...

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        """Wait until *event* is set or *seconds* of this clock pass; True if it was set.

        Runners wait with this so that pause and stop interrupt any wait at once.
        """
        ...

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[asyncio.Timeout]:
        """Return a context that cancels its body and raises ``TimeoutError`` once *seconds*
        of this clock pass; it yields the ``asyncio.Timeout`` (``expired()`` tells which).

        Cheaper than a timer task per call: runners put one around every broker call.
        """
        ...


class ITradingCalendar(Protocol):
    """An exchange's trading sessions (holidays, early closes and late opens included)."""

    @property
    def code(self) -> str:
        """Return the calendar code, e.g. ``"XKRX"``."""
        ...

    @property
    def timezone(self) -> str:
        """Return the exchange's IANA time zone, e.g. ``"Asia/Seoul"``."""
        ...

    def is_open(self, at: datetime) -> bool:
        """Tell whether the regular session is open at *at*."""
        ...

    def is_session(self, day: date) -> bool:
        """Tell whether *day* is a trading day."""
        ...

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Return the (open, close) of trading day *day*, in UTC."""
        ...

    def sessions_between(self, first: date, last: date) -> list[date]:
        """Return the trading days from *first* to *last*, both included."""
        ...

    def next_open(self, at: datetime) -> datetime:
        """Return the first session open strictly after *at*."""
        ...

    def session_date(self, at: datetime) -> date:
        """Return the trading day *at* belongs to: its session if open, else the next one."""
        ...


@runtime_checkable
class ISessionTable(Protocol):
    """A calendar that answers ``is_open`` and ``session_date`` for many instants at once (a
    backtest asks for every minute of a year). The answers must equal the one-at-a-time ones."""

    def open_mask(self, instants: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Return ``is_open`` of each instant (UTC nanoseconds)."""
        ...

    def session_days(self, instants: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return ``session_date(...).toordinal()`` of each instant (UTC nanoseconds)."""
        ...


class ICalendarProvider(Protocol):
    """Builds trading calendars lazily (the first build of XKRX takes seconds) and caches them."""

    async def get(self, code: str) -> ITradingCalendar:
        """Return the calendar for *code*, building it off the event loop the first time."""
        ...


# --------------------------------------------------------------------------- brokers


class BrokerError(Exception):
    """A broker call failed; the message says which broker and what happened."""


class BrokerConnectionError(BrokerError):
    """The broker cannot be reached (disconnected, connection refused)."""


class BrokerAuthenticationError(BrokerConnectionError):
    """The broker refused our credentials: a wrong or expired key, a permission the key lacks,
    an address outside the key's allow-list, a clock too far from the broker's. Sending again
    changes nothing; the message says what to fix."""


class BrokerRateLimitError(BrokerError):
    """The broker asks us to slow down (HTTP 429).

    ``retry_after`` is how many seconds to send it nothing; the caller waits that long and never
    retries in a loop. ``sent`` is False when the request was held back before it left (a
    request budget refused it): then the broker certainly never received it.
    """

    def __init__(self, message: str, retry_after: float, *, sent: bool = True) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))
        self.sent = sent


class BrokerTimeoutError(BrokerError):
    """The broker did not answer in time: the outcome of the call is unknown.

    For orders, resolve by looking the order up by client order id, never by sending again.
    """


class UnknownSymbolError(BrokerError):
    """The broker does not list the symbol."""


class ConnectionState(Enum):
    """A gateway's link to its broker."""

    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"


@dataclass(frozen=True, slots=True)
class BrokerOrderState:
    """What the broker knows about one order, including every fill so far."""

    request: OrderRequest
    broker_order_id: str
    status: OrderStatus
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    fills: tuple[Fill, ...]
    updated_at: datetime
    reject_reason: str | None = None

    @property
    def client_order_id(self) -> str:
        """Return the client order id the order was placed with."""
        return self.request.client_order_id


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    """A holding as the broker reports it."""

    symbol: str
    quantity: Decimal
    average_price: Decimal


@runtime_checkable
class IBrokerGateway(Protocol):
    """The contract every broker adapter honours (checked by ``tests/contract``).

    - Every call raises ``BrokerConnectionError`` while disconnected and ``BrokerTimeoutError``
      when the broker's answer is lost.
    - ``place_order`` with a client order id the broker already knows returns that order's
      state and never creates a second order.
    - A refused order is an answer (status ``REJECTED`` with a reason), not an exception.
    - Candles are closed, in time order, never from the future of ``clock``.
    """

    @property
    def broker_id(self) -> str:
        """Return the registry key, e.g. ``"SIM"``."""
        ...

    @property
    def display_name(self) -> str:
        """Return the name shown to the trader."""
        ...

    @property
    def is_real_money(self) -> bool:
        """Tell whether orders move real money (the wizard asks for an explicit confirmation)."""
        ...

    @property
    def clock(self) -> Clock:
        """Return the clock of the market this broker trades (the simulator has its own)."""
        ...

    @property
    def client_order_ids(self) -> ClientOrderIds:
        """Return how this broker wants client order ids made (venues differ in length and
        characters); every order the engine sends carries one made here."""
        ...

    @property
    def connection_state(self) -> ConnectionState:
        """Return the state of the link to the broker."""
        ...

    async def connect(self) -> None:
        """Open the link; raise ``BrokerConnectionError`` if the broker refuses."""
        ...

    async def disconnect(self) -> None:
        """Close the link; open orders stay at the broker."""
        ...

    async def get_instruments(self) -> list[Instrument]:
        """Return every instrument the broker offers."""
        ...

    async def get_instrument(self, symbol: str) -> Instrument:
        """Return one instrument or raise ``UnknownSymbolError``."""
        ...

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        """Return the latest quote, or None when the broker has none yet."""
        ...

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        """Return up to *limit* most recent closed 1-minute candles, oldest first."""
        ...

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        """Return the closed 1-minute candles starting in ``[start, end)``, oldest first."""
        ...

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        """Send an order; idempotent on ``request.client_order_id``."""
        ...

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        """Cancel what is left of an open order and return its state. *symbol* is the
        order's: a venue that files orders by symbol (Binance) needs it."""
        ...

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        """Look an order up by client order id; None if the broker never received it.
        *symbol* is the order's: a venue that files orders by symbol (Binance) needs it."""
        ...

    async def get_open_orders(self) -> list[BrokerOrderState]:
        """Return every order that can still fill."""
        ...

    async def get_positions(self) -> list[BrokerPosition]:
        """Return every non-zero holding."""
        ...

    async def get_account(self) -> Account:
        """Return the account: cash, buying power, equity and status."""
        ...


@runtime_checkable
class IPushesOrders(Protocol):
    """A gateway the venue pushes the account's orders to (a private stream): what it was
    told answers a lookup without asking the venue."""

    def pushed_order(self, client_order_id: str) -> BrokerOrderState | None:
        """Return the order as pushed, when the stream has followed it since its placement;
        None when it must be asked."""
        ...

    def knows_balances(self) -> bool:
        """Tell whether the stream keeps the account's balances (reading them asks nothing)."""
        ...


@runtime_checkable
class IReadsQuotes(Protocol):
    """A gateway whose calls can each make several market-data requests of the venue (a quote
    read as a ticker and a book, candles read in pages, a market buy it bounds by a price band,
    an account valued at the last prices): the venue counts every one of them."""

    def quotes_to_place(self, request: OrderRequest) -> int:
        """Return how many market-data requests placing *request* makes."""
        ...

    def quotes_for_account(self) -> int:
        """Return how many market-data requests reading the account makes."""
        ...

    def requests_for_quote(self) -> int:
        """Return how many requests reading one quote makes."""
        ...

    def requests_for_candles(self, minutes: int) -> int:
        """Return how many requests reading *minutes* one-minute candles makes."""
        ...


@dataclass(frozen=True, slots=True)
class BrokerHealth:
    """The registry's latest view of one broker."""

    broker_id: str
    state: ConnectionState
    healthy: bool
    detail: str
    checked_at: datetime | None


class IBrokerRegistry(Protocol):
    """The brokers the app knows, and which of them are usable now."""

    def register(self, gateway: IBrokerGateway) -> None:
        """Add *gateway*; its ``broker_id`` must be new."""
        ...

    def get(self, broker_id: str) -> IBrokerGateway | None:
        """Return the gateway registered under *broker_id*, if any."""
        ...

    def all(self) -> list[IBrokerGateway]:
        """Return every registered gateway."""
        ...

    def get_healthy(self) -> list[IBrokerGateway]:
        """Return the gateways that are connected and passed their last health probe."""
        ...

    def health(self, broker_id: str) -> BrokerHealth:
        """Return the latest health of one broker."""
        ...

    async def refresh_health(self) -> list[BrokerHealth]:
        """Probe every broker now and return the results."""
        ...


# --------------------------------------------------------------------------- repositories


class IStrategyFiles(Protocol):
    """Strategy files a trader imports and exports (blocking: call them in an executor)."""

    def read(self, path: Path) -> Strategy:
        """Return the strategy in *path*; a ``ValueError`` names the file and line at fault."""
        ...

    def write(self, path: Path, strategy: Strategy, *, overwrite: bool) -> None:
        """Write *strategy* to *path*; ``FileExistsError`` unless *overwrite*."""
        ...


class IStrategyRepository(Protocol):
    """Strategies, by id."""

    async def save(self, strategy: Strategy) -> None: ...

    async def get(self, strategy_id: str) -> Strategy | None: ...

    async def list_all(self) -> list[Strategy]: ...

    async def delete(self, strategy_id: str) -> None:
        """Remove the strategy; sessions keep the version they ran, evidence stays as history."""
        ...


class ILiveTradingSessionRepository(Protocol):
    """Live and paper sessions, with the strategy version they run."""

    async def save(self, session: LiveTradingSession) -> None: ...

    async def get(self, session_id: str) -> LiveTradingSession | None: ...

    async def list_by_status(self, *statuses: SessionStatus) -> list[LiveTradingSession]:
        """Return sessions in any of *statuses* (all sessions when none is given)."""
        ...


class StorageError(Exception):
    """The application's store could not read or write; the message names the store and why.

    Repositories raise it instead of their driver's errors, so the engine can stop trading
    safely (an order it cannot record must not be sent; an answer it cannot record is kept).
    """


@dataclass(frozen=True, slots=True)
class FillConflict:
    """A fill whose identity is already stored for another order or with other content."""

    fill: Fill
    stored: Fill

    @property
    def explanation(self) -> str:
        """Return one sentence for the trader and the journal."""
        if self.stored.client_order_id != self.fill.client_order_id:
            where = f"order {self.stored.client_order_id}"
        else:
            where = "the same order with different figures"
        return (
            f"the broker reported fill {self.fill.fill_id} for order {self.fill.client_order_id}, "
            f"but a fill with that id is stored for {where}"
        )


class IOrderRepository(Protocol):
    """Orders and their fills; an order is saved before it is sent.

    A fill is identified by the order's ``broker_id`` and ``broker_order_id`` and its own
    ``fill_id``; fills are kept in the order they were recorded (a sequence, not their time).
    """

    async def save(self, order: Order) -> None: ...

    async def record(self, order: Order, fills: Sequence[Fill]) -> tuple[FillConflict, ...]:
        """Save *order* and its new *fills* in one transaction.

        A fill stored before with the same content is skipped. If any fill's identity is
        stored for another order or with other content, nothing is written and the conflicts
        are returned.
        """
        ...

    async def get(self, client_order_id: str) -> Order | None: ...

    async def list_for_session(self, session_id: str) -> list[Order]: ...

    async def list_open(
        self, session_id: str | None = None, *, broker_id: str | None = None
    ) -> list[Order]:
        """Return orders that are not terminal (PENDING_SUBMIT included), of one session or
        of one broker if given."""
        ...

    async def list_fills(self, client_order_id: str) -> list[Fill]:
        """Return the fills of one order in the order they were recorded."""
        ...

    async def list_session_fills(self, session_id: str) -> list[Fill]:
        """Return every fill of a session's orders in the order they were recorded, but those
        excluded from the replay."""
        ...

    async def exclude_fill(self, client_order_id: str, fill_id: str, reason: str) -> None:
        """Leave a stored fill out of every replay from now on, keeping it with *reason*."""
        ...

    async def net_positions(self, broker_id: str) -> dict[str, Decimal]:
        """Return, per symbol, what the stored fills of every order held by *broker_id* add up
        to (bought less sold), leaving out symbols that net to zero."""
        ...


class IBacktestRepository(Protocol):
    """Backtest results, the evidence for the Sharpe check."""

    async def add(self, result: BacktestResult) -> None: ...

    async def get_latest_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> BacktestResult | None:
        """Return the newest result of the strategy, for one rules hash if given."""
        ...


class IPaperTradingSessionRepository(Protocol):
    """Paper sessions and the trading days they were active on."""

    async def save(self, session: PaperTradingSession) -> None: ...

    async def get_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> list[PaperTradingSession]: ...

    async def get_by_live_session(self, live_session_id: str) -> PaperTradingSession | None:
        """Return the paper record of the session that runs it, if any."""
        ...


class ISignalRepository(Protocol):
    """Trading signals and what became of them."""

    async def save(self, signal: TradingSignal) -> None: ...

    async def get(self, signal_id: str) -> TradingSignal | None: ...

    async def list_for_session(self, session_id: str) -> list[TradingSignal]: ...


class IDailyBudgetRepository(Protocol):
    """Each session's daily loss budget, one per trading day."""

    async def save(self, budget: DailyBudget) -> None: ...

    async def get(self, session_id: str, trading_day: date) -> DailyBudget | None: ...


class IAuditJournal(Protocol):
    """An append-only journal of decisions and events."""

    async def append(self, entry: AuditEntry) -> None: ...

    async def list_entries(
        self, session_id: str | None = None, limit: int = 1_000
    ) -> list[AuditEntry]:
        """Return the newest *limit* entries (of one session if given), oldest first."""
        ...


class IMarketDataFeed(Protocol):
    """A gateway's market data as a stream: quotes and closed one-minute candles, pushed.

    A venue with websockets implements it directly; a gateway that can only be asked is wrapped
    in ``application.market_data.polling.PollingFeed``. One subscription serves every session
    and window (the hub fans it out). The stream ends with ``BrokerConnectionError`` when the
    link is lost; ``BrokerRateLimitError`` never reaches the listener (the feed waits instead).
    """

    def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        """Yield what is new of *symbols*: quotes as they change, candles as they close."""
        ...


# --------------------------------------------------------------------------- observers


class ISessionObserver(Protocol):
    """Receives the facts a running engine produces, as frozen snapshots.

    One method per fact. Implementations must return quickly and must not raise; the GUI's
    implementation (``ui/qt_bridge.py``) only emits Qt signals.
    """

    @property
    def listening(self) -> bool:
        """Tell whether anyone receives the facts: the engine builds the snapshots it sends
        every tick (risk status, marks, indicators) only then."""
        ...

    def on_session_status_changed(self, session: SessionSnapshot) -> None: ...

    def on_signal_emitted(self, signal: SignalSnapshot) -> None: ...

    def on_order_updated(self, order: OrderSnapshot) -> None: ...

    def on_position_changed(self, position: PositionSnapshot) -> None: ...

    def on_risk_status_changed(self, status: RiskStatus) -> None: ...

    def on_candle_closed(self, bar: BarSnapshot) -> None: ...

    def on_quote_received(self, quote: Quote) -> None: ...

    def on_log(self, entry: LogEntry) -> None: ...

    def on_market_status_changed(self, status: MarketStatusSnapshot) -> None: ...


__all__ = [
    "BrokerAuthenticationError",
    "BrokerConnectionError",
    "BrokerError",
    "BrokerHealth",
    "BrokerOrderState",
    "BrokerPosition",
    "BrokerTimeoutError",
    "Clock",
    "ConnectionState",
    "FillConflict",
    "IAuditJournal",
    "IBacktestRepository",
    "IBrokerGateway",
    "IBrokerRegistry",
    "ICalendarProvider",
    "IDailyBudgetRepository",
    "ILiveTradingSessionRepository",
    "IOrderRepository",
    "IPaperTradingSessionRepository",
    "IPushesOrders",
    "ISessionObserver",
    "ISignalRepository",
    "IStrategyFiles",
    "IStrategyRepository",
    "ITradingCalendar",
    "StorageError",
    "UnknownSymbolError",
]
