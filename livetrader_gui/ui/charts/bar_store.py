"""What the chart draws, kept apart from the drawing: bars, indicators and fills per symbol.

The store takes every session's facts as they arrive, whichever chart is on screen, so that a
chart opened later shows the history since the session started (its warm-up included). Bars are
kept as columns of floats, not as the snapshots that brought them: 200 symbols of a thousand
bars take about 14 MB instead of 170 MB, and a redraw slices arrays instead of converting
objects.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
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
# Old bars are dropped in batches of this many, so that a new bar does not move every column.
_TRIM_SLACK = 100
_FIELDS = ("x", "open", "high", "low", "close", "volume")


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


def _column(length: int = 0) -> array[float]:
    return array("d", [math.nan]) * length


@dataclass(slots=True)
class _Symbol:
    columns: dict[str, array[float]] = field(
        default_factory=lambda: {f: _column() for f in _FIELDS}
    )
    indicators: dict[str, tuple[IndicatorScale, array[float]]] = field(default_factory=dict)
    markers: dict[str, Marker] = field(default_factory=dict)  # by client order id
    average_price: Decimal | None = None
    version: int = 0  # bumped on every change: the chart redraws only what moved

    def __len__(self) -> int:
        return len(self.columns["x"])

    def _all(self) -> list[array[float]]:
        return [*self.columns.values(), *(series for _, series in self.indicators.values())]

    def drop_last(self) -> None:
        for column in self._all():
            column.pop()

    def append(self, bar: BarSnapshot) -> None:
        candle = bar.candle
        count = len(self)
        columns = self.columns
        columns["x"].append(candle.start.timestamp())
        columns["open"].append(float(candle.open))
        columns["high"].append(float(candle.high))
        columns["low"].append(float(candle.low))
        columns["close"].append(float(candle.close))
        columns["volume"].append(float(candle.volume))
        for indicator in bar.indicators:
            if indicator.label not in self.indicators:
                # A label first seen now: the bars before it had no value.
                self.indicators[indicator.label] = (indicator.scale, _column(count))
            value = indicator.value
            self.indicators[indicator.label][1].append(value if math.isfinite(value) else math.nan)
        for _, series in self.indicators.values():
            if len(series) == count:  # a label this bar did not bring
                series.append(math.nan)
        if count + 1 > MAX_BARS + _TRIM_SLACK:
            for column in self._all():
                del column[: count + 1 - MAX_BARS]


class BarStore:
    """Bars, fills and average prices of every session's symbols."""

    def __init__(self) -> None:
        self._symbols: dict[tuple[str, str], _Symbol] = {}

    def _get(self, session_id: str, symbol: str) -> _Symbol:
        kept = self._symbols.get((session_id, symbol))
        if kept is None:  # not setdefault: that would build empty columns on every call
            kept = self._symbols[(session_id, symbol)] = _Symbol()
        return kept

    def add_bar(self, bar: BarSnapshot) -> None:
        """Record a closed candle (a repeated one replaces the last)."""
        kept = self._get(bar.session_id, bar.symbol)
        starts = kept.columns["x"]
        start = bar.candle.start.timestamp()
        if starts and starts[-1] >= start:
            if starts[-1] > start:
                return  # older than what is drawn: the chart only moves forward
            kept.drop_last()
        kept.append(bar)
        kept.version += 1

    def load(self, bars: Sequence[BarSnapshot]) -> None:
        """Put *bars* read back from the broker (oldest first, one symbol of one session)
        before the bars the session reported: a restored session charts its history at once.
        Only bars older than the first one kept are taken."""
        if not bars:
            return
        key = (bars[0].session_id, bars[0].symbol)
        kept = self._get(*key)
        first = kept.columns["x"][0] if len(kept) else math.inf
        history = _Symbol()
        for bar in bars:
            start = bar.candle.start.timestamp()
            if start < first and (not len(history) or start > history.columns["x"][-1]):
                history.append(bar)
        if not len(history):
            return
        before, after = len(history), len(kept)
        for name in _FIELDS:
            history.columns[name].extend(kept.columns[name])
        for label in {*history.indicators, *kept.indicators}:
            scale = (history.indicators.get(label) or kept.indicators[label])[0]
            older = history.indicators.get(label, (scale, _column(before)))[1]
            newer = kept.indicators.get(label, (scale, _column(after)))[1]
            history.indicators[label] = (scale, older + newer)
        total = before + after
        if total > MAX_BARS:
            for column in history._all():
                del column[: total - MAX_BARS]
        history.markers = kept.markers
        history.average_price = kept.average_price
        history.version = kept.version + 1
        self._symbols[key] = history

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
            s for (sid, s), kept in self._symbols.items() if sid == session_id and len(kept)
        )

    def version(self, session_id: str, symbol: str) -> int:
        """Return a number that changes whenever the symbol's drawing should."""
        kept = self._symbols.get((session_id, symbol))
        return -1 if kept is None else kept.version

    def arrays(self, session_id: str, symbol: str) -> SeriesArrays:
        """Return the symbol's last bars and indicators as arrays (empty when there are none)."""
        kept = self._get(session_id, symbol)

        def last(column: array[float]) -> np.ndarray:
            return np.array(column[-MAX_BARS:], dtype=np.float64)

        columns = {name: last(column) for name, column in kept.columns.items()}
        return SeriesArrays(
            **columns,
            indicators={
                label: (scale, last(series)) for label, (scale, series) in kept.indicators.items()
            },
        )

    def markers(self, session_id: str, symbol: str) -> list[Marker]:
        """Return the fills of the symbol."""
        return list(self._get(session_id, symbol).markers.values())

    def average_price(self, session_id: str, symbol: str) -> Decimal | None:
        """Return the average price of the open position, if any."""
        return self._get(session_id, symbol).average_price
