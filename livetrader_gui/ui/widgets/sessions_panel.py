"""The sessions panel: every session of this run with its state and P&L; pause, resume, stop;
re-arm a halted session; recover or stop one that came back in error."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.application.desk import TradingDesk
from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.domain import RiskStatus, SessionStatus, TradingState
from livetrader_gui.ui.colours import Tone, signed
from livetrader_gui.ui.commands import CommandRunner, Confirm
from livetrader_gui.ui.models.snapshot_table_model import Row, SnapshotTableModel, number
from livetrader_gui.ui.widgets.tables import set_widths

_STATUS_TONE = {
    SessionStatus.RUNNING: Tone.GOOD,
    SessionStatus.PAUSED: Tone.WARN,
    SessionStatus.STOPPED: Tone.MUTED,
    SessionStatus.ERROR: Tone.BAD,
}
_STATE_TONE = {TradingState.REDUCING: Tone.WARN, TradingState.HALTED: Tone.BAD}
_ACTIVE = (SessionStatus.RUNNING, SessionStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session with its latest daily P&L."""

    session: SessionSnapshot
    daily_pnl: Decimal | None = None


class SessionsTableModel(SnapshotTableModel):
    """One row per session of this run; a stopped session stays, greyed."""

    COLUMNS = (
        "Strategy",
        "Started",
        "Money",
        "Broker",
        "Mode",
        "Status",
        "Trading",
        "Daily P&L",
        "Reason",
    )
    NUMERIC = frozenset({7})
    PER_SESSION = False

    def __init__(self, parent: Any = None, timezone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._zone = ZoneInfo(timezone)
        self._pnl: dict[str, Decimal] = {}
        self._latest: dict[str, SessionSnapshot] = {}

    def key(self, item: SessionRow) -> str:
        return item.session.session_id

    def push_session(self, session: SessionSnapshot) -> None:
        """Record a session's new state."""
        self._latest[session.session_id] = session
        self.push(SessionRow(session, self._pnl.get(session.session_id)))

    def push_risk(self, status: RiskStatus) -> None:
        """Record a session's daily P&L."""
        self._pnl[status.session_id] = status.daily_pnl
        session = self._latest.get(status.session_id)
        if session is not None:
            self.push(SessionRow(session, status.daily_pnl))

    def session(self, row: int) -> SessionSnapshot:
        """Return the session shown in *row*."""
        return self.item(row).session  # type: ignore[no-any-return]

    def format(self, item: SessionRow) -> Row:
        session = item.session
        # Two sessions of one strategy differ by when they started (and the id in the tooltip).
        started = session.created_at.astimezone(self._zone).strftime("%m-%d %H:%M")
        return Row(
            item,
            [
                session.strategy_name,
                started,
                "Paper" if session.is_paper else "LIVE",
                session.broker_id,
                session.execution_mode.value,
                session.status.value,
                session.trading_state.value,
                "" if item.daily_pnl is None else number(item.daily_pnl),
                session.status_reason,
            ],
            {
                # Real money stands out from paper at a glance.
                2: None if session.is_paper else Tone.BAD,
                5: _STATUS_TONE.get(session.status),
                6: _STATE_TONE.get(session.trading_state),
                7: signed(item.daily_pnl),
            },
        )

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            session = self.session(index.row())
            return f"session {session.session_id}"
        live = index.column() == 2 and not self.session(index.row()).is_paper
        if role == Qt.ItemDataRole.FontRole and live:
            bold = QFont()
            bold.setBold(True)
            return bold
        return super().data(index, role)


class SessionsPanel(QWidget):
    """Lists the sessions; the selected one is what the rest of the window shows."""

    session_selected = Signal(object)  # the SessionSnapshot, or None

    def __init__(
        self,
        desk: TradingDesk,
        commands: CommandRunner,
        confirm: Confirm,
        timezone: str = "UTC",
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._desk = desk
        self._commands = commands
        self._confirm = confirm
        self.model = SessionsTableModel(self, timezone)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        set_widths(self.table, (112, 90, 54, 52, 50, 74, 64, 76))
        self.table.setWordWrap(False)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop…")
        self.rearm_button = QPushButton("Re-arm…")
        self.rearm_button.setToolTip("Let a halted session send orders again")
        self.recover_button = QPushButton("Recover…")
        self.recover_button.setToolTip(
            "Bring a session in error back, paused, with its positions set to the broker's"
        )
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.rearm_button.clicked.connect(self._on_rearm_clicked)
        self.recover_button.clicked.connect(self._on_recover_clicked)
        buttons = QHBoxLayout()
        for button in (
            self.pause_button,
            self.resume_button,
            self.stop_button,
            self.rearm_button,
            self.recover_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self.model.dataChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def selected(self) -> SessionSnapshot | None:
        """Return the selected session."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.session(rows[0].row()) if rows else None

    def select(self, session_id: str) -> None:
        """Select *session_id*'s row."""
        self.model.flush()
        for row in range(self.model.rowCount()):
            if self.model.session(row).session_id == session_id:
                self.table.selectRow(row)
                return

    def _on_rows_inserted(self, *_: object) -> None:
        if self.selected() is None and self.model.rowCount():
            self.table.selectRow(0)

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self._update_buttons()
        self.session_selected.emit(self.selected())

    def _update_buttons(self) -> None:
        session = self.selected()
        status = session.status if session else None
        self.pause_button.setEnabled(status is SessionStatus.RUNNING)
        self.resume_button.setEnabled(status is SessionStatus.PAUSED)
        self.stop_button.setEnabled(
            status in (SessionStatus.RUNNING, SessionStatus.PAUSED, SessionStatus.ERROR)
        )
        halted = session is not None and session.trading_state is TradingState.HALTED
        self.rearm_button.setEnabled(halted and status in _ACTIVE)
        self.recover_button.setEnabled(status is SessionStatus.ERROR)

    def _on_pause_clicked(self) -> None:
        if (session := self.selected()) is not None:
            self._commands.run("Pause", self._desk.pause_session(session.session_id))

    def _on_resume_clicked(self) -> None:
        if (session := self.selected()) is not None:
            self._commands.run("Resume", self._desk.resume_session(session.session_id))

    def _on_stop_clicked(self) -> None:
        session = self.selected()
        if session is None:
            return
        question = (
            f"Stop the session of {session.strategy_name} on {session.broker_id} for good?\n\n"
            "It opens no new positions and sends no orders after this; open positions stay "
            "open at the broker."
        )
        if self._confirm("Stop session", question):
            self._commands.run("Stop", self._desk.stop_session(session.session_id))

    def _on_rearm_clicked(self) -> None:
        session = self.selected()
        if session is None:
            return
        question = (
            f"Re-arm the session of {session.strategy_name}?\n\nIt was halted: "
            f"{session.status_reason}\n\nOnce re-armed it sends orders again (exits only if "
            "today's loss limit was reached). Check the orders and positions first."
        )
        if self._confirm("Re-arm session", question):
            self._commands.run("Re-arm", self._desk.rearm_session(session.session_id))

    def _on_recover_clicked(self) -> None:
        session = self.selected()
        if session is None:
            return
        question = (
            f"Recover the session of {session.strategy_name}?\n\nIt could not be restored: "
            f"{session.status_reason}\n\nEvery fill that cannot be replayed is left out (kept "
            "and journalled), and a live session's positions are set to what the broker holds "
            "for it. The session comes back paused for you to check before resuming."
        )
        if self._confirm("Recover session", question):
            self._commands.run("Recover", self._desk.recover_session(session.session_id))
