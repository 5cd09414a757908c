"""``PollingFeed``: the market data of a gateway that can only be asked, as a stream.

A venue with websockets pushes quotes and candles; the simulator and plain REST brokers can only
be asked. This feed asks such a gateway once per symbol per round, whoever listens downstream (the
hub fans the stream out), and passes on only what is new: a quote whose time moved, a candle
that closed since the last one passed on. Candles come before the quote of the same round, so a
listener sees a minute close before the first quote of the next.

It never retries in a loop: a rate limit makes it send nothing for the time the broker gave; a
lost link ends the stream with ``BrokerConnectionError`` for the owner to reconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

from livetrader_gui.application.ports import BrokerRateLimitError, Clock, IBrokerGateway
from livetrader_gui.domain import Candle, Quote

MINUTE = timedelta(minutes=1)
MAX_CONCURRENT_REQUESTS = 8


class PollingFeed:
    """An ``IMarketDataFeed`` over a gateway that has only request-answer calls.

    *timer* paces the rounds (wall time: a broker's limits are per real second), every
    *interval* seconds; the gateway's own clock says when a minute has closed.
    """

    def __init__(
        self,
        gateway: IBrokerGateway,
        timer: Clock,
        *,
        interval: float = 1.0,
        concurrency: int = MAX_CONCURRENT_REQUESTS,
    ) -> None:
        self._gateway = gateway
        self._timer = timer
        self._interval = interval
        self._limit = asyncio.Semaphore(concurrency)

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        """Yield the new quotes and closed candles of *symbols*, as they come, until closed."""
        wanted = tuple(dict.fromkeys(symbols))
        quoted: dict[str, datetime] = {}
        closed: dict[str, datetime] = {}  # the start of the newest candle passed on
        while True:
            now = self._gateway.clock.now()
            try:
                answers = await asyncio.gather(*(self._ask(s, now, closed) for s in wanted))
            except BrokerRateLimitError as error:
                await self._timer.sleep(error.retry_after)
                continue
            # The answers came later than the round began (a slow broker, a fast market): a
            # candle is closed if it was by the time they came.
            answered = self._gateway.clock.now()
            for symbol, (quote, candles) in zip(wanted, answers, strict=True):
                for candle in candles:
                    last = closed.get(symbol)
                    if candle.end <= answered and (last is None or candle.start > last):
                        closed[symbol] = candle.start
                        yield candle
                if quote is not None and quote.at != quoted.get(symbol):
                    quoted[symbol] = quote.at
                    yield quote
            await self._timer.sleep(self._interval)

    async def _ask(
        self, symbol: str, now: datetime, closed: dict[str, datetime]
    ) -> tuple[Quote | None, list[Candle]]:
        """Ask for *symbol*'s quote and, when a minute may have closed since the last candle
        passed on, the candles since (only the newest on the first round)."""
        async with self._limit:
            quote = await self._gateway.get_latest_quote(symbol)
            last = closed.get(symbol)
            if last is None:
                candles = await self._gateway.get_recent_candles(symbol, 1)
            elif now >= last + 2 * MINUTE:
                candles = await self._gateway.get_historical_candles(symbol, last + MINUTE, now)
            else:
                candles = []
            return quote, candles
