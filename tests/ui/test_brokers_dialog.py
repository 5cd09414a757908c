"""The Brokers dialog: what it sends its service, and what it shows of the answers.

The service is a fake of the port (``IVenueConnections``); the real one is tested against the
local Upbit in ``tests/integration/test_venue_connections.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from livetrader_gui.application.venue_connections import (
    ConnectionCheck,
    ConnectionView,
    VenueOption,
)
from livetrader_gui.ui.commands import CommandRunner
from livetrader_gui.ui.widgets.brokers_dialog import BrokersDialog

PASSWORD = "open sesame"


@dataclass
class FakeConnections:
    """An ``IVenueConnections`` that keeps connections in memory and answers as told."""

    answer: ConnectionCheck = field(
        default_factory=lambda: ConnectionCheck(True, "Account active", ("KRW 1,000",))
    )
    refuse: str | None = None  # what save says is wrong, if anything
    locked: bool = False  # no keyring, and the encrypted file not yet opened
    saved: list[tuple[str, bool, str | None, str, str]] = field(default_factory=list)
    views: list[ConnectionView] = field(default_factory=list)

    def venues(self) -> list[VenueOption]:
        return [VenueOption("UPBIT", "Upbit", False, True),
                VenueOption("BINANCE", "Binance", True, True)]  # fmt: skip

    def connections(self) -> list[ConnectionView]:
        return list(self.views)

    @property
    def key_store(self) -> str:
        return "the system's keyring"

    @property
    def needs_password(self) -> bool:
        return self.locked

    def unlock(self, password: str) -> None:
        if password != PASSWORD:
            raise ValueError("the password does not open the key file")
        self.locked = False

    async def test(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> ConnectionCheck:
        return self.answer

    async def save(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> str:
        if self.refuse is not None:
            raise ValueError(self.refuse)
        self.saved.append((venue, testnet, base_url, key, secret))
        name = {"UPBIT": "Upbit", "BINANCE": "Binance"}[venue] + (" testnet" if testnet else "")
        view = ConnectionView(venue, name, testnet, base_url, key[:4] + "…", "keyring",
                              True, "answering")  # fmt: skip
        kept = [v for v in self.views if (v.venue, v.testnet) != (venue, testnet)]
        self.views = [*kept, view]
        return f"{name} saved; answering"

    async def remove(self, venue: str, testnet: bool = False) -> str:
        self.views = [v for v in self.views if (v.venue, v.testnet) != (venue, testnet)]
        return "removed"


def dialog(qtbot: QtBot, connections: FakeConnections) -> tuple[BrokersDialog, list[str]]:
    reports: list[str] = []
    shown = BrokersDialog(connections, CommandRunner(reports.append))
    qtbot.addWidget(shown)
    return shown, reports


def row(shown: BrokersDialog, number: int = 0) -> list[str]:
    table = shown.table
    return [(table.item(number, c) or QTableWidgetItem()).text() for c in range(4)]


async def test_testing_a_connection_shows_the_account_or_the_problem_in_words(
    qtbot: QtBot,
) -> None:
    connections = FakeConnections()
    shown, _ = dialog(qtbot, connections)
    shown.key.setText("access-key")
    shown.secret.setText("secret")

    shown.test_button.click()
    assert not shown.test_button.isEnabled(), "one test at a time"
    await shown._commands.wait()
    good = (shown.outcome.text(), shown.balances.text())
    connections.answer = ConnectionCheck(False, "Upbit refused the API key: the secret is wrong")
    shown.test_button.click()
    await shown._commands.wait()

    assert good == ("Account active", "Balances: KRW 1,000")
    assert shown.outcome.text() == "Upbit refused the API key: the secret is wrong"
    assert shown.balances.text() == ""
    assert shown.test_button.isEnabled()
    assert not shown.testnet.isEnabled(), "Upbit has no testnet"


async def test_saving_sends_the_form_lists_the_connection_and_clears_the_secret(
    qtbot: QtBot,
) -> None:
    connections = FakeConnections()
    shown, _ = dialog(qtbot, connections)
    shown.key.setText("access-key")
    shown.secret.setText("the-secret")
    shown.base_url.setText("  http://127.0.0.1:8601  ")

    shown.save_button.click()
    await shown._commands.wait()

    assert connections.saved == [
        ("UPBIT", False, "http://127.0.0.1:8601", "access-key", "the-secret")
    ]
    assert shown.outcome.text() == "Upbit saved; answering"
    assert row(shown) == ["Upbit", "acce…", "keyring", "answering"]
    assert shown.secret.text() == "", "the secret leaves the form once kept"


async def test_a_refused_save_says_what_is_wrong_and_keeps_the_form(qtbot: QtBot) -> None:
    connections = FakeConnections(refuse="base URL 'ftp://x': give one like http://127.0.0.1:8601")
    shown, reports = dialog(qtbot, connections)
    shown.base_url.setText("ftp://x")

    shown.save_button.click()
    await shown._commands.wait()

    assert shown.outcome.text() == (
        "Saving the connection failed: base URL 'ftp://x': give one like http://127.0.0.1:8601"
    )
    assert reports == [shown.outcome.text()]
    assert shown.base_url.text() == "ftp://x"
    assert shown.table.rowCount() == 0


async def test_a_chosen_connection_fills_the_form_without_its_secret_and_can_be_removed(
    qtbot: QtBot,
) -> None:
    connections = FakeConnections()
    connections.views = [
        ConnectionView("UPBIT", "Upbit", False, "http://127.0.0.1:8601", "acce…", "keyring",
                       False, "disconnected: Upbit refused the API key"),
    ]  # fmt: skip
    shown, _ = dialog(qtbot, connections)

    shown.table.selectRow(0)
    form = (shown.base_url.text(), shown.key.text(), shown.key.placeholderText())
    shown.remove_button.click()
    await shown._commands.wait()

    assert row(shown) == ["", "", "", ""]
    assert form == (
        "http://127.0.0.1:8601",
        "",
        "kept: acce… (in keyring); type a new one to replace it",
    )
    assert shown.outcome.text() == "removed"
    assert connections.views == []


async def test_binances_testnet_is_offered_saved_apart_and_removed_alone(qtbot: QtBot) -> None:
    connections = FakeConnections()
    shown, _ = dialog(qtbot, connections)
    shown.venue.setCurrentIndex(shown.venue.findData("BINANCE"))
    offered = shown.testnet.isEnabled()
    for testnet in (True, False):
        shown.testnet.setChecked(testnet)
        shown.key.setText("binance-key")
        shown.secret.setText("binance-secret")
        shown.save_button.click()
        await shown._commands.wait()
    listed = [row(shown, n)[0] for n in range(shown.table.rowCount())]

    shown.table.selectRow(0)
    chosen = shown.testnet.isChecked()
    shown.remove_button.click()
    await shown._commands.wait()

    assert offered, "Binance has a testnet"
    assert [s[:2] for s in connections.saved] == [("BINANCE", True), ("BINANCE", False)]
    assert listed == ["Binance testnet", "Binance"]
    assert chosen, "choosing the testnet's row ticks the box"
    assert [(v.venue, v.testnet) for v in connections.views] == [("BINANCE", False)]


async def test_without_a_keyring_the_encrypted_file_is_unlocked_with_its_password(
    qtbot: QtBot,
) -> None:
    connections = FakeConnections(locked=True)
    shown, _ = dialog(qtbot, connections)
    shown.show()
    visible = shown.vault.isVisible()

    shown.password.setText("wrong")
    shown.unlock_button.click()
    wrong = shown.outcome.text()
    shown.password.setText(PASSWORD)
    shown.unlock_button.click()

    assert visible
    assert wrong == "the password does not open the key file"
    assert not shown.vault.isVisible()
    assert shown.password.text() == "", "a password never stays in the field"
    assert shown.outcome.text() == "The encrypted key file is open: keys can be saved"
    shown.close()
