"""A session's live chart: candles with volume, fills, the average price and the rule's indicators.

Price indicators (``sma(close, 20)``) are drawn over the candles, volume ones over the volume
bars, and the others (RSI, ATR…) in a pane of their own. The chart redraws on a timer, and only
when the bar store says something it shows has changed: a burst of facts costs one redraw.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from livetrader_gui.application.read_models import IndicatorScale
from livetrader_gui.domain import Quote
from livetrader_gui.ui.charts.axes import BarTimeAxis, NumberAxis, theme_plot
from livetrader_gui.ui.charts.bar_store import BarStore, SeriesArrays
from livetrader_gui.ui.colours import PALETTE
from livetrader_gui.ui.theme import CHART_BACKGROUND

REDRAW_MS = 250
UP = "#26a69a"
DOWN = "#ef5350"
_PALETTE = ("#1e88e5", "#fb8c00", "#8e24aa", "#43a047", "#6d4c41", "#00897b")


class CandlestickItem(pg.GraphicsObject):  # type: ignore[misc]
    """Candles drawn once into a picture; redrawn only when the bars change."""

    def __init__(self) -> None:
        super().__init__()
        self._picture = QPicture()

    def set_bars(self, bars: SeriesArrays) -> None:
        picture = QPicture()
        painter = QPainter(picture)
        half = 0.35
        # Two pens and brushes for every candle: making them per candle was most of a redraw.
        styles = {
            True: (pg.mkPen(UP, width=1, cosmetic=True), pg.mkBrush(UP)),
            False: (pg.mkPen(DOWN, width=1, cosmetic=True), pg.mkBrush(DOWN)),
        }
        rising = None
        for x, o, h, lo, c in zip(
            bars.x.tolist(),
            bars.open.tolist(),
            bars.high.tolist(),
            bars.low.tolist(),
            bars.close.tolist(),
            strict=True,
        ):
            if (c >= o) is not rising:
                rising = c >= o
                pen, brush = styles[rising]
                painter.setPen(pen)
                painter.setBrush(brush)
            painter.drawLine(QPointF(x, lo), QPointF(x, h))
            painter.drawRect(QRectF(x - half, o, 2 * half, c - o))
        painter.end()
        self.prepareGeometryChange()
        self._picture = picture
        self.update()

    def paint(self, painter: QPainter, *_: Any) -> None:
        self._picture.play(painter)

    def boundingRect(self) -> QRectF:
        return QRectF(self._picture.boundingRect())


class CandleChart(QWidget):
    """The chart of one symbol of the selected session, with a symbol picker."""

    def __init__(
        self,
        store: BarStore,
        timezone: str = "UTC",
        parent: Any = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._names = names or {}
        self._store = store
        self._session: str | None = None
        self._symbol: str | None = None
        self._drawn = -2
        self._last_prices: dict[str, Decimal] = {}
        self.symbol_box = QComboBox()
        self.symbol_box.currentIndexChanged.connect(
            lambda _: self._on_symbol_chosen(self.symbol_box.currentData() or "")
        )
        self.caption = QLabel("")
        top = QHBoxLayout()
        top.addWidget(QLabel("Symbol"))
        top.addWidget(self.symbol_box)
        top.addWidget(self.caption, 1)
        self.canvas = pg.GraphicsLayoutWidget()
        zone = ZoneInfo(timezone)
        self.axes = [BarTimeAxis(zone) for _ in range(3)]
        self.price, self.volume, self.own = (
            self.canvas.addPlot(row=row, col=0, axisItems={"bottom": axis, "left": NumberAxis()})
            for row, axis in enumerate(self.axes)
        )
        self.volume.setXLink(self.price)
        self.own.setXLink(self.price)
        layout = self.canvas.ci.layout
        layout.setRowStretchFactor(0, 5)
        layout.setRowStretchFactor(1, 1)
        layout.setRowStretchFactor(2, 2)
        for plot in (self.price, self.volume, self.own):
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setClipToView(True)
        self.price.setLabel("left", "Price")
        self.volume.setLabel("left", "Volume")
        self.own.setLabel("left", "Indicators")
        for plot in (self.price, self.volume, self.own):
            plot.getAxis("left").setWidth(72)  # the panes' time axes line up
        self.price.addLegend(offset=(8, 8))
        self.candles = CandlestickItem()
        # Above the indicators: a line equal to the price (ref(close, 1)) must not hide them.
        self.candles.setZValue(10)
        self.price.addItem(self.candles)
        self.volume_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#90a4ae")
        self.volume.addItem(self.volume_bars)
        self.buys = pg.ScatterPlotItem(symbol="t1", size=12, brush=UP, pen="k", name="buy fills")
        self.sells = pg.ScatterPlotItem(symbol="t", size=12, brush=DOWN, pen="k", name="sell fills")
        self.price.addItem(self.buys)
        self.price.addItem(self.sells)
        self.average_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen("#fdd835", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            label="avg {value:,.0f}",
            labelOpts={"position": 0.12},
        )
        self.last_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen("#9e9e9e", width=1, style=pg.QtCore.Qt.PenStyle.DotLine),
            label="{value:,.0f}",
            # At the right edge, white on dark grey, above everything: legible on any candle.
            labelOpts={
                "position": 0.98,
                "color": "#ffffff",
                "fill": pg.mkBrush("#37474fe6"),
                "anchors": [(1, 0.5), (1, 0.5)],
            },
        )
        self.last_line.setZValue(30)
        self.price.addItem(self.average_line)
        self.price.addItem(self.last_line)
        self.average_line.hide()
        self.last_line.hide()
        self.lines: dict[str, pg.PlotDataItem] = {}
        self._in_legend: set[str] = set()
        self._show_own_pane(False)
        self.message = QLabel("Select a session to see its chart.")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.canvas)
        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addWidget(self.pages)
        PALETTE.changed.connect(self._on_palette_changed)
        self._on_palette_changed()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    def _on_palette_changed(self) -> None:
        self.canvas.setBackground(CHART_BACKGROUND[PALETTE.theme])
        for plot in (self.price, self.volume, self.own):
            theme_plot(plot, PALETTE.theme.value)

    # ------------------------------------------------------------------ what is shown

    def show_session(self, session_id: str | None, symbols: tuple[str, ...] = ()) -> None:
        """Chart *session_id*, offering its *symbols*."""
        self._session = session_id
        self.symbol_box.blockSignals(True)
        self.symbol_box.clear()
        for symbol in symbols:
            name = self._names.get(symbol)
            self.symbol_box.addItem(f"{symbol} {name}" if name else symbol, symbol)
        self.symbol_box.blockSignals(False)
        self._on_symbol_chosen(symbols[0] if symbols else "")

    def _on_symbol_chosen(self, symbol: str) -> None:
        self._symbol = symbol or None
        self._drawn = -2
        for line in self.lines.values():
            self.price.removeItem(line)
            self.volume.removeItem(line)
            self.own.removeItem(line)
        self.lines.clear()
        self._in_legend.clear()
        if self.price.legend is not None:
            self.price.legend.clear()
        self.redraw()

    def _on_quote_received(self, quote: Quote) -> None:
        self._last_prices[quote.symbol] = quote.last

    # ------------------------------------------------------------------ drawing

    def redraw(self) -> None:
        """Redraw what changed since the last redraw."""
        session, symbol = self._session, self._symbol
        if session is None or symbol is None:
            self.caption.setText("")
            self._say("Select a session to see its chart.")
            return
        last = self._last_prices.get(symbol)
        if last is not None:
            self.last_line.show()
            self.last_line.setValue(float(last))
        version = self._store.version(session, symbol)
        if version == self._drawn:
            return
        self._drawn = version
        bars = self._store.arrays(session, symbol)
        for axis in self.axes:
            axis.starts = bars.x
        bars.x = np.arange(len(bars.x), dtype=np.float64)  # drawn by bar number, labelled by time
        self.candles.set_bars(bars)
        self.volume_bars.setOpts(x=bars.x, height=bars.volume)
        self._draw_indicators(bars)
        self._draw_fills(session, symbol, self.axes[0].starts)
        average = self._store.average_price(session, symbol)
        if average is None:
            self.average_line.hide()
        else:
            self.average_line.show()  # before the value: a hidden line's label does not follow
            self.average_line.setValue(float(average))
        if len(bars.x):
            self.caption.setText(f"{len(bars.x)} one-minute candles")
            self.pages.setCurrentWidget(self.canvas)
        else:
            self.caption.setText("")
            self._say(f"No candles of {symbol} yet: they are drawn as the session's minutes close.")

    def _say(self, message: str) -> None:
        """Show *message* instead of empty axes."""
        self.message.setText(message)
        self.pages.setCurrentWidget(self.message)

    def _draw_indicators(self, bars: SeriesArrays) -> None:
        plots = {
            IndicatorScale.PRICE: self.price,
            IndicatorScale.VOLUME: self.volume,
            IndicatorScale.OWN: self.own,
        }
        for label, (scale, series) in bars.indicators.items():
            line = self.lines.get(label)
            if line is None:
                colour = _PALETTE[len(self.lines) % len(_PALETTE)]
                # No name: the legend gets the line once it has a value to show.
                line = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.5), connect="finite")
                line.setZValue(5)
                plots[scale].addItem(line)
                self.lines[label] = line
            line.setData(bars.x, series)
            legend = self.price.legend
            if label not in self._in_legend and legend is not None and np.isfinite(series).any():
                legend.addItem(line, label)
                self._in_legend.add(label)
                theme_plot(self.price, PALETTE.theme.value)
        own = [
            label for label, (scale, _) in bars.indicators.items() if scale is IndicatorScale.OWN
        ]
        if own:
            self.own.setLabel("left", ", ".join(_short(label) for label in own))
        self._show_own_pane(bool(own))

    def _show_own_pane(self, shown: bool) -> None:
        # A hidden plot keeps its row in the layout: give the row no height instead.
        self.own.setVisible(shown)
        self.own.setMaximumHeight(10_000 if shown else 0)
        self.canvas.ci.layout.setRowStretchFactor(2, 2 if shown else 0)

    def _draw_fills(self, session: str, symbol: str, starts: np.ndarray) -> None:
        markers = self._store.markers(session, symbol)
        # A fill is drawn on the candle whose minute it happened in (the last one if later).
        bar = np.searchsorted(starts, [m.x for m in markers], side="right") - 1.0
        buys = [i for i, m in enumerate(markers) if m.buy]
        sells = [i for i, m in enumerate(markers) if not m.buy]
        self.buys.setData(bar[buys], np.array([markers[i].price for i in buys]))
        self.sells.setData(bar[sells], np.array([markers[i].price for i in sells]))


def _short(label: str) -> str:
    """Return the indicator of *label* by name and period: ``rsi(close, 14)`` → ``RSI 14``."""
    name, _, rest = label.partition("(")
    numbers = [part.strip(" )") for part in rest.split(",") if part.strip(" )").isdigit()]
    return " ".join([name.upper(), *numbers])
