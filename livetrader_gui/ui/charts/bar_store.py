"""What the chart draws, kept apart from the drawing: bars, indicators and fills per symbol.

The store takes every session's facts as they arrive, whichever chart is on screen, so that a
chart opened later shows the history since the session started (its warm-up included).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from livetrader_gui.application.read_models import (
    BarSnapshot,
    IndicatorScale,
    OrderSnapshot,
    PositionSnapshot,
)
from livetrader_gui.domain import OrderStatus, TradeDirection

MAX_BARS = 1_000  # per symbol: about two trading days of one-minute candles


@dataclass(slots=True)
class SeriesArrays:
    """A symbol's bars as float64 arrays, x in epoch seconds of the candle's start."""

    x: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    indicators: dict[str, tuple[IndicatorScale, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Marker:
    """A fill drawn on the chart: a buy below the candles, a sell above."""

    x: float
    price: float
    buy: bool


@dataclass(slots=True)
class _Symbol:
    bars: deque[BarSnapshot] = field(default_factory=lambda: deque(maxlen=MAX_BARS))
    markers: dict[str, Marker] = field(default_factory=dict)  # by client order id
    average_price: Decimal | None = None
    version: int = 0  # bumped on every change: the chart redraws only what moved


class BarStore:
    """Bars, fills and average prices of every session's symbols."""

    def __init__(self) -> None:
        self._symbols: dict[tuple[str, str], _Symbol] = {}

    def _get(self, session_id: str, symbol: str) -> _Symbol:
        return self._symbols.setdefault((session_id, symbol), _Symbol())

    def add_bar(self, bar: BarSnapshot) -> None:
        """Record a closed candle (a repeated one replaces the last)."""
        kept = self._get(bar.session_id, bar.symbol)
        if kept.bars and kept.bars[-1].candle.start >= bar.candle.start:
            if kept.bars[-1].candle.start > bar.candle.start:
                return  # older than what is drawn: the chart only moves forward
            kept.bars.pop()
        kept.bars.append(bar)
        kept.version += 1

    def add_order(self, order: OrderSnapshot) -> None:
        """Record a fill of *order* as a marker."""
        if order.session_id is None or order.average_fill_price is None:
            return
        if order.status not in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED):
            return
        kept = self._get(order.session_id, order.symbol)
        kept.markers[order.client_order_id] = Marker(
            order.updated_at.timestamp(),
            float(order.average_fill_price),
            order.direction is TradeDirection.BUY,
        )
        kept.version += 1

    def set_position(self, position: PositionSnapshot) -> None:
        """Record the average price of a position (none once it is flat)."""
        kept = self._get(position.session_id, position.symbol)
        average = None if position.quantity == 0 else position.average_price
        if average != kept.average_price:
            kept.average_price = average
            kept.version += 1

    def symbols(self, session_id: str) -> list[str]:
        """Return the symbols of *session_id* that have bars."""
        return sorted(
            s for (sid, s), kept in self._symbols.items() if sid == session_id and kept.bars
        )

    def version(self, session_id: str, symbol: str) -> int:
        """Return a number that changes whenever the symbol's drawing should."""
        kept = self._symbols.get((session_id, symbol))
        return -1 if kept is None else kept.version

    def arrays(self, session_id: str, symbol: str) -> SeriesArrays:
        """Return the symbol's bars and indicators as arrays (empty when there are none)."""
        bars = list(self._get(session_id, symbol).bars)
        candles = [b.candle for b in bars]
        x = np.array([c.start.timestamp() for c in candles], dtype=np.float64)
        indicators: dict[str, tuple[IndicatorScale, np.ndarray]] = {}
        for i, bar in enumerate(bars):
            for value in bar.indicators:
                if value.label not in indicators:
                    indicators[value.label] = (value.scale, np.full(len(bars), np.nan))
                indicators[value.label][1][i] = value.value
        for _, series in indicators.values():
            series[np.isinf(series)] = np.nan  # drawn as a gap, like a value still warming up
        return SeriesArrays(
            x=x,
            open=np.array([float(c.open) for c in candles], dtype=np.float64),
            high=np.array([float(c.high) for c in candles], dtype=np.float64),
            low=np.array([float(c.low) for c in candles], dtype=np.float64),
            close=np.array([float(c.close) for c in candles], dtype=np.float64),
            volume=np.array([float(c.volume) for c in candles], dtype=np.float64),
            indicators=indicators,
        )

    def markers(self, session_id: str, symbol: str) -> list[Marker]:
        """Return the fills of the symbol."""
        return list(self._get(session_id, symbol).markers.values())

    def average_price(self, session_id: str, symbol: str) -> Decimal | None:
        """Return the average price of the open position, if any."""
        return self._get(session_id, symbol).average_price
