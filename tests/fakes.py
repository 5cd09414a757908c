"""Fakes that implement the ports, for tests: no real time passes, nothing leaves the process."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import datetime, timedelta

from livetrader_gui.domain.backtest import BacktestResult


class FakeClock:
    """A ``Clock`` that moves only when a test calls ``advance``.

    ``sleep`` and ``wait`` park until the test advances past their deadline, so code that waits
    minutes of market time runs in microseconds and deterministically.
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._now += timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def settle(self, sleepers: int = 1) -> None:
        """Let other tasks run until at least *sleepers* waits are parked on this clock."""
        for _ in range(1_000):
            if self.sleepers >= sleepers:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"expected {sleepers} parked waits, found {self.sleepers}")

    @property
    def sleepers(self) -> int:
        """Return how many waits are parked."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._order), future)
        )
        await future

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        waiter = asyncio.ensure_future(event.wait())
        timer = asyncio.ensure_future(self.sleep(seconds))
        _done, pending = await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return event.is_set()


class FakeBacktestRepository:
    """Backtest results in memory (implements ``IBacktestRepository``)."""

    def __init__(self) -> None:
        self.results: list[BacktestResult] = []

    async def add(self, result: BacktestResult) -> None:
        self.results.append(result)

    async def get_latest_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> BacktestResult | None:
        matching = [
            r
            for r in self.results
            if r.strategy_id == strategy_id and rules_hash in (None, r.rules_hash)
        ]
        return max(matching, key=lambda r: r.created_at, default=None)
