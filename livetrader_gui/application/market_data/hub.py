"""``MarketDataHub``: the single owner of one gateway's market data and link.

Runners, the market watch, paper books and the chart each listen to the symbols they need; the
hub holds one subscription to the gateway's feed for all of them together (the union of their
symbols, renewed when it changes), keeps the latest quote and the recent closed candles of each
symbol, and hands every fact to the listeners that asked for its symbol. A listener that fails
is logged and never stops the others.

The link is the hub's too, once per gateway whatever the number of sessions: when the feed's
stream ends (the link is lost) or stays silent while the market is open, the hub tells every
link watcher (the sessions pause), reconnects with a backoff that doubles up to a bound, and
tells them again once market data flows. The account is read through the hub as well: one
request serves every session on the gateway, at a bounded rate, and a fill makes the next read
fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from livetrader_gui.application.ports import (
    BrokerError,
    BrokerRateLimitError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    IMarketDataFeed,
    ITradingCalendar,
)
from livetrader_gui.domain import Account, Candle, Quote

_log = logging.getLogger(__name__)
KEPT_CANDLES = 390  # per symbol: a KRX session of one-minute candles

Deliver = Callable[[Quote | Candle], None]


@dataclass(frozen=True, slots=True)
class FeedPolicy:
    """How a hub keeps its link; every figure is in real seconds (the hub's timer).

    ``stale_after``: silence while the market is open after which the feed counts as lost.
    ``account_max_age``: how long an account read serves every session before it is read again.
    """

    stale_after: float = 60.0
    reconnect_initial_delay: float = 1.0
    reconnect_max_delay: float = 60.0
    account_max_age: float = 2.0

    @property
    def watchdog_interval(self) -> float:
        """Return how often the silence is measured."""
        return max(self.stale_after / 4, 0.25)


@dataclass(frozen=True, slots=True)
class LinkChange:
    """The gateway's market data stopped (``connected`` False, with why) or flows again."""

    broker_id: str
    connected: bool
    reason: str


Watch = Callable[[LinkChange], None]


@dataclass(eq=False, slots=True)
class Listening:
    """A listener's interest: its symbols and where its facts go; ``close`` ends it."""

    symbols: frozenset[str]
    deliver: Deliver
    hub: MarketDataHub

    def close(self) -> None:
        """Stop listening (the hub's subscription shrinks to the symbols still wanted)."""
        self.hub._forget(self)


@dataclass(eq=False, slots=True)
class Watching:
    """A link watcher; ``close`` ends it."""

    watch: Watch
    hub: MarketDataHub

    def close(self) -> None:
        """Stop hearing about the link."""
        if self in self.hub._watchers:
            self.hub._watchers.remove(self)


class MarketDataHub:
    """One gateway's market data, link and account, shared by every listener.

    *gateway* is reconnected by the hub when its feed fails (optional: a bare feed has no link
    to mend); *calendar* says when silence means a lost feed (the market is open) and when it
    is only a closed market; *timer* measures silence and backoff in real time.
    """

    def __init__(
        self,
        feed: IMarketDataFeed,
        timer: Clock,
        *,
        gateway: IBrokerGateway | None = None,
        calendar: ITradingCalendar | None = None,
        policy: FeedPolicy | None = None,
        broker_id: str | None = None,
    ) -> None:
        self._feed = feed
        self._timer = timer
        self._gateway = gateway
        self._calendar = calendar
        self._policy = policy or FeedPolicy()
        self.broker_id = broker_id or (gateway.broker_id if gateway is not None else "feed")
        self._listeners: list[Listening] = []
        # symbol -> its listeners, rebuilt when they change: a fact reaches its own at once.
        self._routes: dict[str, tuple[Listening, ...]] = {}
        self._watchers: list[Watching] = []
        self._subscribed: frozenset[str] = frozenset()
        self._task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._quotes: dict[str, Quote] = {}
        self._candles: dict[str, deque[Candle]] = {}
        self._connected = gateway is None or gateway.connection_state is ConnectionState.CONNECTED
        self._flowing = asyncio.Event()
        if self._connected:
            self._flowing.set()
        self._last_fact: datetime = timer.now()
        self._closed = False
        self._account: Account | None = None
        self._account_at: datetime | None = None
        self._account_read: asyncio.Future[Account] | None = None
        self.reconnects = 0

    # ------------------------------------------------------------------ listeners

    def listen(self, symbols: Iterable[str], deliver: Deliver) -> Listening:
        """Send *deliver* every new quote and closed candle of *symbols* from now on."""
        listening = Listening(frozenset(symbols), deliver, self)
        self._listeners.append(listening)
        self._renew()
        return listening

    def _forget(self, listening: Listening) -> None:
        if listening in self._listeners:
            self._listeners.remove(listening)
            self._renew()

    def watch(self, watch: Watch) -> Watching:
        """Tell *watch* each time the market data stops or flows again."""
        watching = Watching(watch, self)
        self._watchers.append(watching)
        return watching

    @property
    def symbols(self) -> frozenset[str]:
        """Return the symbols the hub is subscribed to now."""
        return self._subscribed

    @property
    def connected(self) -> bool:
        """Tell whether market data flows (False from a lost link until it flows again)."""
        return self._connected

    async def wait_connected(self) -> None:
        """Return once market data flows."""
        await self._flowing.wait()

    @property
    def loops(self) -> int:
        """Return how many of the hub's tasks run now (each waits on the timer between rounds:
        a test that moves time waits for them all to park)."""
        return sum(1 for t in (self._task, self._watchdog) if t is not None and not t.done())

    # ------------------------------------------------------------------ what is known

    def latest(self, symbol: str) -> Quote | None:
        """Return the latest quote of *symbol*, if one came."""
        return self._quotes.get(symbol)

    def candles(self, symbol: str) -> list[Candle]:
        """Return the closed candles of *symbol* that came since the hub subscribed to it."""
        return list(self._candles.get(symbol, ()))

    # ------------------------------------------------------------------ the account

    async def account(self) -> Account:
        """Return the gateway's account: one read serves every caller for ``account_max_age``
        seconds, and callers that ask while it is being read share that read."""
        gateway = self._gateway
        if gateway is None:
            raise BrokerError(f"the {self.broker_id} feed has no account")
        kept, at = self._account, self._account_at
        if (
            kept is not None
            and at is not None
            and (self._timer.now() - at).total_seconds() < self._policy.account_max_age
        ):
            return kept
        reading = self._account_read
        if reading is None or reading.done():
            reading = self._account_read = asyncio.ensure_future(self._read_account(gateway))
        # One caller timing out must not cancel the read the others wait on.
        return await asyncio.shield(reading)

    async def _read_account(self, gateway: IBrokerGateway) -> Account:
        account = await gateway.get_account()
        self._account, self._account_at = account, self._timer.now()
        return account

    def account_changed(self) -> None:
        """Make the next account read go to the broker (an order filled or was sent)."""
        self._account_at = None

    # ------------------------------------------------------------------ the subscription

    def _renew(self) -> None:
        routes: dict[str, list[Listening]] = {}
        for listening in self._listeners:
            for symbol in listening.symbols:
                routes.setdefault(symbol, []).append(listening)
        self._routes = {symbol: tuple(them) for symbol, them in routes.items()}
        wanted = frozenset(routes)
        if wanted == self._subscribed and (self._task is not None or not wanted):
            return
        self._stop_task()
        self._subscribed = wanted
        if not wanted and self._watchdog is not None:
            self._watchdog.cancel()  # nothing to watch: no task left to wait on
            self._watchdog = None
        if wanted and not self._closed:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._keep(sorted(wanted)), name="market-data-hub")
            if self._watchdog is None and self._calendar is not None:
                self._watchdog = loop.create_task(self._watch_silence(), name="feed-watchdog")

    def _stop_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        """End the subscription and the watchdog (the listeners stay, silent)."""
        self._closed = True
        tasks = [t for t in (self._task, self._watchdog, self._account_read) if t is not None]
        self._task = self._watchdog = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _keep(self, symbols: list[str]) -> None:
        """Keep the subscription to *symbols* up: reconnect with backoff whenever it fails."""
        policy = self._policy
        delay = policy.reconnect_initial_delay
        while True:
            try:
                await self._pump(symbols)
            except BrokerRateLimitError as error:
                await self._timer.sleep(error.retry_after)
                continue
            except (BrokerError, TimeoutError) as error:
                self._lose(f"market data from {self.broker_id} stopped: {error or 'timed out'}")
            if self._connected:
                delay = policy.reconnect_initial_delay
            await self._timer.sleep(delay)
            delay = min(delay * 2, policy.reconnect_max_delay)
            self.reconnects += 1

    async def _pump(self, symbols: list[str]) -> None:
        gateway = self._gateway
        if gateway is not None and gateway.connection_state is not ConnectionState.CONNECTED:
            await gateway.connect()
        self._last_fact = self._timer.now()
        async for fact in self._feed.subscribe(symbols):
            self._last_fact = self._timer.now()
            if not self._connected:
                self._restore()
            if not self._record(fact):
                continue  # a renewed subscription starts with what was already passed on
            for listening in self._routes.get(fact.symbol, ()):
                try:
                    listening.deliver(fact)
                except Exception:  # one listener's bug must not starve the others
                    _log.exception("a market-data listener failed on %s", fact.symbol)
        raise BrokerError("the feed ended")

    async def _watch_silence(self) -> None:
        """Count the feed lost when it says nothing for ``stale_after`` s while the market is
        open (a websocket can stay open and go silent); silence while closed is only a close."""
        policy, calendar, timer = self._policy, self._calendar, self._timer
        assert calendar is not None
        market = self._gateway.clock if self._gateway is not None else timer
        while True:
            await timer.sleep(policy.watchdog_interval)
            now = timer.now()
            if not calendar.is_open(market.now()) or not self._subscribed:
                self._last_fact = now  # the silence counts from the open
                continue
            silent = (now - self._last_fact).total_seconds()
            if silent > policy.stale_after:
                # Lost, or still silent after the last try: subscribe afresh.
                self._lose(
                    f"market data from {self.broker_id} went silent: nothing for {silent:.0f} s "
                    "while the market is open"
                )
                self._last_fact = now
                self._stop_task()
                self._task = asyncio.get_running_loop().create_task(
                    self._keep(sorted(self._subscribed)), name="market-data-hub"
                )

    def _lose(self, reason: str) -> None:
        if not self._connected:
            return
        _log.warning("%s", reason)
        self._connected = False
        self._flowing.clear()
        self._account_at = None
        self._tell(LinkChange(self.broker_id, False, reason))

    def _restore(self) -> None:
        self._connected = True
        self._flowing.set()
        _log.info("market data from %s flows again", self.broker_id)
        self._tell(LinkChange(self.broker_id, True, f"market data from {self.broker_id} flows"))

    def _tell(self, change: LinkChange) -> None:
        for watching in list(self._watchers):
            try:
                watching.watch(change)
            except Exception:  # one watcher's bug must not keep the others in the dark
                _log.exception("a link watcher of %s failed", self.broker_id)

    def _record(self, fact: Quote | Candle) -> bool:
        """Keep *fact*; return False when it is not newer than what was kept."""
        if isinstance(fact, Quote):
            known = self._quotes.get(fact.symbol)
            if known is not None and fact.at <= known.at:
                return False
            self._quotes[fact.symbol] = fact
            return True
        kept = self._candles.setdefault(fact.symbol, deque(maxlen=KEPT_CANDLES))
        if kept and fact.start <= kept[-1].start:
            return False
        kept.append(fact)
        return True
