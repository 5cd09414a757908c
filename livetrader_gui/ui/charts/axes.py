"""Chart axes a trader reads: times over bar numbers with the date where the day changes, and
numbers written out with thousands separators (61,500 and 10,250,000, never 6.15e4 or 1e+07)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyqtgraph as pg


class BarTimeAxis(pg.AxisItem):  # type: ignore[misc]
    """A time axis over bar numbers: nights, weekends and holidays take no room on the chart.

    ``starts`` holds each bar's start in epoch seconds. The first bar of each day on screen is a
    major tick labelled with its date; between them, bars at round times (every 5 minutes up to
    every 4 hours, as room allows) are labelled with their time. Over more days than fit, only
    some days are labelled.
    """

    def __init__(self, zone: ZoneInfo, orientation: str = "bottom") -> None:
        super().__init__(orientation=orientation)
        self._zone = zone
        self._starts = np.empty(0)
        self._days = np.empty(0, dtype=np.int64)
        self._minutes = np.empty(0, dtype=np.int64)
        self._first = np.empty(0, dtype=bool)  # True where a bar opens its day
        self._long = False

    @property
    def starts(self) -> np.ndarray:
        return self._starts

    @starts.setter
    def starts(self, value: np.ndarray) -> None:
        self._starts = np.asarray(value, dtype=np.float64)
        local = pd.to_datetime(self._starts, unit="s", utc=True).tz_convert(self._zone)
        # The local date as one number (20261124): the days of the chart's time zone.
        self._days = np.asarray(local.year * 10_000 + local.month * 100 + local.day, dtype=np.int64)
        self._minutes = np.asarray(local.hour * 60 + local.minute, dtype=np.int64)
        first = np.ones(len(self._days), dtype=bool)
        first[1:] = self._days[1:] != self._days[:-1]
        self._first = first

    def tickValues(self, first: float, last: float, size: float) -> list[Any]:
        count = len(self._starts)
        low, high = max(0, int(np.ceil(first))), min(count - 1, int(np.floor(last)))
        if count == 0 or high < low:
            return []
        room = max(2, int(size / 80))  # labels of about 80 pixels
        bars = np.arange(low, high + 1)
        days = bars[self._first[bars]]
        self._long = (self._starts[high] - self._starts[low]) > 180 * 86_400
        if len(days) >= room:
            return [(1.0, days[:: int(np.ceil(len(days) / room))].tolist())]
        minutes = self._minutes[bars]
        for step in _STEPS:
            times = bars[(minutes % step == 0) & ~self._first[bars]]
            if len(times) + len(days) <= room:
                break
        return [(1.0, days.tolist()), (0.5, times.tolist())]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        labels = []
        for value in values:
            i = round(value)
            if not 0 <= i < len(self._starts):
                labels.append("")
                continue
            moment = datetime.fromtimestamp(float(self._starts[i]), self._zone)
            if self._first[i]:
                labels.append(moment.strftime("%Y-%m-%d" if self._long else "%b %d"))
            else:
                labels.append(moment.strftime("%H:%M"))
        return labels


_STEPS = (5, 10, 15, 30, 60, 120, 240, 24 * 60)


class NumberAxis(pg.AxisItem):  # type: ignore[misc]
    """A value axis written in full with thousands separators, decimals only where needed."""

    def __init__(self, orientation: str = "left", **kwargs: Any) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = 0 if spacing >= 1 else min(6, int(np.ceil(-np.log10(spacing))))
        return [f"{value * scale:,.{decimals}f}" for value in values]


# Axis text and lines, legend text and backing, per theme: each text reads at 4.5:1 or more.
_INK = {"light": ("#424242", "#9e9e9e", "#212121", (255, 255, 255, 215)),
        "dark": ("#c8ccd2", "#6f737a", "#dfe1e5", (30, 31, 34, 215))}  # fmt: skip


def theme_plot(plot: pg.PlotItem, theme: str) -> None:
    """Colour *plot*'s axes, labels and legend for the theme named *theme*."""
    text, line, legend_text, legend_back = _INK[theme]
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(line)
        axis.setTextPen(text)
        if axis.labelText:  # the label keeps its own colour: set it again in the new one
            axis.setLabel(axis.labelText, color=text)
    if plot.legend is not None:
        plot.legend.setBrush(legend_back)
        plot.legend.setLabelTextColor(legend_text)
        for _, label in plot.legend.items:
            label.setText(label.text, color=legend_text)
