"""Market watch: a broker's quotes and the market's state, reported to observers.

With a market-data hub the quotes are the hub's (pushed, shared with the sessions: no request
of its own); without one, the watch asks for them every interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from livetrader_gui.application.market_data.hub import MarketDataHub
from livetrader_gui.application.ports import (
    BrokerError,
    BrokerRateLimitError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    ISessionObserver,
    ITradingCalendar,
)
from livetrader_gui.application.read_models import MarketStatusSnapshot
from livetrader_gui.domain import Candle, Quote

_log = logging.getLogger(__name__)
MAX_CONCURRENT_REQUESTS = 8


class MarketWatch:
    """Polls quotes of *symbols* every *interval* seconds of *clock* (wall time, not market time).

    Symbols are requested concurrently with a bound; a failing symbol is logged and skipped, it
    never stops the others. A quote older than *stale_after* seconds of market time while the
    exchange is open marks the symbol's feed stale.
    """

    def __init__(
        self,
        gateway: IBrokerGateway,
        calendar: ITradingCalendar,
        observer: ISessionObserver,
        clock: Clock,
        symbols: Sequence[str],
        interval: float = 1.0,
        stale_after: float = 30.0,
        simulated_clock: bool = False,
        hub: MarketDataHub | None = None,
    ) -> None:
        self._gateway = gateway
        self._hub = hub
        self._calendar = calendar
        self._observer = observer
        self._clock = clock
        self._symbols = tuple(symbols)
        self._interval = interval
        self._stale_after = timedelta(seconds=stale_after)
        self._simulated_clock = simulated_clock
        self._stop = asyncio.Event()
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self._latest: dict[str, Quote] = {}
        # When the hub last passed on each symbol's quote (real time). A quote's own time lags a
        # fast simulated market by the polling interval times its speed: freshness is judged
        # by when quotes keep coming, as the hub's watchdog judges the feed.
        self._heard_at: dict[str, datetime] = {}
        # Until then (wall time) the broker has asked to be sent nothing.
        self._quiet_until: datetime | None = None

    def latest(self) -> list[Quote]:
        """Return the latest quote of each symbol: what a window opened late shows at once."""
        return list(self._latest.values())

    async def run(self) -> None:
        """Report until ``stop`` is called (with a hub, each quote as it comes)."""
        self._stop.clear()
        listening = None if self._hub is None else self._hub.listen(self._symbols, self._heard)
        try:
            while not self._stop.is_set():
                await self.poll_once()
                await self._clock.wait(self._stop, self._interval)
        finally:
            if listening is not None:
                listening.close()

    def _heard(self, fact: Quote | Candle) -> None:
        if isinstance(fact, Quote):
            self._latest[fact.symbol] = fact
            self._heard_at[fact.symbol] = self._clock.now()
            self._observer.on_quote_received(fact)

    def stop(self) -> None:
        """End ``run`` at its next wait, at once."""
        self._stop.set()

    async def poll_once(self) -> MarketStatusSnapshot:
        """Fetch every quote once, report them and the market status, and return the status."""
        connected = self._gateway.connection_state is ConnectionState.CONNECTED
        market_now = self._gateway.clock.now()
        is_open = self._calendar.is_open(market_now)
        stale: list[str] = []
        stale_gap = self._stale_after
        if self._quiet_until is not None and self._clock.now() >= self._quiet_until:
            self._quiet_until = None
        if self._hub is not None:
            connected = connected and self._hub.connected
            real_now = self._clock.now()
            stale = (
                [
                    symbol
                    for symbol, heard in self._heard_at.items()
                    if is_open and real_now - heard > stale_gap
                ]
                if connected
                else []
            )
        elif connected and self._quiet_until is None:
            quotes = await asyncio.gather(*(self._quote(s) for s in self._symbols))
            for symbol, quote in zip(self._symbols, quotes, strict=True):
                if quote is None:
                    continue
                self._latest[symbol] = quote
                self._observer.on_quote_received(quote)
                if is_open and market_now - quote.at > stale_gap:
                    stale.append(symbol)
        status = MarketStatusSnapshot(
            broker_id=self._gateway.broker_id,
            display_name=self._gateway.display_name,
            connected=connected,
            exchange=self._calendar.code,
            exchange_timezone=self._calendar.timezone,
            exchange_time=market_now,
            is_open=is_open,
            next_open=None if is_open else self._calendar.next_open(market_now),
            stale_symbols=tuple(stale),
            simulated_clock=self._simulated_clock,
        )
        self._observer.on_market_status_changed(status)
        return status

    async def _quote(self, symbol: str) -> Quote | None:
        async with self._limit:
            if self._quiet_until is not None:
                return None  # another symbol met the rate limit: ask nothing more this round
            try:
                return await self._gateway.get_latest_quote(symbol)
            except BrokerRateLimitError as error:
                self._quiet_until = self._clock.now() + timedelta(seconds=error.retry_after)
                _log.warning(
                    "%s asks to slow down (%s): no quote asked for %g s",
                    self._gateway.broker_id,
                    error,
                    error.retry_after,
                )
                return None
            except BrokerError as error:
                _log.warning("quote for %s failed: %s", symbol, error)
                return None
