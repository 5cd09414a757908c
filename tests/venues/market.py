"""What every local venue shares: a market that moves, faults a test switches, and serving.

Each venue (``upbit.py``, ``binance.py``) speaks its own wire protocol on top of these.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
ERROR_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
PUSH_POLL = 0.02  # real seconds between two looks at the venue's clock for a new second
# The faults a test switches on (``POST /_venue/faults``, ``{"fault", "times", "seconds"}``):
FAULTS = ("rate_limit", "ban", "server_error", "hang", "drop", "lose_answer", "silent",
          "speak", "close_streams", "hang_order", "reject_order")  # fmt: skip


class PriceWalk:
    """Each market's price: a seeded random walk of one step a second, forward from the venue's
    start and backward before it (the history a warm-up asks for), kept on *tick*'s grid."""

    def __init__(
        self,
        seed: int,
        started: float,
        openings: dict[str, Decimal],
        tick: Callable[[str, Decimal], Decimal],
    ) -> None:
        self._started = int(started)
        self._openings = openings
        self._tick = tick
        self._paths: dict[tuple[str, int], list[Decimal]] = {}
        self._rngs = {
            (m, way): random.Random(f"{seed}:{m}:{way}") for m in openings for way in (1, -1)
        }

    def price(self, market: str, at: float) -> Decimal:
        step = math.floor(at) - self._started
        way = 1 if step >= 0 else -1
        path = self._paths.setdefault((market, way), [self._openings[market]])
        rng = self._rngs[market, way]
        while len(path) <= abs(step):
            moved = path[-1] * Decimal(str(1 + rng.gauss(0, 0.001)))
            unit = self._tick(market, moved)
            path.append(max(unit, (moved / unit).to_integral_value() * unit))
        return path[abs(step)]


class Faults:
    """The faults switched on, and how many requests each still takes."""

    def __init__(self, ban: Callable[[float | None], None]) -> None:
        self._ban = ban  # bans the address for so many seconds (None: the venue's first ban)
        self.left: dict[str, int] = {}
        self.hang_seconds = 30.0
        self.rate_limit_seconds: float | None = None  # what a switched-on 429 says to wait
        self.silent = False  # every open websocket stays open and says nothing more
        self.closing = False  # set: the venue is to close its websockets now

    def switch(self, fault: str, times: int = 1, seconds: float | None = None) -> None:
        """Make the next *times* requests meet *fault* (``ban``: for *seconds*); raise
        ``ValueError`` for a fault there is not."""
        if fault not in FAULTS:
            raise ValueError(f"no fault {fault}; faults: {FAULTS}")
        if fault == "ban":
            self._ban(seconds)
        elif fault in ("silent", "speak"):
            self.silent = fault == "silent"  # "speak": the websockets talk again
        elif fault == "close_streams":
            self.closing = True  # the venue closes every websocket it has open
        else:
            if fault in ("hang", "hang_order") and seconds is not None:
                self.hang_seconds = seconds
            if fault == "rate_limit":
                self.rate_limit_seconds = seconds
            self.left[fault] = times

    def take(self, name: str) -> bool:
        """Take one request of *name*'s fault, if it is switched on."""
        left = self.left.get(name, 0)
        if left <= 0:
            return False
        self.left[name] = left - 1
        return True


def drop(request: web.Request) -> None:
    """Close the request's connection without an answer."""
    transport = request.transport
    if transport is not None:
        transport.close()


def save_whole(path: Path | None, data: dict[str, Any]) -> None:
    """Write a venue's state to *path*, whole or not at all."""
    if path is None:
        return
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve *app* on a free port of 127.0.0.1; yield its address."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait, a real millisecond at a time, for a venue across a socket to bring *condition*."""
    for _ in range(5_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    pytest.fail(f"never: {what}")


@asynccontextmanager
async def venue_process(
    key: str,
    secret: str,
    *options: str,
    venue: str = "upbit",
    kill: bool = False,
    port: int = 0,
) -> AsyncIterator[str]:
    """Run a local venue in its own process (``python -m tests.venues upbit``, with *options*
    such as ``--state`` and ``--liquidity``) on *port* (0: any free one); yield its address,
    and stop it at the end (*kill*: with SIGKILL, which it cannot see coming)."""
    command = [sys.executable, "-m", "tests.venues", venue, "--port", str(port), "--key", key,
               "--secret", secret, *options]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        yield line.split(" on ")[1].strip()
    finally:
        if kill:
            process.kill()
        else:
            process.terminate()
        await process.wait()


async def caught_up(venue: Any, gateway: Any) -> None:
    """Wait until *venue* has pushed the account's events of its second, and *gateway*'s
    account stream has heard them all (a venue across a socket takes real milliseconds)."""
    orders = gateway.account_stream.orders

    def heard() -> bool:
        sent = venue.events_pushed
        settled = venue.pushed_second >= math.floor(venue.now()) and sent == venue.events_told
        return bool(settled and orders.heard >= sent)

    if orders.live:
        await until(heard, "the account's events of the second reach the gateway")
