"""The selected session: its risk gauge, live chart, and positions, orders, signals and log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.ui.charts.bar_store import BarStore
from livetrader_gui.ui.charts.candle_chart import CandleChart
from livetrader_gui.ui.colours import HEADING, PALETTE, Tone, style_label
from livetrader_gui.ui.models.activity_table_model import ActivityTableModel
from livetrader_gui.ui.models.session_table_models import (
    OrdersTableModel,
    PositionsTableModel,
    SignalsTableModel,
)
from livetrader_gui.ui.widgets.risk_gauge import RiskGauge
from livetrader_gui.ui.widgets.tables import table

# What the Activity tab shows: a pattern over the Level column.
ACTIVITY_LEVELS = {
    "Everything": "",
    "Warnings and errors": "^(WARNING|ERROR)$",
    "Errors only": "^ERROR$",
}


class SessionPanel(QWidget):
    """Everything about one session; ``show_session`` switches every part at once."""

    def __init__(
        self,
        store: BarStore,
        timezone: str,
        parent: Any = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.heading = QLabel("No session — start one with Go live or Paper trade")
        style_label(self.heading, css=HEADING)
        self.gauge = RiskGauge()
        self.chart = CandleChart(store, timezone, names=names)
        self.positions = PositionsTableModel(parent=self, names=names)
        self.orders = OrdersTableModel(timezone, parent=self, names=names)
        self.signals = SignalsTableModel(timezone, parent=self, names=names)
        self.activity = ActivityTableModel(timezone, parent=self)
        self.tabs = QTabWidget()
        self.tabs.addTab(table(self.positions), "Positions")
        self.tabs.addTab(table(self.orders), "Orders")
        self.tabs.addTab(table(self.signals), "Signals")
        # The Activity tab: every line of the session's story, filtered by level if asked.
        self.activity_filter = QSortFilterProxyModel(self)
        self.activity_filter.setSourceModel(self.activity)
        self.activity_filter.setFilterKeyColumn(1)
        self.activity_view = table(self.activity_filter, (70, 76))
        self.levels = QComboBox()
        for label, pattern in ACTIVITY_LEVELS.items():
            self.levels.addItem(label, pattern)
        self.levels.currentIndexChanged.connect(self._on_level_chosen)
        shown = QHBoxLayout()
        shown.addWidget(QLabel("Show"))
        shown.addWidget(self.levels)
        shown.addStretch(1)
        activity = QWidget()
        column = QVBoxLayout(activity)
        column.setContentsMargins(0, 2, 0, 0)
        column.addLayout(shown)
        column.addWidget(self.activity_view)
        self.tabs.addTab(activity, "Activity")
        self.activity_filter.rowsInserted.connect(lambda *_: self.activity_view.scrollToBottom())
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.chart)
        top.addWidget(self.gauge)
        top.setStretchFactor(0, 4)
        top.setStretchFactor(1, 1)
        top.setSizes([460, 200])  # the chart gets the room; the gauge needs little
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(self.tabs)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([450, 250])
        self.splitter = body
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(body)
        self.session: SessionSnapshot | None = None

    def _on_level_chosen(self) -> None:
        self.activity_filter.setFilterRegularExpression(
            QRegularExpression(str(self.levels.currentData()))
        )

    def add_queue(self, queue: QWidget) -> None:
        """Put the MANUAL queue first among the tabs."""
        self.tabs.insertTab(0, queue, "Queue")
        self.tabs.setCurrentIndex(0)
        self._queue = queue

    def count_queue(self, waiting: int) -> None:
        """Say on the queue's tab how many signals wait, in the warning colour when any do."""
        index = self.tabs.indexOf(self._queue)
        self.tabs.setTabText(index, f"Queue ({waiting})" if waiting else "Queue")
        self.tabs.tabBar().setTabTextColor(
            index, PALETTE.colour(Tone.WARN) if waiting else QColor()
        )

    def show_session(self, session: SessionSnapshot | None) -> None:
        """Show *session* (None: nothing)."""
        switched = (session and session.session_id) != (self.session and self.session.session_id)
        self.session = session
        self._set_heading(session)
        if not switched:
            return
        session_id = session.session_id if session else None
        for model in (self.positions, self.orders, self.signals, self.activity):
            model.show_session(session_id)
        self.chart.show_session(session_id, session.symbols if session else ())
        if session is None:
            self.gauge.clear()

    def _set_heading(self, session: SessionSnapshot | None) -> None:
        if session is None:
            self.heading.setText("No session — start one with Go live or Paper trade")
            style_label(self.heading, css=HEADING)
            return
        money = "paper" if session.is_paper else "LIVE, real orders"
        self.heading.setText(
            f"{session.strategy_name} on {session.broker_id} · "
            f"{session.execution_mode.value} · {money} · {session.status.value}"
        )
        # Real money is never mistaken for paper: its heading is in the warning red.
        style_label(self.heading, None if session.is_paper else Tone.BAD, HEADING)
