"""Domain candles become the float columns the engine computes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from livetrader_gui.domain.market import Candle
from livetrader_gui.processing import ProcessingEngine
from livetrader_gui.processing.frames import candles_frame

START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def test_candles_become_float_columns_indexed_by_their_start() -> None:
    candles = [
        Candle(
            "005930",
            START + timedelta(minutes=i),
            Decimal(100 + i),
            Decimal(101 + i),
            Decimal(99 + i),
            Decimal("100.5") + i,
            Decimal(1000),
        )
        for i in range(3)
    ]
    frame = candles_frame(candles)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame["close"].tolist() == [100.5, 101.5, 102.5]
    assert frame.index[0] == START
    assert str(frame.index.tz) == "UTC"  # type: ignore[attr-defined]
    assert ProcessingEngine().evaluate_formula("close > open", frame).all()


def test_no_candles_make_an_empty_frame() -> None:
    frame = candles_frame([])
    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
