"""Every function of the language against TA-Lib, or against its definition where TA-Lib has
none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.indicators import FloatArray
from livetrader_gui.processing.stream import FormulaStream
from tests.unit.processing.candles import STREAMS, bars_of, random_candles

SEEDS = (1, 2, 3)
SMA_BANDS = talib.MA_Type.SMA  # type: ignore[attr-defined]
BARS = 400


def values_of(call: str, columns: dict[str, FloatArray]) -> FloatArray:
    """Return the array value of the function call *call* as the engine computes it."""
    compiled = ProcessingEngine().compile(f"{call} > -1000000")
    return np.asarray(compiled.indicators(columns)[call], dtype=np.float64)


def streamed_values_of(
    call: str, columns: dict[str, FloatArray], implementation: type[FormulaStream]
) -> FloatArray:
    """Return the value of *call* bar by bar from the incremental path."""
    stream = ProcessingEngine().compile(f"{call} > -1000000").stream(implementation)
    out = []
    for bar in bars_of(columns):
        stream.update(*bar)
        out.append(stream.indicator_values()[call])
    return np.array(out)


def assert_same(actual: FloatArray, expected: FloatArray, *, rtol: float = 1e-12) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-9, equal_nan=True)


def talib_cases(c: dict[str, FloatArray]) -> list[tuple[str, FloatArray]]:
    x = c["close"]
    macd = talib.MACD(x, 12, 26, 9)
    macd_short = talib.MACD(x, 3, 7, 2)
    bands = talib.BBANDS(x, 20, 2.0, 2.0, SMA_BANDS)
    bands_wide = talib.BBANDS(x, 10, 1.5, 1.5, SMA_BANDS)
    return [
        ("sma(close, 20)", talib.SMA(x, 20)),
        ("sma(volume, 2)", talib.SMA(c["volume"], 2)),
        ("ema(close, 12)", talib.EMA(x, 12)),
        ("ema(close, 2)", talib.EMA(x, 2)),
        ("wma(close, 10)", talib.WMA(x, 10)),
        ("rsi(close, 14)", talib.RSI(x, 14)),
        ("rsi(close, 2)", talib.RSI(x, 2)),
        ("macd(close, 12, 26, 9)", macd[0]),
        ("macd_signal(close, 12, 26, 9)", macd[1]),
        ("macd_hist(close, 12, 26, 9)", macd[2]),
        ("macd(close, 3, 7, 2)", macd_short[0]),
        ("macd_signal(close, 3, 7, 2)", macd_short[1]),
        ("macd_hist(close, 3, 7, 2)", macd_short[2]),
        ("macd(close, 26, 12, 9)", macd[0]),  # TA-Lib swaps a slow period below the fast one
        ("bb_upper(close, 20, 2)", bands[0]),
        ("bb_middle(close, 20)", bands[1]),
        ("bb_lower(close, 20, 2)", bands[2]),
        ("bb_upper(close, 10, 1.5)", bands_wide[0]),
        ("bb_lower(close, 10, 1.5)", bands_wide[2]),
        ("stddev(close, 10)", talib.STDDEV(x, 10, 1.0)),
        ("atr(14)", talib.ATR(c["high"], c["low"], x, 14)),
        ("atr(1)", talib.ATR(c["high"], c["low"], x, 1)),
        ("roc(close, 10)", talib.ROC(x, 10)),
        ("highest(high, 20)", talib.MAX(c["high"], 20)),
        ("lowest(low, 20)", talib.MIN(c["low"], 20)),
        ("sma(rsi(close, 14), 5)", talib.SMA(talib.RSI(x, 14), 5)),
        ("ema(close - open, 5)", talib.EMA(x - c["open"], 5)),
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_function_equals_talib_on_random_candles(seed: int) -> None:
    candles = random_candles(BARS, seed)
    for call, expected in talib_cases(candles):
        assert_same(values_of(call, candles), expected)


@pytest.mark.parametrize("implementation", STREAMS.values(), ids=STREAMS.keys())
@pytest.mark.parametrize("seed", SEEDS)
def test_the_incremental_path_gives_the_talib_numbers_bar_by_bar(
    seed: int, implementation: type[FormulaStream]
) -> None:
    candles = random_candles(BARS, seed)
    for call, expected in talib_cases(candles):
        assert_same(streamed_values_of(call, candles, implementation), expected, rtol=1e-9)


def definitions(c: dict[str, FloatArray]) -> list[tuple[str, FloatArray]]:
    x = pd.Series(c["close"])
    change = x.diff()
    return [
        ("highest(close, 7)", x.rolling(7).max().to_numpy()),
        ("lowest(close, 7)", x.rolling(7).min().to_numpy()),
        ("ref(close, 3)", x.shift(3).to_numpy()),
        ("abs(close - open)", np.abs(c["close"] - c["open"])),
        ("min(open, close)", np.minimum(c["open"], c["close"])),
        ("max(open, close)", np.maximum(c["open"], c["close"])),
        # Period 1, which several TA-Lib functions refuse, follows the definitions.
        ("sma(close, 1)", c["close"]),
        ("ema(close, 1)", c["close"]),
        ("wma(close, 1)", c["close"]),
        ("highest(close, 1)", c["close"]),
        ("lowest(close, 1)", c["close"]),
        ("stddev(close, 1)", np.zeros(BARS)),
        ("bb_upper(close, 1, 2)", c["close"]),
        ("rsi(close, 1)", np.where(change.isna(), np.nan, np.where(change > 0, 100.0, 0.0))),
        ("roc(close, 1)", (x / x.shift(1) - 1).to_numpy() * 100),
        ("stddev(close, 5)", x.rolling(5).std(ddof=0).to_numpy()),
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_functions_without_a_talib_twin_follow_their_definition(seed: int) -> None:
    candles = random_candles(BARS, seed)
    for call, expected in definitions(candles):
        assert_same(values_of(call, candles), expected, rtol=1e-9)
        for implementation in STREAMS.values():
            assert_same(streamed_values_of(call, candles, implementation), expected, rtol=1e-9)


def test_macd_with_a_fast_period_of_one_is_the_price_less_the_slow_ema() -> None:
    candles = random_candles(BARS, 4)
    x = candles["close"]
    line = values_of("macd(close, 1, 5, 3)", candles)
    expected = x - talib.EMA(x, 5)
    defined = ~np.isnan(line)
    assert defined.sum() == BARS - (5 - 1) - (3 - 1)
    np.testing.assert_allclose(line[defined], expected[defined], rtol=1e-12)


def test_crossover_is_true_only_on_the_bar_where_a_rises_above_b() -> None:
    close = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 3.0, 3.0])
    candles = {"open": close, "high": close, "low": close, "close": close, "volume": close}
    engine = ProcessingEngine()
    up = engine.compile("crossover(close, 2.5)").evaluate(candles)
    down = engine.compile("crossunder(close, 2.5)").evaluate(candles)
    touch = engine.compile("crossover(close, 2)").evaluate(candles)
    assert up.tolist() == [False, False, True, False, False, True, False]
    assert down.tolist() == [False, False, False, True, False, False, False]
    # Equal on the previous bar counts as "not above": 2 -> 3 crosses 2 upward.
    assert touch.tolist() == [False, False, True, False, False, True, False]
