"""Timeouts measured on an injected ``Clock``, so that tests drive them without real time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar, cast

from livetrader_gui.application.eager import start
from livetrader_gui.application.ports import Clock

T = TypeVar("T")


async def within(clock: Clock, awaitable: Awaitable[T], seconds: float) -> T:
    """Return the result of *awaitable*, or raise ``TimeoutError`` once *seconds* of *clock* pass.

    On timeout the awaited work is cancelled; if the caller is cancelled, so is the work. A
    coroutine that answers without waiting (a broker in the process) needs no timer.
    """
    if asyncio.iscoroutine(awaitable):
        finished, value = start(awaitable)
        if finished:
            return cast(T, value)
        awaitable = value
    expiry: asyncio.Timeout | None = None
    try:
        async with clock.timeout(seconds) as expiry:
            return await awaitable
    except TimeoutError:
        if expiry is not None and expiry.expired():
            # Name the limit: asyncio's own TimeoutError carries no message.
            raise TimeoutError(f"no answer within {seconds:g} s") from None
        raise
