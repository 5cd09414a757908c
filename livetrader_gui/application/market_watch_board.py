"""The market watch of every broker: the symbols the trader watches on each, kept, and a
``MarketWatch`` per broker that has any.

Each watch takes its broker's quotes from the broker's market-data hub (its websocket, shared
with the sessions: no request of its own). The symbols a trader adds are checked against the
broker's own list of instruments and kept in the watchlists (``adapters/watchlists.py``); a
broker with no watchlist yet watches its defaults (every instrument of the built-in market).
A broker that cannot list its instruments now (disconnected, banned) is told in words and tried
again later; it never stops the other watches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.market_watch import MarketWatch
from livetrader_gui.application.ports import (
    BrokerError,
    Clock,
    IBrokerGateway,
    IBrokerRegistry,
    ICalendarProvider,
    ISessionObserver,
    UnknownSymbolError,
)
from livetrader_gui.domain import Instrument, Quote

_log = logging.getLogger(__name__)
RETRY_SECONDS = 30.0  # how soon a broker that could not list its instruments is asked again


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _log.error("market watch %s crashed", task.get_name(), exc_info=task.exception())


class IWatchlists(Protocol):
    """Where the watched symbols of each broker are kept."""

    def read(self) -> dict[str, list[str]]:
        """Return each broker's watched symbols; raise ``ValueError`` naming what is wrong."""
        ...

    def write(self, lists: Mapping[str, Sequence[str]]) -> None:
        """Keep every broker's watched symbols, whole."""
        ...


class IMarketWatchBoard(Protocol):
    """The market watch as the window works with it (``MarketWatchBoard``)."""

    def brokers(self) -> list[WatchedBroker]: ...

    def symbols(self, broker_id: str) -> list[str]: ...

    def latest(self, broker_id: str | None = None) -> list[Quote]: ...

    async def instruments(self, broker_id: str) -> list[Instrument]: ...

    async def watch(self, broker_id: str, symbol: str) -> str: ...

    async def unwatch(self, broker_id: str, symbol: str) -> str: ...


@dataclass(frozen=True, slots=True)
class WatchedBroker:
    """A broker as the market watch lists it."""

    broker_id: str
    name: str
    symbols: tuple[str, ...]
    problem: str | None  # why its quotes cannot be watched now, in words


