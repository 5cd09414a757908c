"""Timeouts measured on an injected ``Clock``, so that tests drive them without real time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from livetrader_gui.application.ports import Clock

T = TypeVar("T")


async def within(clock: Clock, awaitable: Awaitable[T], seconds: float) -> T:
    """Return the result of *awaitable*, or raise ``TimeoutError`` once *seconds* of *clock* pass.

    On timeout the awaited work is cancelled; if the caller is cancelled, both are.
    """
    work = asyncio.ensure_future(awaitable)
    timer = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        if not work.done():
            work.cancel()
        for task in (work, timer):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(task, return_exceptions=True)
    if work.cancelled():
        raise TimeoutError(f"no answer within {seconds:g} s")
    return work.result()
