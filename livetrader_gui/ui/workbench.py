"""The trading area of the main window: the sessions, the selected session, the market watch.

It routes the engine's facts to the parts that show them and, when a session is selected, reads
what that session held before the window saw its facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from livetrader_gui.application.desk import SessionView, TradingDesk
from livetrader_gui.application.read_models import BarSnapshot, SessionSnapshot
from livetrader_gui.domain import RiskStatus, SessionStatus
from livetrader_gui.ui.charts.bar_store import BarStore
from livetrader_gui.ui.commands import CommandRunner, Confirm
from livetrader_gui.ui.qt_bridge import EngineSignals
from livetrader_gui.ui.widgets.manual_queue import ManualQueue
from livetrader_gui.ui.widgets.session_panel import SessionPanel
from livetrader_gui.ui.widgets.sessions_panel import SessionsPanel


class Workbench(QWidget):
    """Sessions on the left, above the market watch; the selected session on the right."""

    def __init__(
        self,
        desk: TradingDesk,
        signals: EngineSignals,
        bars: BarStore,
        commands: CommandRunner,
        confirm: Confirm,
        timezone: str,
        failed: Sequence[SessionSnapshot] = (),
        parent: Any = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """*failed* are the sessions that came back in ERROR: they have no runner and wait
        for the trader to recover or stop them."""
        super().__init__(parent)
        self._desk = desk
        self._bars = bars
        self._commands = commands
        self._risk: dict[str, RiskStatus] = {}
        self._charted: set[str] = set()  # sessions whose history was read back for the chart
        self.sessions = SessionsPanel(desk, commands, confirm, timezone)
        self.session = SessionPanel(bars, timezone, names=names)
        self.queue = ManualQueue(desk, commands, commands.report, names=names)
        self.session.add_queue(self.queue)
        self.queue.count_changed.connect(self.session.count_queue)
        self._left = QSplitter(Qt.Orientation.Vertical)
        self._left.addWidget(self.sessions)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._left)
        self.splitter.addWidget(self.session)
        # Room for the market watch's main columns at 1280 pixels (QUOTE_WIDTHS).
        self.splitter.setSizes([610, 670])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._connect(signals)
        self.sessions.session_selected.connect(self._on_session_selected)
        for session in (*desk.sessions(), *failed):
            self.sessions.model.push_session(session)
        self.sessions.model.flush()

    def add_market_watch(self, market: QWidget) -> None:
        """Put the market watch under the sessions."""
        self._left.addWidget(market)

    def _connect(self, signals: EngineSignals) -> None:
        panel = self.session
        signals.quote_received.connect(panel.chart._on_quote_received)
        signals.session_status_changed.connect(self._on_session_status_changed)
        signals.risk_status_changed.connect(self._on_risk_status_changed)
        signals.position_changed.connect(panel.positions.push)
        signals.position_changed.connect(self._bars.set_position)
        signals.order_updated.connect(panel.orders.push)
        signals.order_updated.connect(self._bars.add_order)
        signals.signal_emitted.connect(panel.signals.push)
        signals.signal_emitted.connect(self.queue.model.push)
        signals.log_added.connect(panel.activity.push)
        signals.candle_closed.connect(self._bars.add_bar)

    def _shown(self, session_id: str) -> bool:
        shown = self.session.session
        return shown is not None and shown.session_id == session_id

    def _on_session_status_changed(self, session: SessionSnapshot) -> None:
        self.sessions.model.push_session(session)
        if self._shown(session.session_id):
            self.session.show_session(session)
            self.queue.show_session(session)  # what Execute may do follows the session's state

    def _on_risk_status_changed(self, status: RiskStatus) -> None:
        self._risk[status.session_id] = status
        self.sessions.model.push_risk(status)
        if self._shown(status.session_id):
            self.session.gauge._on_risk_status_changed(status)

    def _on_session_selected(self, session: SessionSnapshot | None) -> None:
        self.session.show_session(session)
        self.queue.show_session(session)
        if session is None:
            return
        if (status := self._risk.get(session.session_id)) is not None:
            self.session.gauge._on_risk_status_changed(status)
        if session.status not in (SessionStatus.RUNNING, SessionStatus.PAUSED):
            return  # a stopped session has no runner to read: its rows are what was seen
        self._commands.run(
            "Loading the session", self._desk.view(session.session_id), self._load_view
        )
        if session.session_id not in self._charted:  # once: later bars come as they close
            self._charted.add(session.session_id)
            self._commands.run(
                "Loading the chart",
                self._desk.chart_history(session.session_id),
                self._load_chart,
                lambda _: self._charted.discard(session.session_id),  # the next click tries again
            )

    def _load_chart(self, history: dict[str, list[BarSnapshot]]) -> None:
        """Draw the candles read back from the broker before those the session reported."""
        for bars in history.values():
            self._bars.load(bars)
        self.session.chart.redraw()

    def _load_view(self, view: SessionView) -> None:
        """Fill the tables with what the session held before this window saw its facts."""
        panel = self.session
        panel.positions.load(list(view.positions))
        panel.orders.load(list(view.orders))
        panel.signals.load(list(view.pending_signals))
        self.queue.model.load(list(view.pending_signals))
        for position in view.positions:
            self._bars.set_position(position)
        if view.session.session_id not in self._risk:
            self._on_risk_status_changed(view.risk)
