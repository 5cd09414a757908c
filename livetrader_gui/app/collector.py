"""The pace of Python's cyclic garbage collector in a trading process.

Python collects cycles whenever 700 objects more were made than freed, on the one thread that
also runs the GUI and every session, and a full collection walks every object alive: with a
few hundred symbols' candles, streams and positions that stops the loop for a tenth of a second
and more. A pushed quote meant to become a signal within a millisecond, or a minute's candles
meant to reach every session's rules within 50 ms, then waits. Two measures, both kept by the
app and by the benchmarks that stand for it (``bench/market_data_bench.py``,
``bench/runner_bench.py``):

- young objects are collected every ``YOUNG_THRESHOLD`` allocations instead of 700: fewer
  pauses, each still short (the young generation is all it walks);
- once start-up is done (the workspace built, its sessions resumed), one full collection runs
  and what survives it is frozen (``gc.freeze``): the start-up objects live as long as the app
  and no later collection walks them again. Freed by reference counting as ever; only a cycle
  among them would outlive its use, and the collection before the freeze leaves none.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def pace_collector() -> None:
    """Collect young objects every ``YOUNG_THRESHOLD`` allocations (older generations keep
    Python's own pace)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle_heap() -> int:
    """Collect every generation once and freeze what survives; return how many objects were
    frozen in all. Run it when start-up is done, not in a hurry: the collection is a pause."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
