"""The runner's link to its broker: pause when it breaks, reconnect with backoff, reconcile.

A runner fed by a market-data hub does not reconnect by itself: the hub mends the gateway's link
once for every session on it, and the runner waits for the hub's market data to flow again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.market_data.hub import MarketDataHub
from livetrader_gui.application.ports import (
    BrokerError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    ITradingCalendar,
    StorageError,
)
from livetrader_gui.application.read_models import LogLevel
from livetrader_gui.application.timeouts import within
from livetrader_gui.domain import LiveTradingSession, SessionStatus


class BrokerLink:
    """Handles a lost link for one runner.

    A session paused by the link resumes by itself only when the broker answers again, the
    reconciliation finds nothing different and, while the market is open, a quote is fresh. Any
    difference leaves it paused for the trader to look at.
    """

    def __init__(
        self,
        session: LiveTradingSession,
        broker: IBrokerGateway,
        calendar: ITradingCalendar,
        clock: Clock,
        limits: RunnerLimits,
        pause: Callable[[str], Awaitable[None]],
        resume: Callable[[], Awaitable[None]],
        reconcile: Callable[[], Awaitable[list[str]]],
        log: Callable[[LogLevel, str], None],
        *,
        timer: Clock | None = None,
        hub: MarketDataHub | None = None,
    ) -> None:
        self._session = session
        self._hub = hub
        self._broker = broker
        self._calendar = calendar
        self._clock = clock
        # Backoff and the broker's answers are measured in real time (see RunnerLimits).
        self._timer = timer or clock
        self._limits = limits
        self._pause = pause
        self._resume = resume
        self._reconcile = reconcile
        self._log = log
        self.paused_by_link = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    async def lost(self, reason: str) -> None:
        """Pause the running session, tell the trader, and start reconnecting."""
        if self._session.status is not SessionStatus.RUNNING:
            return
        self.paused_by_link = True
        self._log(LogLevel.ERROR, f"{reason}; trading paused, reconnecting")
        await self._pause(reason)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._reconnect(), name="reconnect")

    async def close(self) -> None:
        """Stop reconnecting (the session is stopping)."""
        self._closed = True
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _reconnect(self) -> None:
        delay = self._limits.reconnect_initial_delay
        never = asyncio.Event()
        while not self._closed and self.paused_by_link:
            try:
                if self._hub is not None:
                    await self._hub.wait_connected()
                # A venue whose market data streams apart from its requests (a websocket) can
                # lose its request link alone (a ban, an address that stops answering): the
                # hub's data flows, and only connecting the broker brings the link back.
                if self._broker.connection_state is not ConnectionState.CONNECTED:
                    await self._broker.connect()
                differences = await self._reconcile()
                fresh = await self._feed_is_fresh()
            except (BrokerError, StorageError, TimeoutError) as error:
                self._log(LogLevel.WARNING, f"reconnect failed: {error}; next try in {delay:g} s")
            else:
                if differences:
                    self.paused_by_link = False
                    self._log(
                        LogLevel.ERROR,
                        "reconnected, but the broker differs from the session: "
                        + "; ".join(differences)
                        + " — resume by hand after checking",
                    )
                    return
                if fresh:
                    self._log(LogLevel.INFO, "reconnected and reconciled; trading resumes")
                    if self._session.status is SessionStatus.PAUSED and not self._closed:
                        await self._resume()
                    return
            await self._timer.wait(never, delay)
            delay = min(delay * 2, self._limits.reconnect_max_delay)

    async def _feed_is_fresh(self) -> bool:
        now = self._clock.now()
        if not self._calendar.is_open(now):
            return True
        for symbol in self._session.symbols:
            if self._hub is not None:
                quote = self._hub.latest(symbol)  # what flows again, with no request
            else:
                quote = await within(
                    self._timer, self._broker.get_latest_quote(symbol), self._limits.broker_timeout
                )
            if quote is not None and (now - quote.at).total_seconds() <= (
                self._limits.stale_quote_after
            ):
                return True
        return False
