"""Indicators over whole float64 arrays, with TA-Lib's exact semantics where TA-Lib has them.

NaN or an infinity marks an undefined value. TA-Lib skips undefined values at the start of its
input, but one in the middle would poison a running sum for ever; :func:`by_runs` therefore cuts
an input into its runs of finite values and computes each run on its own, so that an indicator
warms up again after a gap. Period 1, which several TA-Lib functions refuse, follows the definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import talib

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Series = Callable[[FloatArray], FloatArray]


def _unwrapped(function: Callable[..., object]) -> Callable[..., Any]:
    # The talib package wraps each function to accept pandas and polars series, which costs more
    # than the computation on a short array; the engine passes float64 arrays only.
    return getattr(function, "__wrapped__", function)


SMA, EMA, WMA, RSI, ROC = (
    _unwrapped(f) for f in (talib.SMA, talib.EMA, talib.WMA, talib.RSI, talib.ROC)
)
MAX, MIN, STDDEV, BBANDS, ATR = (
    _unwrapped(f) for f in (talib.MAX, talib.MIN, talib.STDDEV, talib.BBANDS, talib.ATR)
)

# TA-Lib's TA_IS_ZERO threshold: its RSI and deviations treat smaller magnitudes as zero.
TA_EPSILON = 1e-8


def by_runs(function: Series, x: FloatArray) -> FloatArray:
    """Apply *function* to each run of finite values of *x*; NaN elsewhere."""
    return by_runs_many(lambda a: (function(a),), (x,))[0]


def by_runs_many(
    function: Callable[..., tuple[FloatArray, ...]], inputs: tuple[FloatArray, ...]
) -> tuple[FloatArray, ...]:
    """Apply *function* to the rows where every input is finite, run by run; NaN elsewhere."""
    finite = np.isfinite(inputs[0])
    for other in inputs[1:]:
        finite &= np.isfinite(other)
    if finite.all():
        return function(*inputs)
    outputs: tuple[FloatArray, ...] | None = None
    edges = np.flatnonzero(np.diff(np.concatenate(([0], finite.view(np.int8), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        parts = function(*(a[start:stop] for a in inputs))
        if outputs is None:
            outputs = tuple(np.full(inputs[0].shape, np.nan) for _ in parts)
        for out, part in zip(outputs, parts, strict=True):
            out[start:stop] = part
    if outputs is None:  # not one finite row: ask the function for the shape of its answer
        parts = function(*(a[:0] for a in inputs))
        outputs = tuple(np.full(inputs[0].shape, np.nan) for _ in parts)
    return outputs


def series_function(op: str, params: tuple[float, ...]) -> Series:
    """Return the array function of a one-input indicator *op* with literal *params*.

    The result handles undefined values at the start of its input (as TA-Lib does); wrap it in
    :func:`by_runs` for undefined values in the middle.
    """
    n = int(params[0]) if params else 0
    if op in _TALIB_PERIOD:
        function = _TALIB_PERIOD[op]
        if n == 1 and op in _IDENTITY_AT_ONE:
            return np.array
        return lambda x: function(x, n)
    if op == "rsi":
        return _rsi_one if n == 1 else (lambda x: RSI(x, n))
    if op == "stddev":
        return (lambda x: x * 0.0) if n == 1 else (lambda x: STDDEV(x, n, 1.0))
    if op == "ref":
        return lambda x: ref(x, n)
    if op.startswith("macd"):
        part = ("macd", "macd_signal", "macd_hist").index(op)
        fast, slow, signal = (int(p) for p in params)
        return lambda x: macd(x, fast, slow, signal)[part]
    part = ("bb_upper", "bb_middle", "bb_lower").index(op)
    return lambda x: bbands(x, n, params[1] if len(params) > 1 else 2.0)[part]


_TALIB_PERIOD: dict[str, Callable[[FloatArray, int], FloatArray]] = {
    "sma": SMA,
    "ema": EMA,
    "wma": WMA,
    "roc": ROC,
    "highest": MAX,
    "lowest": MIN,
}
_IDENTITY_AT_ONE = frozenset({"highest", "lowest"})  # TA-Lib refuses MAX/MIN of period 1


def _rsi_one(x: FloatArray) -> FloatArray:
    # Wilder's formula over one change: 100 after a rise (beyond TA-Lib's zero), otherwise 0.
    out = np.full(x.shape, np.nan)
    change = np.diff(x)
    out[1:] = np.where(change >= TA_EPSILON, 100.0, 0.0) + (change - change)
    return out


def macd(x: FloatArray, fast: int, slow: int, signal: int) -> tuple[FloatArray, ...]:
    """Return TA-Lib MACD's line, signal and histogram.

    TA-Lib seeds both EMAs on the bar where the slow one is first defined, and reports all three
    outputs only from the bar where the signal is defined. Composing TA-Lib EMAs that way also
    covers a fast period of 1, which TA-Lib's MACD refuses.
    """
    if slow < fast:
        fast, slow = slow, fast
    outputs = tuple(np.full(x.shape, np.nan) for _ in range(3))
    finite = np.isfinite(x)
    begin = int(finite.argmax()) if finite.any() else x.size
    first = begin + slow - 1 + signal - 1
    if x.size <= first:
        return outputs
    data = x[begin:]
    line = EMA(data[slow - fast :], fast)[fast - 1 :] - EMA(data, slow)[slow - 1 :]
    signal_line = EMA(line, signal)
    outputs[0][first:] = line[signal - 1 :]
    outputs[1][first:] = signal_line[signal - 1 :]
    outputs[2][first:] = outputs[0][first:] - outputs[1][first:]
    return outputs


def bbands(x: FloatArray, n: int, k: float) -> tuple[FloatArray, ...]:
    """Return TA-Lib BBANDS (SMA, population deviation) as upper, middle, lower."""
    if n == 1:
        return np.array(x), np.array(x), np.array(x)
    return tuple(BBANDS(x, n, k, k, 0))


def atr(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    """Return TA-Lib ATR."""
    return ATR(high, low, close, n)  # type: ignore[no-any-return]


def checked_atr(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    """Return TA-Lib ATR, restarted after any bar with an undefined price."""
    return by_runs_many(lambda h, lo, c: (atr(h, lo, c, n),), (high, low, close))[0]


def ref(x: FloatArray, n: int) -> FloatArray:
    """Return the value n bars ago."""
    out = np.full(x.shape, np.nan)
    if n < x.size:
        out[n:] = x[:-n]
    return out
