"""The review after a restart: each difference reconciling found, and the trader's decision.

One row per line: the broker, what was found, a choice (adopt, flatten, ignore, as the line
allows) and what was done. **Apply** carries out the choices made, one line after another;
each is journalled by the desk. **Resume sessions** resumes the sessions the restart paused,
once no line waits; **Keep paused** closes the dialog and leaves them paused (the review stays
open in the desk: a session cannot be resumed until every line is decided).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.application.live_trading.restart_review import Decision, ReviewLine
from livetrader_gui.ui.colours import Tone, style_label
from livetrader_gui.ui.commands import CommandRunner

COLUMNS = ("#", "Broker", "What was found", "Decision", "Done")
CHOOSE = "Choose…"
EXPLAINED = {
    Decision.ADOPT: "Adopt: the records take the broker's word",
    Decision.FLATTEN: "Flatten: an order brings the broker back to the records",
    Decision.IGNORE: "Ignore: change nothing; the difference stays",
}


class ReviewDesk(Protocol):
    """What the dialog asks of the desk."""

    def restart_review(self) -> list[ReviewLine]: ...

    def decide(self, number: int, decision: Decision) -> Coroutine[Any, Any, ReviewLine]: ...

    def resume_after_review(self) -> Coroutine[Any, Any, list[str]]: ...


class RestartReviewDialog(QDialog):
    """Decide each line the restart left (see the module's doc)."""

    def __init__(
        self, desk: ReviewDesk, commands: CommandRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review after restart")
        self.setMinimumSize(900, 360)
        self._desk = desk
        self._commands = commands
        self._choices: dict[int, QComboBox] = {}

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(4, 300)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)

        self.apply_button = QPushButton("Apply decisions")
        self.apply_button.clicked.connect(self._on_apply)
        self.resume_button = QPushButton("Resume sessions")
        self.resume_button.clicked.connect(self._on_resume)
        self.close_button = QPushButton("Keep paused")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.show_lines(desk.restart_review())

    # ------------------------------------------------------------------ what is shown

    def show_lines(self, lines: list[ReviewLine]) -> None:
        """Show *lines*: a choice for each that waits, what was done for each decided."""
        self._choices.clear()
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            cells = (str(line.number), line.broker_id, line.text, "", line.outcome)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
            self.table.setCellWidget(row, 3, self._choice(line))
        self.table.resizeRowsToContents()
        waiting = sum(1 for line in lines if line.waiting)
        if not lines:
            self.summary.setText("Reconciling after the restart found no difference.")
        elif waiting:
            self.summary.setText(
                f"LiveTrader restarted and found {len(lines)} thing(s) the records do not "
                f"explain. {waiting} wait for your decision; no session resumes until each "
                "is decided."
            )
        else:
            self.summary.setText(
                "Every line is decided. Resume the sessions the restart paused, or keep "
                "them paused."
            )
        style_label(self.summary, Tone.WARN if waiting else Tone.GOOD)
        self.apply_button.setEnabled(waiting > 0)
        self.resume_button.setEnabled(waiting == 0)

    def _choice(self, line: ReviewLine) -> QComboBox:
        box = QComboBox()
        if line.waiting:
            box.addItem(CHOOSE, None)
        for decision in line.choices:
            # Qt keeps the value, a plain string (it would turn the enum into one anyway).
            box.addItem(decision.value.capitalize(), decision.value)
            box.setItemData(box.count() - 1, EXPLAINED[decision], Qt.ItemDataRole.ToolTipRole)
        if line.decision is not None:
            box.setCurrentIndex(box.findData(line.decision.value))
            # A fill while down is adopted first, and may still be sold; anything else is done.
            box.setEnabled(Decision.FLATTEN in line.choices and line.decision is Decision.ADOPT
                           and line.outcome.startswith("recorded"))  # fmt: skip
        self._choices[line.number] = box
        return box

    def chosen(self) -> dict[int, Decision]:
        """Return the decisions chosen and not carried out yet, by line number."""
        lines = {line.number: line for line in self._desk.restart_review()}
        chosen = {}
        for number, box in self._choices.items():
            value = box.currentData()
            line = lines.get(number)
            if not (isinstance(value, str) and line is not None and box.isEnabled()):
                continue
            if line.decision is not Decision(value):
                chosen[number] = Decision(value)
        return chosen

    # ------------------------------------------------------------------ the trader's commands

    def _on_apply(self) -> None:
        chosen = self.chosen()
        if not chosen:
            self.outcome.setText("Choose a decision for a line first.")
            style_label(self.outcome, Tone.WARN)
            return
        self.apply_button.setEnabled(False)
        self._commands.run(
            "Applying the decisions", self._apply(chosen), self._applied, self._failed
        )

    async def _apply(self, chosen: dict[int, Decision]) -> list[ReviewLine]:
        return [await self._desk.decide(number, decision) for number, decision in chosen.items()]

    def _applied(self, done: list[ReviewLine]) -> None:
        self.outcome.setText("; ".join(f"line {line.number}: {line.outcome}" for line in done))
        style_label(self.outcome)
        self.show_lines(self._desk.restart_review())

    def _failed(self, message: str) -> None:
        self.outcome.setText(message)
        style_label(self.outcome, Tone.BAD)
        self.show_lines(self._desk.restart_review())

    def _on_resume(self) -> None:
        self.resume_button.setEnabled(False)
        self._commands.run(
            "Resuming the sessions", self._desk.resume_after_review(), self._resumed, self._failed
        )

    def _resumed(self, sessions: list[str]) -> None:
        self.outcome.setText(f"{len(sessions)} session(s) resumed")
        style_label(self.outcome, Tone.GOOD)
        self.accept()
