"""``MarketDataHub``: one subscription per gateway, whatever the number of listeners.

Runners, the market watch, paper books and the chart each listen to the symbols they need; the
hub holds one subscription to the gateway's feed for all of them together (the union of their
symbols, renewed when it changes), keeps the latest quote and the recent closed candles of each
symbol, and hands every fact to the listeners that asked for its symbol. A listener that fails
is logged and never stops the others. When the feed's stream ends because the link is lost,
the hub says so to the callback it was given: reconnecting is its owner's decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from livetrader_gui.application.ports import BrokerError, IMarketDataFeed
from livetrader_gui.domain import Candle, Quote

_log = logging.getLogger(__name__)
KEPT_CANDLES = 390  # per symbol: a KRX session of one-minute candles

Deliver = Callable[[Quote | Candle], None]


@dataclass(eq=False, slots=True)
class Listening:
    """A listener's interest: its symbols and where its facts go; ``close`` ends it."""

    symbols: frozenset[str]
    deliver: Deliver
    hub: MarketDataHub

    def close(self) -> None:
        """Stop listening (the hub's subscription shrinks to the symbols still wanted)."""
        self.hub._forget(self)


class MarketDataHub:
    """The single owner of one gateway's market-data subscription."""

    def __init__(
        self, feed: IMarketDataFeed, lost: Callable[[BrokerError], None] | None = None
    ) -> None:
        self._feed = feed
        self._lost = lost
        self._listeners: list[Listening] = []
        self._subscribed: frozenset[str] = frozenset()
        self._task: asyncio.Task[None] | None = None
        self._quotes: dict[str, Quote] = {}
        self._candles: dict[str, deque[Candle]] = {}

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

    @property
    def symbols(self) -> frozenset[str]:
        """Return the symbols the hub is subscribed to now."""
        return self._subscribed

    # ------------------------------------------------------------------ what is known

    def latest(self, symbol: str) -> Quote | None:
        """Return the latest quote of *symbol*, if one came."""
        return self._quotes.get(symbol)

    def candles(self, symbol: str) -> list[Candle]:
        """Return the closed candles of *symbol* that came since the hub subscribed to it."""
        return list(self._candles.get(symbol, ()))

    # ------------------------------------------------------------------ the subscription

    def _renew(self) -> None:
        wanted = frozenset().union(*(listening.symbols for listening in self._listeners))
        if wanted == self._subscribed and (self._task is not None or not wanted):
            return
        self._stop_task()
        self._subscribed = wanted
        if wanted:
            self._task = asyncio.get_running_loop().create_task(
                self._pump(sorted(wanted)), name="market-data-hub"
            )

    def _stop_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        """End the subscription (the listeners stay, silent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pump(self, symbols: list[str]) -> None:
        try:
            async for fact in self._feed.subscribe(symbols):
                if not self._record(fact):
                    continue  # a renewed subscription starts with what was already passed on
                for listening in list(self._listeners):
                    if fact.symbol in listening.symbols:
                        self._hand(listening, fact)
        except BrokerError as error:
            _log.warning("market data of %s stopped: %s", ", ".join(symbols), error)
            self._task = None
            if self._lost is not None:
                self._lost(error)

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

    @staticmethod
    def _hand(listening: Listening, fact: Quote | Candle) -> None:
        try:
            listening.deliver(fact)
        except Exception:  # one listener's bug must not starve the others
            _log.exception("a market-data listener failed on %s", fact.symbol)
