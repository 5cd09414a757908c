"""The collector's pace: young objects collected less often, start-up's heap frozen once."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from livetrader_gui.app.collector import YOUNG_THRESHOLD, pace_collector, settle_heap


@pytest.fixture
def collector() -> Iterator[None]:
    """Give the process its collector back as it was."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_young_objects_are_collected_at_the_apps_pace_and_older_ones_at_pythons(
    collector: None,
) -> None:
    gc.set_threshold(700, 11, 12)

    pace_collector()

    assert gc.get_threshold() == (YOUNG_THRESHOLD, 11, 12)


def test_settling_collects_the_cycles_of_start_up_and_freezes_what_lives(collector: None) -> None:
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle only the collector frees
    gone = weakref.ref(first)
    kept = [Node()]
    del first, second

    frozen = settle_heap()

    assert gone() is None, "the cycle was collected before the freeze, not frozen for good"
    assert frozen == gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects()), "what lives is frozen, walked no more"
