"""MANUAL mode: the signals waiting for the trader, each with the time it has left.

Execute re-checks the risk on a fresh quote before anything is sent, and says what came of it;
Dismiss lets the signal go. Both act on the selected signal, or on the oldest when none is
selected, and have shortcuts (Ctrl+E, Ctrl+D) that the main window's Trading menu carries. A
signal whose execute is under way cannot be executed again: its buttons wait for the answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from livetrader_gui.application.desk import TradingDesk
from livetrader_gui.application.live_trading.exceptions import SessionNotFoundError
from livetrader_gui.application.read_models import OrderSnapshot, SessionSnapshot, SignalSnapshot
from livetrader_gui.domain import ExecutionMode, SignalStatus
from livetrader_gui.ui.colours import Tone
from livetrader_gui.ui.commands import CommandRunner
from livetrader_gui.ui.models.snapshot_table_model import Row, SnapshotTableModel, number
from livetrader_gui.ui.widgets.tables import table

COUNTDOWN_MS = 1_000
EXPIRES_COLUMN = 5


def countdown(expires_at: datetime | None, now: datetime | None) -> str:
    """Return the time left as m:ss, "expired" once it has run out, or "" when unknown."""
    if expires_at is None or now is None:
        return ""
    left = (expires_at - now).total_seconds()
    if left <= 0:
        return "expired"
    seconds = math.ceil(left)
    return f"{seconds // 60}:{seconds % 60:02d}"


class PendingSignalsModel(SnapshotTableModel):
    """The session's PENDING signals; a signal leaves the table once it is closed."""

    COLUMNS = ("Symbol", "Side", "Quantity", "Price", "Reason", "Expires in")
    NUMERIC = frozenset({2, 3, EXPIRES_COLUMN})

    def __init__(self, parent: Any = None, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.now: datetime | None = None

    def key(self, item: SignalSnapshot) -> str:
        return item.signal_id

    def keep(self, item: SignalSnapshot) -> bool:
        return item.status is SignalStatus.PENDING

    def format(self, item: SignalSnapshot) -> Row:
        left = countdown(item.expires_at, self.now)
        return Row(
            item,
            [
                self.symbol(item.symbol),
                item.direction.value,
                number(item.quantity),
                number(item.price),
                item.reason.value.replace("_", " ").lower(),
                left,
            ],
            {1: Tone.UP if item.direction.value == "BUY" else Tone.DOWN, EXPIRES_COLUMN: Tone.WARN},
        )

    def tick(self, now: datetime) -> None:
        """Count every row down to *now*: one ``dataChanged`` over the countdown column."""
        self.now = now
        if not self._rows:
            return
        for row in self._rows:
            row.cells[EXPIRES_COLUMN] = countdown(row.item.expires_at, now)
        self.dataChanged.emit(
            self.index(0, EXPIRES_COLUMN), self.index(len(self._rows) - 1, EXPIRES_COLUMN)
        )


class ManualQueue(QWidget):
    """The pending signals of the selected session, with Execute and Dismiss."""

    count_changed = Signal(int)

    def __init__(
        self,
        desk: TradingDesk,
        commands: CommandRunner,
        report: Any,
        parent: Any = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._commands = commands
        self._report = report
        self._session_id: str | None = None
        self._busy: set[str] = set()  # signals whose execute or dismiss is under way
        self.model = PendingSignalsModel(parent=self, names=names)
        self.view = table(self.model)
        self.hint = QLabel("No session selected.")
        self.hint.setWordWrap(True)
        self.execute_action = QAction("Execute signal", self)
        self.execute_action.setShortcut(QKeySequence("Ctrl+E"))
        self.execute_action.setToolTip(
            "Re-check the risk on a fresh quote, then send the order (Ctrl+E)"
        )
        self.dismiss_action = QAction("Dismiss signal", self)
        self.dismiss_action.setShortcut(QKeySequence("Ctrl+D"))
        self.dismiss_action.setToolTip("Let the signal go without trading (Ctrl+D)")
        self.execute_button = QPushButton("Execute (Ctrl+E)")
        self.dismiss_button = QPushButton("Dismiss (Ctrl+D)")
        self.execute_button.clicked.connect(self.execute_action.trigger)
        self.dismiss_button.clicked.connect(self.dismiss_action.trigger)
        self.execute_action.triggered.connect(self.execute)
        self.dismiss_action.triggered.connect(self.dismiss)
        buttons = QHBoxLayout()
        buttons.addWidget(self.execute_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.model.rowsInserted.connect(self._on_rows_changed)
        self.model.rowsRemoved.connect(self._on_rows_changed)
        self.model.modelReset.connect(self._on_rows_changed)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._refresh())
        self._timer = QTimer(self)
        self._timer.setInterval(COUNTDOWN_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self._session: SessionSnapshot | None = None
        self._refresh()

    def show_session(self, session: SessionSnapshot | None) -> None:
        """Show the queue of *session* (called again whenever its state changes)."""
        self._session = session
        self._session_id = session.session_id if session is not None else None
        self.model.show_session(self._session_id)
        self.tick()
        self._refresh()

    def tick(self) -> None:
        """Count the pending signals down on the session's own clock."""
        if self._session_id is None or self.model.rowCount() == 0:
            return
        try:
            now = self._desk.session_time(self._session_id)
        except SessionNotFoundError:
            return  # the session has stopped: its signals were closed with it
        self.model.tick(now)

    def current(self) -> SignalSnapshot | None:
        """Return the selected pending signal, or the oldest one when none is selected."""
        rows = self.view.selectionModel().selectedRows()
        if rows:
            item: SignalSnapshot = self.model.item(rows[0].row())
            return item
        return self.model.item(0) if self.model.rowCount() else None

    def _on_rows_changed(self, *_: Any) -> None:
        self.count_changed.emit(self.model.rowCount())
        self._refresh()

    def _refresh(self) -> None:
        signal = self.current()
        usable = signal is not None and signal.signal_id not in self._busy
        session = self._session
        refusal = (
            self._desk.refusal(session, signal.direction)
            if session is not None and signal is not None
            else None
        )
        self.execute_button.setEnabled(usable and refusal is None)
        self.execute_action.setEnabled(usable and refusal is None)
        self.dismiss_button.setEnabled(usable)
        self.dismiss_action.setEnabled(usable)
        if session is None:
            self.hint.setText("No session selected.")
        elif session.execution_mode is ExecutionMode.AUTO:
            self.hint.setText("AUTO session: each signal is sent at once; nothing waits here.")
        elif signal is None:
            self.hint.setText("No signal is waiting. New signals of this session appear here.")
        elif refusal is not None:
            self.hint.setText(
                f"{self.model.rowCount()} signal(s) waiting. Execute is unavailable: {refusal}."
            )
        else:
            self.hint.setText(
                f"{self.model.rowCount()} signal(s) waiting. Execute re-checks the risk on a "
                "fresh quote before it sends the order."
            )

    # ------------------------------------------------------------------ the commands

    def execute(self) -> None:
        """Execute the current signal."""
        signal = self.current()
        if signal is None or signal.signal_id in self._busy:
            return
        self._busy.add(signal.signal_id)
        self._refresh()
        label = f"{signal.direction.value} {number(signal.quantity)} {signal.symbol}"
        self._report(f"Executing {label}: re-checking the risk…")
        self._commands.run(f"Execute {label}", self._executed(signal, label, signal.signal_id))

    async def _executed(self, signal: SignalSnapshot, label: str, signal_id: str) -> None:
        try:
            order: OrderSnapshot | None = await self._desk.execute_signal(
                signal.session_id, signal_id
            )
        finally:
            self._busy.discard(signal_id)
            self._refresh()
        if order is None:
            self._report(
                f"{label} not executed: the fresh risk check refused it (the Activity tab says why)"
            )
        elif order.reject_reason:
            self._report(f"{label}: order {order.status.value.lower()}: {order.reject_reason}")
        else:
            self._report(f"{label}: order {order.client_order_id} {order.status.value}")

    def dismiss(self) -> None:
        """Dismiss the current signal."""
        signal = self.current()
        if signal is None or signal.signal_id in self._busy:
            return
        self._busy.add(signal.signal_id)
        self._refresh()
        label = f"{signal.direction.value} {number(signal.quantity)} {signal.symbol}"
        self._commands.run(f"Dismiss {label}", self._dismissed(signal, label))

    async def _dismissed(self, signal: SignalSnapshot, label: str) -> None:
        try:
            await self._desk.dismiss_signal(signal.session_id, signal.signal_id)
        finally:
            self._busy.discard(signal.signal_id)
            self._refresh()
        self._report(f"{label} dismissed")
