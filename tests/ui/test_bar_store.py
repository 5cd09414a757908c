"""The chart's store keeps every symbol's bars compactly, in order, and no more than it draws."""

from __future__ import annotations

import math
import tracemalloc
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.application.read_models import BarSnapshot, IndicatorScale, IndicatorValue
from livetrader_gui.domain import Candle
from livetrader_gui.ui.charts.bar_store import MAX_BARS, BarStore
from tests.builders import T0

SESSION = "S-1"


def bar(minute: int, close: int, symbol: str = "005930", **indicators: float) -> BarSnapshot:
    price = Decimal(close)
    candle = Candle(
        symbol,
        T0 + timedelta(minutes=minute),
        price,
        price + 10,
        price - 10,
        price,
        Decimal(1_000 + minute),
    )
    values = tuple(
        IndicatorValue(label, IndicatorScale.PRICE, value) for label, value in indicators.items()
    )
    return BarSnapshot(SESSION, candle, values)


def test_a_repeated_candle_replaces_the_last_and_an_older_one_is_ignored() -> None:
    store = BarStore()
    store.add_bar(bar(0, 100, sma=1.0))
    store.add_bar(bar(1, 101, sma=2.0))
    version = store.version(SESSION, "005930")

    store.add_bar(bar(1, 105, sma=3.0))  # the same minute, corrected
    store.add_bar(bar(0, 999, sma=9.0))  # older than what is drawn

    arrays = store.arrays(SESSION, "005930")
    assert arrays.close.tolist() == [100.0, 105.0]
    assert arrays.volume.tolist() == [1_000.0, 1_001.0]
    assert arrays.indicators["sma"][1].tolist() == [1.0, 3.0]
    assert store.version(SESSION, "005930") == version + 1


def test_an_indicator_first_seen_later_has_gaps_before_and_infinities_become_gaps() -> None:
    store = BarStore()
    store.add_bar(bar(0, 100))
    store.add_bar(bar(1, 101, ema=math.inf))
    store.add_bar(bar(2, 102, ema=5.0))
    store.add_bar(bar(3, 103))  # a bar without it

    ema = store.arrays(SESSION, "005930").indicators["ema"][1]
    assert [v if math.isfinite(v) else None for v in ema.tolist()] == [None, None, 5.0, None]


def test_the_store_keeps_the_last_thousand_bars_of_a_symbol_in_order() -> None:
    store = BarStore()
    for minute in range(MAX_BARS + 250):
        store.add_bar(bar(minute, 100 + minute, sma=float(minute)))

    arrays = store.arrays(SESSION, "005930")
    assert len(arrays.x) == MAX_BARS
    assert arrays.close[0] == 100 + 250
    assert arrays.close[-1] == 100 + MAX_BARS + 249
    assert arrays.indicators["sma"][1][0] == 250.0
    assert bool((arrays.x[1:] > arrays.x[:-1]).all())
    assert store.symbols(SESSION) == ["005930"]


def test_a_thousand_bars_take_well_under_a_hundred_bytes_each() -> None:
    store = BarStore()
    # Python keeps freed small objects for reuse (up to 2,000 of a size): fill those lists first
    # with another symbol, so that what is measured is what the store keeps.
    for minute in range(2_500):
        store.add_bar(bar(minute, 100, "000660", sma=1.0, rsi=2.0))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for minute in range(MAX_BARS):
            # Made here and dropped after, as a snapshot is once the signal has delivered it.
            store.add_bar(bar(minute, 100 + minute, sma=1.0, rsi=2.0))
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    # Eight floats a bar are 64 bytes; keeping the snapshots themselves took about 860.
    assert kept / MAX_BARS < 100


def test_history_read_back_goes_before_the_reported_bars_with_its_indicators() -> None:
    store = BarStore()
    store.add_bar(bar(10, 110, rsi=1.0))
    store.add_bar(bar(11, 111, rsi=2.0))
    version = store.version(SESSION, "005930")

    store.load([bar(minute, 100 + minute, sma=float(minute)) for minute in range(8, 12)])

    arrays = store.arrays(SESSION, "005930")
    assert list(arrays.close) == [108, 109, 110, 111], "only bars older than the first kept"
    sma, rsi = arrays.indicators["sma"][1], arrays.indicators["rsi"][1]
    assert list(sma[:2]) == [8.0, 9.0]
    assert all(math.isnan(v) for v in sma[2:])
    assert all(math.isnan(v) for v in rsi[:2])
    assert list(rsi[2:]) == [1.0, 2.0]
    assert store.version(SESSION, "005930") > version


def test_history_fills_an_empty_chart_and_keeps_no_more_than_the_chart_holds() -> None:
    store = BarStore()

    store.load([bar(minute, 100) for minute in range(MAX_BARS + 50)])
    store.load([])

    arrays = store.arrays(SESSION, "005930")
    assert len(arrays.close) == MAX_BARS
    assert arrays.x[-1] == (T0 + timedelta(minutes=MAX_BARS + 49)).timestamp(), "the newest"