class MarketWatchBoard:
    """A market watch per broker, on *registry*'s brokers and *hubs*' market data."""

    def __init__(
        self,
        registry: IBrokerRegistry,
        hubs: MarketDataHubs,
        calendars: ICalendarProvider,
        observer: ISessionObserver,
        clock: Clock,
        watchlists: IWatchlists,
        defaults: Mapping[str, Sequence[str]],
    ) -> None:
        self._registry = registry
        self._hubs = hubs
        self._calendars = calendars
        self._observer = observer
        self._clock = clock
        self._watchlists = watchlists
        self._defaults = {broker: list(symbols) for broker, symbols in defaults.items()}
        try:
            self._lists = watchlists.read()
        except ValueError as error:
            # The file is left as it is: what the trader watched is not overwritten until a
            # symbol is added or removed, and the problem is said.
            _log.error("the market watch starts from its defaults: %s", error)
            self._lists = {}
            self._file_problem: str | None = str(error)
        else:
            self._file_problem = None
        self._watches: dict[str, MarketWatch] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._instruments: dict[str, list[Instrument]] = {}
        self._problems: dict[str, str] = {}
        self._running = False

    # ------------------------------------------------------------------ what is watched

    @property
    def file_problem(self) -> str | None:
        """Return why the kept watchlists could not be read at the start, if they could not."""
        return self._file_problem

    def symbols(self, broker_id: str) -> list[str]:
        """Return the symbols watched on *broker_id*, in the order they were added."""
        return list(self._lists.get(broker_id, self._defaults.get(broker_id, [])))

    def brokers(self) -> list[WatchedBroker]:
        """Return every broker, with what it watches and why it cannot, if it cannot."""
        return [
            WatchedBroker(
                gateway.broker_id,
                gateway.display_name,
                tuple(self.symbols(gateway.broker_id)),
                self._problems.get(gateway.broker_id),
            )
            for gateway in self._registry.all()
        ]

    def latest(self, broker_id: str | None = None) -> list[Quote]:
        """Return the latest quote of each watched symbol (of one broker, or of all)."""
        watches = (
            self._watches.values()
            if broker_id is None
            else [w for b, w in self._watches.items() if b == broker_id]
        )
        return [quote for watch in watches for quote in watch.latest()]

    async def instruments(self, broker_id: str) -> list[Instrument]:
        """Return what *broker_id* lists, to search; raise ``BrokerError`` in words when it
        cannot say now."""
        known = self._instruments.get(broker_id)
        if known is not None:
            return known
        gateway = self._gateway(broker_id)
        listed = sorted(await gateway.get_instruments(), key=lambda i: i.symbol)
        self._instruments[broker_id] = listed
        return listed

    async def watch(self, broker_id: str, symbol: str) -> str:
        """Watch *symbol* on *broker_id*; return what happened in words. Raises ``ValueError``
        for a symbol the broker does not list."""
        gateway = self._gateway(broker_id)
        symbol = symbol.strip().upper()
        watched = self.symbols(broker_id)
        if symbol in watched:
            return f"{symbol} is already watched on {gateway.display_name}"
        try:
            instrument = await gateway.get_instrument(symbol)
        except UnknownSymbolError:
            raise ValueError(f"{gateway.display_name} does not list '{symbol}'") from None
        except BrokerError as error:
            raise ValueError(
                f"{gateway.display_name} cannot say whether it lists '{symbol}' now: {error}"
            ) from None
        self._keep(broker_id, [*watched, instrument.symbol])
        await self._restart(broker_id)
        return f"Watching {instrument.symbol} ({instrument.name}) on {gateway.display_name}"

    async def unwatch(self, broker_id: str, symbol: str) -> str:
        """Stop watching *symbol* on *broker_id*; return what happened in words."""
        gateway = self._gateway(broker_id)
        watched = self.symbols(broker_id)
        if symbol not in watched:
            raise ValueError(f"{symbol} is not watched on {gateway.display_name}")
        self._keep(broker_id, [s for s in watched if s != symbol])
        await self._restart(broker_id)
        return f"{symbol} is no longer watched on {gateway.display_name}"

    def _keep(self, broker_id: str, symbols: list[str]) -> None:
        lists = {**self._lists, broker_id: symbols}
        self._watchlists.write(lists)  # raises OSError: nothing changed in memory then
        self._lists = lists
        self._file_problem = None

    def _gateway(self, broker_id: str) -> IBrokerGateway:
        gateway = self._registry.get(broker_id)
        if gateway is None:
            raise ValueError(f"there is no broker {broker_id}")
        return gateway

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Start a watch on every broker that watches something; return at once (they run
        until ``stop``)."""
        self._running = True
        for gateway in self._registry.all():
            self._start(gateway.broker_id)

    def stop(self) -> None:
        """Stop every watch."""
        self._running = False
        for watch in self._watches.values():
            watch.stop()
        for task in self._tasks.values():
            task.cancel()

    async def wait_stopped(self) -> None:
        """Wait for the watches to end after ``stop``."""
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _start(self, broker_id: str) -> None:
        if not self._running or not self.symbols(broker_id):
            return
        task = asyncio.create_task(self._watch(broker_id), name=f"market-watch-{broker_id}")
        task.add_done_callback(_report_crash)
        self._tasks[broker_id] = task

    async def _restart(self, broker_id: str) -> None:
        watch, task = self._watches.pop(broker_id, None), self._tasks.pop(broker_id, None)
        if watch is not None:
            watch.stop()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._start(broker_id)

    async def _watch(self, broker_id: str) -> None:
        """Watch *broker_id*'s symbols on its exchange's calendar, once the broker can say
        which that is (asking again every ``RETRY_SECONDS`` until it can)."""
        gateway = self._gateway(broker_id)
        symbols = self.symbols(broker_id)
        while True:
            try:
                instrument = await gateway.get_instrument(symbols[0])
                calendar = await self._calendars.get(instrument.exchange)
            except (BrokerError, ValueError) as error:
                problem = f"{gateway.display_name} cannot list its symbols now: {error}"
                if self._problems.get(broker_id) != problem:
                    _log.warning("market watch: %s", problem)
                self._problems[broker_id] = problem
                await self._clock.sleep(RETRY_SECONDS)
                continue
            break
        self._problems.pop(broker_id, None)
        watch = MarketWatch(
            gateway, calendar, self._observer, self._clock, symbols,
            simulated_clock=gateway.clock is not self._clock,
            hub=self._hubs.of(gateway, calendar),
        )  # fmt: skip
        self._watches[broker_id] = watch
        await watch.run()
