"""Eager start of coroutines: run a coroutine at once, up to its first real wait.

A broker in the same process (the replay, SIM) answers without ever waiting; wrapping each of its
answers in a task costs more than the answer (a task, a trip round the event loop). ``eager``
steps the coroutine at once, as Python 3.12's eager tasks do: if it finishes without waiting, its
result is ready and no task was made; if it waits (a network broker), the rest runs in a task
from where it stopped, concurrently, as ``asyncio.ensure_future`` would have run it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class _Rest:
    """Await the rest of a coroutine that was stepped once and yielded *first*.

    Delegates as ``yield from`` does: what the task sends or throws goes to the coroutine.
    """

    __slots__ = ("_begun", "_coroutine", "_first")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], first: Any) -> None:
        self._coroutine = coroutine
        self._first = first
        self._begun = False

    def abandon(self, task: asyncio.Future[Any]) -> None:
        """Close the coroutine if its task was cancelled before it took it over, so that its
        ``finally`` blocks run now (a semaphore released), not when it is collected."""
        if task.cancelled() and not self._begun:
            self._begun = True
            try:
                self._coroutine.close()
            except RuntimeError:
                logging.getLogger(__name__).exception("a cancelled coroutine would not close")

    def __await__(self) -> Generator[Any, Any, Any]:
        self._begun = True
        coroutine = self._coroutine
        pending = self._first
        while True:
            try:
                sent = yield pending
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:
                try:
                    pending = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    pending = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


def start(coroutine: Coroutine[Any, Any, T]) -> tuple[bool, Any]:
    """Step *coroutine* once: return ``(True, result)`` if it finished, else ``(False,
    awaitable)`` that awaits the rest of it. An exception it raises propagates."""
    try:
        first = coroutine.send(None)
    except StopIteration as done:
        return True, done.value
    return False, _Rest(coroutine, first)


async def _finish(rest: _Rest) -> Any:
    return await rest


def eager(coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Return a future of *coroutine*, which runs at once up to its first wait (see above).

    Like a task's, its exception is kept in the future, not raised here.
    """
    loop = asyncio.get_running_loop()
    try:
        finished, value = start(coroutine)
    except (KeyboardInterrupt, SystemExit):
        raise
    except asyncio.CancelledError:
        future: asyncio.Future[T] = loop.create_future()
        future.cancel()
        return future
    except BaseException as error:
        future = loop.create_future()
        future.set_exception(error)
        return future
    if finished:
        future = loop.create_future()
        future.set_result(value)
        return future
    task = loop.create_task(_finish(value))
    task.add_done_callback(value.abandon)
    return task


async def gather_eagerly(*coroutines: Coroutine[Any, Any, Any]) -> list[Any]:
    """Return the results of *coroutines*, started at once and run concurrently, as
    ``asyncio.gather`` does; when none of them waits, without a trip round the event loop."""
    results: list[Any] = []
    waiting: dict[int, asyncio.Future[Any]] = {}
    failure: BaseException | None = None
    for index, coroutine in enumerate(coroutines):
        try:
            finished, value = start(coroutine)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:
            # As gather: the first failure is raised, the others still run to their end.
            failure = failure or error
            results.append(None)
            continue
        if finished:
            results.append(value)
        else:
            results.append(None)
            task = asyncio.ensure_future(_finish(value))
            task.add_done_callback(value.abandon)
            waiting[index] = task
    if waiting:
        if failure is not None:
            for pending in waiting.values():  # their own failures are not ours to report
                pending.add_done_callback(_retrieved)
            raise failure
        for index, value in zip(waiting, await asyncio.gather(*waiting.values()), strict=True):
            results[index] = value
    if failure is not None:
        raise failure
    return results


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def settle(futures: list[asyncio.Future[Any]]) -> list[Any]:
    """Return what each future gave, its result or its exception, once all are done (as
    ``asyncio.gather(..., return_exceptions=True)``, without a trip round the loop when they
    already are)."""
    if not all(future.done() for future in futures):
        return list(await asyncio.gather(*futures, return_exceptions=True))
    return [_outcome(future) for future in futures]


def _outcome(future: asyncio.Future[Any]) -> Any:
    if future.cancelled():
        return asyncio.CancelledError()
    error = future.exception()
    return error if error is not None else future.result()
