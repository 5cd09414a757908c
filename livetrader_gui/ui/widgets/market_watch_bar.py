"""Above the market watch: which broker it shows, and a search to watch one of its symbols.

The broker list is the registry's (SIM and each venue connected); a broker that cannot be
watched now says why in its tooltip. The search completes on the broker's own instruments
("KRW-BTC — Bitcoin"), listed once per broker; **Watch** adds the symbol, which the board
checks against the broker's list and keeps. Every command runs on the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.ui.colours import Tone, style_label
from livetrader_gui.ui.commands import CommandRunner

if TYPE_CHECKING:
    from livetrader_gui.application.market_watch_board import IMarketWatchBoard
    from livetrader_gui.domain import Instrument

_SEPARATOR = " — "


class MarketWatchBar(QWidget):
    """The broker picker and the symbol search of the market watch."""

    broker_chosen = Signal(str)  # the broker id the market watch now shows
    names_listed = Signal(str)  # the names of this broker's symbols are known now

    def __init__(
        self, board: IMarketWatchBoard, commands: CommandRunner, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._board = board
        self._commands = commands
        self.broker = QComboBox()
        self.broker.setToolTip("The broker whose prices the market watch shows")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search a symbol to watch…")
        self.search.setClearButtonEnabled(True)
        self.symbols = QStringListModel(self)
        self.completer = QCompleter(self.symbols, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.search.setCompleter(self.completer)
        self.watch_button = QPushButton("Watch")
        self.watch_button.setToolTip("Add the symbol to this broker's market watch")
        self.broker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.broker.setMinimumContentsLength(18)  # a local copy's name is long: it is elided
        self.outcome = QLabel("")
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.broker)
        row.addWidget(self.search, 1)
        row.addWidget(self.watch_button)
        column.addLayout(row)
        column.addWidget(self.outcome)
        self._names: dict[str, dict[str, str]] = {}  # broker -> symbol -> name
        self.broker.currentIndexChanged.connect(self._on_broker)
        self.watch_button.clicked.connect(self._on_watch)
        self.search.returnPressed.connect(self._on_watch)
        self.show_brokers()

    @property
    def broker_id(self) -> str:
        """Return the broker the market watch shows ("" before any is listed)."""
        return str(self.broker.currentData() or "")

    def names(self, broker_id: str) -> dict[str, str]:
        """Return the names of *broker_id*'s symbols, once its list has been read."""
        return dict(self._names.get(broker_id, {}))

    def show_brokers(self) -> None:
        """List the brokers again (one may have been added), keeping the one shown."""
        listed = self._board.brokers()
        current = self.broker_id
        known = [self.broker.itemData(i) for i in range(self.broker.count())]
        if known != [b.broker_id for b in listed]:
            self.broker.blockSignals(True)
            self.broker.clear()
            for broker in listed:
                self.broker.addItem(broker.name, broker.broker_id)
            index = max(0, self.broker.findData(current))
            self.broker.setCurrentIndex(index)
            self.broker.blockSignals(False)
            if self.broker_id != current:
                self._on_broker()
        for index, broker in enumerate(listed):
            tip = broker.problem or f"{len(broker.symbols)} symbols watched"
            self.broker.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    def _on_broker(self) -> None:
        broker_id = self.broker_id
        if not broker_id:
            return
        self.broker_chosen.emit(broker_id)
        self.symbols.setStringList([])
        problem = next((b.problem for b in self._board.brokers() if b.broker_id == broker_id),
                       None)  # fmt: skip
        self.tell(problem or "", bad=problem is not None)
        self._commands.run(
            f"Listing {self.broker.currentText()}'s symbols",
            self._board.instruments(broker_id),
            done=lambda listed: self._on_listed(broker_id, listed),
            failed=lambda message: self.tell(message, bad=True),
        )

    def _on_listed(self, broker_id: str, listed: list[Instrument]) -> None:
        self._names[broker_id] = {i.symbol: i.name for i in listed}
        if broker_id == self.broker_id:
            self.symbols.setStringList([f"{i.symbol}{_SEPARATOR}{i.name}" for i in listed])
            self.names_listed.emit(broker_id)

    def _on_watch(self) -> None:
        symbol = self.search.text().split(_SEPARATOR)[0].strip()
        if not symbol or not self.broker_id:
            self.tell("Type a symbol, or part of its name, and pick it from the list", bad=True)
            return
        self.watch_button.setEnabled(False)
        self._commands.run(
            f"Watching {symbol}",
            self._board.watch(self.broker_id, symbol),
            done=self._on_watched,
            failed=self._on_refused,
        )

    def _on_watched(self, message: str) -> None:
        self.watch_button.setEnabled(True)
        self.search.clear()
        self.tell(message)
        self.broker_chosen.emit(self.broker_id)  # the watch's rows change

    def _on_refused(self, message: str) -> None:
        self.watch_button.setEnabled(True)
        self.tell(message, bad=True)

    def tell(self, text: str, *, bad: bool = False) -> None:
        """Show *text* beside the search: what a command did, or why it could not."""
        self.outcome.setText(text)
        self.outcome.setToolTip(text)
        style_label(self.outcome, Tone.BAD if bad else None)
