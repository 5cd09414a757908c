"""The Brokers dialog: a connection is tested, saved (its key in the keyring, never shown) and
joins the brokers at once; a wrong key says what is wrong; a removed one is forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
import pytest_asyncio
from PySide6.QtWidgets import QTableWidgetItem, QWidget

from livetrader_gui.adapters.brokers.connections import ConnectionsFile
from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.venue_connections import VenueConnections
from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.adapters.credentials import CredentialStore
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.ports import ConnectionState
from livetrader_gui.ui.commands import CommandRunner
from livetrader_gui.ui.widgets.brokers_dialog import BrokersDialog
from tests.unit.adapters.test_credentials import MemoryKeyring
from tests.venues.upbit import UpbitVenue
from tests.venues.upbit_gateway import KEY, SECRET, serving

pytestmark = pytest.mark.qasync


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


@pytest_asyncio.fixture
async def venue(_no_leaked_tasks: None) -> AsyncIterator[tuple[UpbitVenue, str]]:
    # Asking for the leak check makes it run after the venue has stopped.
    upbit = UpbitVenue(KEY, SECRET, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    async with serving(upbit) as base:
        yield upbit, base


class Dialog:
    def __init__(self, folder: Path, keyring_: MemoryKeyring) -> None:
        clock = SystemClock()
        self.registry = BrokerRegistry(clock)
        self.hubs = MarketDataHubs(clock)
        self.keyring = keyring_
        self.connections = VenueConnections(
            folder, CredentialStore(folder, {}), self.registry, self.hubs, clock
        )
        self.reports: list[str] = []
        self.commands = CommandRunner(self.reports.append)
        self.parent = QWidget()
        self.dialog = BrokersDialog(self.connections, self.commands, self.parent)

    def fill(self, base: str, key: str = KEY, secret: str = SECRET) -> None:
        self.dialog.key.setText(key)
        self.dialog.secret.setText(secret)
        self.dialog.base_url.setText(base)

    async def settled(self) -> None:
        await self.commands.wait()
        await asyncio.sleep(0)

    async def close(self) -> None:
        for gateway in self.registry.all():
            await gateway.disconnect()
        await self.hubs.close()
        self.dialog.close()
        self.parent.deleteLater()


async def test_a_connection_is_tested_then_saved_and_joins_the_brokers_at_once(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    ui = Dialog(tmp_path, memory_keyring)
    try:
        ui.fill(base)
        ui.dialog.test_button.click()
        await ui.settled()
        tested, balances = ui.dialog.outcome.text(), ui.dialog.balances.text()

        ui.dialog.save_button.click()
        await ui.settled()
        saved = ui.dialog.outcome.text()
        table = ui.dialog.table
        row = [(table.item(0, c) or QTableWidgetItem()).text() for c in range(table.columnCount())]
        gateway = ui.registry.get("UPBIT")
        state = gateway.connection_state if gateway else None
    finally:
        await ui.close()

    assert tested == "Account active; buying power 10,000,000 KRW"
    assert balances == "Balances: KRW 10,000,000"
    assert saved.startswith("Upbit (local copy at")
    assert "saved (its key in the system's keyring)" in saved
    assert row[:3] == [f"Upbit (local copy at {base})", "acce…", "keyring"]
    assert state is ConnectionState.CONNECTED
    assert ui.dialog.secret.text() == "", "the secret leaves the form once kept"
    assert SECRET in memory_keyring.kept.values()
    assert SECRET not in ConnectionsFile(tmp_path).path.read_text(encoding="utf-8")


async def test_a_wrong_secret_is_said_in_words_and_nothing_is_kept(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    ui = Dialog(tmp_path, memory_keyring)
    try:
        ui.fill(base, secret="not-the-secret")
        ui.dialog.test_button.click()
        await ui.settled()
        said = ui.dialog.outcome.text()
    finally:
        await ui.close()

    assert said == (
        f"Upbit (local copy at {base}) refused the API key: Upbit could not verify the "
        "request's signature: the secret key does not belong to this access key"
    )
    assert "not-the-secret" not in said
    assert memory_keyring.kept == {}
    assert not ConnectionsFile(tmp_path).path.exists()


async def test_an_address_with_nothing_behind_it_says_it_cannot_be_reached(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    ui = Dialog(tmp_path, memory_keyring)
    try:
        ui.fill("http://127.0.0.1:9")  # the discard port: nothing listens
        ui.dialog.test_button.click()
        await ui.settled()
        said = ui.dialog.outcome.text()
    finally:
        await ui.close()

    assert said.startswith("Upbit (local copy at http://127.0.0.1:9) cannot be reached")
    assert said.endswith("(is the address right, and online?)")


async def test_a_removed_connection_and_its_key_are_forgotten(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    ui = Dialog(tmp_path, memory_keyring)
    try:
        ui.fill(base)
        ui.dialog.save_button.click()
        await ui.settled()
        ui.dialog.table.selectRow(0)
        ui.dialog.remove_button.click()
        await ui.settled()
        said = ui.dialog.outcome.text()
        rows = ui.dialog.table.rowCount()
    finally:
        await ui.close()

    assert said == "Upbit removed; it stops at the next start"
    assert rows == 0
    assert memory_keyring.kept == {}
