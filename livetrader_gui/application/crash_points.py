"""Kill points: the moments of the order path that a random kill rarely lands on.

A crash between two steps of the order path is what persist-first and ask-the-broker are for,
but a kill at a random moment almost never falls between them. ``bench/crash_campaign.py`` arms
one point (through the app's environment, ``LIVETRADER_CRASH_AT=<point>:<n>``) so that the
process dies the *n*-th time the order path passes it. Nothing arms a point in a trader's run:
reaching one then costs a test of an empty dictionary.
"""

from __future__ import annotations

from collections.abc import Callable

PERSISTED = "persisted"  # an order is saved as PENDING_SUBMIT and not sent yet
SENT = "sent"  # the broker has taken the order; its answer is not saved yet
FILL_SEEN = "fill_seen"  # a fill is read from the broker and not saved yet
POINTS = (PERSISTED, SENT, FILL_SEEN)

_armed: dict[str, int] = {}
_action: list[Callable[[str], None]] = []


class CrashPointError(ValueError):
    """An arming that names no known point, or no positive count."""


def parse(text: str) -> tuple[str, int]:
    """Return the point and the count of ``<point>:<n>`` (``<point>`` alone: the first time)."""
    point, _, count = text.partition(":")
    if point not in POINTS:
        raise CrashPointError(f"unknown crash point {point!r} (known: {', '.join(POINTS)})")
    try:
        nth = int(count) if count else 1
    except ValueError:
        raise CrashPointError(f"crash point {point}: {count!r} is not a whole number") from None
    if nth < 1:
        raise CrashPointError(f"crash point {point}: the count must be 1 or more, got {nth}")
    return point, nth


def arm(point: str, nth: int, action: Callable[[str], None]) -> None:
    """Have *action* run (it kills the process) the *nth* time *point* is reached."""
    _armed.clear()
    _action.clear()
    _armed[point] = nth
    _action.append(action)


def disarm() -> None:
    """Forget any armed point."""
    _armed.clear()
    _action.clear()


def reach(point: str) -> None:
    """Pass *point*: the armed action runs if this is the time it waits for."""
    if not _armed or point not in _armed:
        return
    _armed[point] -= 1
    if _armed[point] == 0:
        del _armed[point]
        _action[0](point)
