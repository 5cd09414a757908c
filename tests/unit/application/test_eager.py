"""Eager start: a coroutine that does not wait finishes at once, one that waits runs on as a
task, and results, failures and cancellation reach the caller as with asyncio's own tools."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from livetrader_gui.application.eager import eager, gather_eagerly, settle, start
from livetrader_gui.application.timeouts import within
from tests.fakes import FakeClock


async def answer(value: int) -> int:
    return value


async def fail(message: str) -> int:
    raise ValueError(message)


async def after(event: asyncio.Event, value: int) -> int:
    await event.wait()
    return value


async def test_a_coroutine_that_does_not_wait_is_done_without_a_task() -> None:
    tasks_before = len(asyncio.all_tasks())

    future = eager(answer(7))

    assert future.done()
    assert future.result() == 7
    assert len(asyncio.all_tasks()) == tasks_before


async def test_a_coroutine_that_waits_runs_on_as_a_task_from_where_it_stopped() -> None:
    event = asyncio.Event()
    steps: list[str] = []

    async def two_steps() -> str:
        steps.append("first")
        await event.wait()
        steps.append("second")
        return "done"

    future = eager(two_steps())

    assert steps == ["first"]  # ran at once, up to its wait
    assert not future.done()
    event.set()
    assert await future == "done"
    assert steps == ["first", "second"]


async def test_a_failure_is_kept_in_the_future_as_a_task_keeps_it() -> None:
    future = eager(fail("broken"))

    assert future.done()
    with pytest.raises(ValueError, match="broken"):
        future.result()


async def test_cancelling_the_task_cancels_the_coroutine_where_it_waits() -> None:
    event = asyncio.Event()
    cleaned: list[bool] = []

    async def waits() -> None:
        try:
            await event.wait()
        finally:
            cleaned.append(True)

    future = eager(waits())
    future.cancel()

    with pytest.raises(asyncio.CancelledError):
        await future
    assert cleaned == [True]


async def test_an_exception_thrown_in_is_handled_by_the_coroutine() -> None:
    event = asyncio.Event()

    async def recovers() -> str:
        try:
            await asyncio.wait_for(event.wait(), 0)
        except TimeoutError:
            return "recovered"
        return "not reached"

    assert await eager(recovers()) == "recovered"


async def test_start_reports_whether_the_coroutine_finished() -> None:
    assert start(answer(3)) == (True, 3)
    event = asyncio.Event()
    finished, rest = start(after(event, 4))
    assert finished is False
    event.set()
    assert await rest == 4


async def test_gather_eagerly_returns_results_in_order_whether_or_not_they_wait() -> None:
    event = asyncio.Event()
    gathering = asyncio.ensure_future(gather_eagerly(answer(1), after(event, 2), answer(3)))
    await asyncio.sleep(0)
    assert not gathering.done()

    event.set()

    assert await gathering == [1, 2, 3]


async def test_gather_eagerly_raises_the_first_failure_after_starting_every_coroutine() -> None:
    started: list[int] = []

    async def noted(value: int) -> int:
        started.append(value)
        return value

    with pytest.raises(ValueError, match="first"):
        await gather_eagerly(noted(1), fail("first"), noted(2), fail("second"))
    assert started == [1, 2]


async def test_settle_returns_results_and_failures_without_raising() -> None:
    futures = [eager(answer(1)), eager(fail("bad"))]

    outcomes = await settle(futures)

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], ValueError)


async def test_within_needs_no_timer_for_an_answer_that_does_not_wait() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))

    assert await within(clock, answer(5), 1.0) == 5
