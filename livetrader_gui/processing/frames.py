"""Candles as the columns the engine computes on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from livetrader_gui.domain.market import Candle


def candles_frame(candles: Sequence[Candle]) -> pd.DataFrame:
    """Return *candles* (oldest first) as float64 OHLCV columns indexed by their start time."""
    index = pd.DatetimeIndex([candle.start for candle in candles], name="start")
    if index.tz is None:
        index = index.tz_localize("UTC")
    data = np.array(
        [
            (float(c.open), float(c.high), float(c.low), float(c.close), float(c.volume))
            for c in candles
        ],
        dtype=np.float64,
    ).reshape(len(candles), 5)
    return pd.DataFrame(data, index=index, columns=["open", "high", "low", "close", "volume"])
