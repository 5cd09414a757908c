"""The Brokers dialog: add, edit and remove connections to real venues, and test one.

The list shows each saved connection, where its key is kept (never the secret) and its status
now. The form below edits one: the venue, the API key and its secret, the testnet where the
venue has one, and a custom base URL to rehearse against a local copy of the venue. **Test
connection** connects with what the form says (an empty key: the saved one) and shows the
account's status and balances, or the problem in words. Every command runs on the loop; the
dialog never waits for a venue.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livetrader_gui.application.venue_connections import (
    ConnectionCheck,
    ConnectionView,
    IVenueConnections,
)
from livetrader_gui.ui.colours import PALETTE, Tone, style_label
from livetrader_gui.ui.commands import CommandRunner

COLUMNS = ("Venue", "API key", "Kept in", "Status")
LOCAL_HINT = "empty: the venue itself; a local copy: http://127.0.0.1:8601"


class BrokersDialog(QDialog):
    """Edit the trader's venue connections (see the module's doc)."""

    def __init__(
        self,
        connections: IVenueConnections,
        commands: CommandRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Brokers")
        self.setMinimumWidth(720)
        self._connections = connections
        self._commands = commands
        self._views: list[ConnectionView] = []

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.table.itemSelectionChanged.connect(self._on_selected)

        self.venue = QComboBox()
        for option in connections.venues():
            money = "real money" if option.real_money else "test money"
            self.venue.addItem(f"{option.name} ({money})", option.venue)
        self.venue.currentIndexChanged.connect(self._on_venue_changed)
        self.key = QLineEdit()
        self.key.setPlaceholderText("the API key (access key)")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("its secret: shown never, kept in " + connections.key_store)
        self.testnet = QCheckBox("Testnet (the venue's free test exchange)")
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText(LOCAL_HINT)
        form = QFormLayout()
        form.addRow("Venue", self.venue)
        form.addRow("API key", self.key)
        form.addRow("Secret", self.secret)
        form.addRow("", self.testnet)
        form.addRow("Base URL", self.base_url)

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("the password of the encrypted key file")
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.clicked.connect(self._on_unlock)
        self.vault = QWidget()
        vault_row = QHBoxLayout(self.vault)
        vault_row.setContentsMargins(0, 0, 0, 0)
        vault_row.addWidget(QLabel("This system has no keyring:"))
        vault_row.addWidget(self.password, 1)
        vault_row.addWidget(self.unlock_button)
        self.vault.setVisible(connections.needs_password)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._on_test)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self._on_save)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove)
        self.remove_button.setEnabled(False)
        self.clear_button = QPushButton("New")
        self.clear_button.clicked.connect(self._clear_form)
        actions = QHBoxLayout()
        for button in (self.test_button, self.save_button, self.remove_button, self.clear_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.balances = QLabel("")
        self.balances.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Connections"))
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.vault)
        layout.addLayout(actions)
        layout.addWidget(self.outcome)
        layout.addWidget(self.balances)
        layout.addWidget(close)
        self._on_venue_changed()
        self.refresh()

    # ------------------------------------------------------------------ the list

    def refresh(self) -> None:
        """Show the saved connections with their status now."""
        try:
            self._views = self._connections.connections()
        except ValueError as error:  # brokers.json cannot be read: say where
            self._views = []
            self._show(False, str(error))
        self.table.setRowCount(len(self._views))
        for row, view in enumerate(self._views):
            status_tone = Tone.GOOD if view.connected else Tone.BAD
            cells = (
                view.name,
                view.key or "no key kept",
                view.key_source or "—",
                view.status,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == len(cells) - 1:
                    item.setForeground(PALETTE.colour(status_tone))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _on_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.remove_button.setEnabled(bool(rows))
        if not rows:
            return
        view = self._views[rows[0].row()]
        self.venue.setCurrentIndex(self.venue.findData(view.venue))
        self.testnet.setChecked(view.testnet)
        self.base_url.setText(view.base_url or "")
        self.key.clear()
        self.secret.clear()
        self.key.setPlaceholderText(
            f"kept: {view.key} (in {view.key_source}); type a new one to replace it"
            if view.key
            else "the API key (access key)"
        )

    def _clear_form(self) -> None:
        self.table.clearSelection()
        self.key.clear()
        self.secret.clear()
        self.base_url.clear()
        self.testnet.setChecked(False)
        self.key.setPlaceholderText("the API key (access key)")
        self._show(True, "")

    def _on_venue_changed(self) -> None:
        venue = self.venue.currentData()
        option = next((v for v in self._connections.venues() if v.venue == venue), None)
        has_testnet = option is not None and option.has_testnet
        self.testnet.setEnabled(has_testnet)
        if has_testnet:
            self.testnet.setToolTip("the venue's free test exchange: its money is not real")
        else:
            self.testnet.setChecked(False)
            self.testnet.setToolTip("this venue has no testnet: its orders are real money")

    # ------------------------------------------------------------------ commands

    def _form(self) -> tuple[str, bool, str | None, str, str]:
        return (
            str(self.venue.currentData()),
            self.testnet.isChecked(),
            self.base_url.text().strip() or None,
            self.key.text(),
            self.secret.text(),
        )

    def _on_test(self) -> None:
        self._busy("Testing the connection…")
        self._commands.run(
            "Testing the connection",
            self._connections.test(*self._form()),
            done=self._on_tested,
            failed=lambda message: self._done(False, message),
        )

    def _on_tested(self, check: ConnectionCheck) -> None:
        self._done(check.ok, check.summary)
        self.balances.setText("Balances: " + ", ".join(check.balances) if check.balances else "")

    def _on_save(self) -> None:
        self._busy("Saving…")
        self._commands.run(
            "Saving the connection",
            self._connections.save(*self._form()),
            done=self._on_saved,
            failed=lambda message: self._done(False, message),
        )

    def _on_saved(self, message: str) -> None:
        self.secret.clear()
        self._done(True, message)
        self.refresh()

    def _on_remove(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        view = self._views[rows[0].row()]
        self._busy(f"Removing {view.name}…")
        self._commands.run(
            f"Removing {view.name}",
            self._connections.remove(view.venue, view.testnet),
            done=self._on_removed,
            failed=lambda message: self._done(False, message),
        )

    def _on_removed(self, message: str) -> None:
        self._clear_form()
        self._done(True, message)
        self.refresh()

    def _on_unlock(self) -> None:
        try:
            self._connections.unlock(self.password.text())
        except ValueError as error:
            self._show(False, str(error))
            return
        finally:
            self.password.clear()
        self.vault.hide()
        self._show(True, "The encrypted key file is open: keys can be saved")
        self.refresh()

    def _busy(self, text: str) -> None:
        for button in (self.test_button, self.save_button, self.remove_button):
            button.setEnabled(False)
        self.balances.clear()
        self._show(True, text)

    def _done(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self._show(ok, text)

    def _show(self, ok: bool, text: str) -> None:
        self.outcome.setText(text)
        style_label(self.outcome, None if ok else Tone.BAD)
