"""Random candles for processing tests."""

from __future__ import annotations

import numpy as np

from livetrader_gui.processing.indicators import FloatArray
from livetrader_gui.processing.native import COMPILED_STREAM
from livetrader_gui.processing.stream import FormulaStream

COLUMNS = ("open", "high", "low", "close", "volume")


def random_candles(bars: int, seed: int, *, level: float = 100.0) -> dict[str, FloatArray]:
    """Return a random walk of OHLCV columns with consistent highs and lows."""
    rng = np.random.default_rng(seed)
    close = level + np.cumsum(rng.normal(0.0, level / 100, bars))
    open_ = close + rng.normal(0.0, level / 300, bars)
    spread = np.abs(rng.normal(0.0, level / 200, bars))
    return {
        "open": open_,
        "high": np.maximum(open_, close) + spread,
        "low": np.minimum(open_, close) - spread,
        "close": close,
        "volume": rng.integers(100, 10_000, bars).astype(np.float64),
    }


def bars_of(columns: dict[str, FloatArray]) -> list[tuple[float, ...]]:
    """Return the candles as (open, high, low, close, volume) tuples, one per bar."""
    return [
        tuple(float(columns[name][i]) for name in COLUMNS) for i in range(len(columns["close"]))
    ]


# Every bar-by-bar implementation this environment has: the pure Python reference, and its
# compiled build where packaging/native.py made one. Tests of the stream run on each.
STREAMS: dict[str, type[FormulaStream]] = {
    "python": FormulaStream,
    **({"compiled": COMPILED_STREAM} if COMPILED_STREAM is not None else {}),
}
