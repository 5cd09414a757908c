"""The Brokers dialog's service: a connection is tested against the local Upbit (or Binance),
saved (its key in the keyring, never in the connections file) and joins the brokers at once; a
wrong key or an address with nothing behind it is said in words; a removed one is forgotten."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.brokers.connections import ConnectionsFile
from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.venue_connections import VenueConnections
from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.adapters.credentials import CredentialStore
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.ports import ConnectionState
from tests.fakes import MemoryKeyring
from tests.venues.binance import BinanceVenue, make_app
from tests.venues.binance_gateway import KEY as BINANCE_KEY
from tests.venues.binance_gateway import SECRET as BINANCE_SECRET
from tests.venues.market import serving as serve_app
from tests.venues.upbit import UpbitVenue
from tests.venues.upbit_gateway import KEY, SECRET, serving


@pytest_asyncio.fixture
async def venue(_no_leaked_tasks: None) -> AsyncIterator[tuple[UpbitVenue, str]]:
    # Asking for the leak check makes it run after the venue has stopped.
    upbit = UpbitVenue(KEY, SECRET, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    async with serving(upbit) as base:
        yield upbit, base


def service(folder: Path) -> tuple[VenueConnections, BrokerRegistry, MarketDataHubs]:
    clock = SystemClock()
    registry = BrokerRegistry(clock)
    hubs = MarketDataHubs(clock)
    return (
        VenueConnections(folder, CredentialStore(folder, {}), registry, hubs, clock),
        registry,
        hubs,
    )


async def close(registry: BrokerRegistry, hubs: MarketDataHubs) -> None:
    for gateway in registry.all():
        await gateway.disconnect()
    await hubs.close()


async def test_a_connection_is_tested_then_saved_and_joins_the_brokers_at_once(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    connections, registry, hubs = service(tmp_path)
    try:
        check = await connections.test("UPBIT", False, base, KEY, SECRET)
        saved = await connections.save("UPBIT", False, base, KEY, SECRET)
        (view,) = connections.connections()
        gateway = registry.get("UPBIT")
        state = gateway.connection_state if gateway else None
    finally:
        await close(registry, hubs)

    assert check.ok
    assert check.summary == "Account active; buying power 10,000,000 KRW"
    assert check.balances == ("KRW 10,000,000",)
    assert saved == (
        f"Upbit (local copy at {base}) saved (its key in the system's keyring); answering"
    )
    assert (view.name, view.key, view.key_source) == (
        f"Upbit (local copy at {base})",
        "acce…",
        "keyring",
    )
    assert view.connected
    assert state is ConnectionState.CONNECTED
    assert SECRET in memory_keyring.kept.values()
    assert SECRET not in ConnectionsFile(tmp_path).path.read_text(encoding="utf-8")


async def test_a_wrong_secret_is_said_in_words_and_nothing_is_kept(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    connections, registry, hubs = service(tmp_path)
    try:
        check = await connections.test("UPBIT", False, base, KEY, "not-the-secret")
    finally:
        await close(registry, hubs)

    assert not check.ok
    assert check.summary == (
        f"Upbit (local copy at {base}) refused the API key: Upbit could not verify the "
        "request's signature: the secret key does not belong to this access key"
    )
    assert memory_keyring.kept == {}
    assert not ConnectionsFile(tmp_path).path.exists()


async def test_an_address_with_nothing_behind_it_says_it_cannot_be_reached(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    connections, registry, hubs = service(tmp_path)
    try:
        check = await connections.test("UPBIT", False, "http://127.0.0.1:9", KEY, SECRET)
    finally:
        await close(registry, hubs)

    assert check.summary.startswith("Upbit (local copy at http://127.0.0.1:9) cannot be reached")
    assert check.summary.endswith("(is the address right, and online?)")


async def test_a_setting_that_is_wrong_is_named_and_nothing_is_kept(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    connections, registry, hubs = service(tmp_path)
    try:
        with pytest.raises(ValueError, match=re.escape("give one like http://127.0.0.1:8601")):
            await connections.save("UPBIT", False, "ftp://somewhere", KEY, SECRET)
        with pytest.raises(ValueError, match="needs both the key and its secret"):
            await connections.save("UPBIT", False, None, KEY, "")
        with pytest.raises(ValueError, match="Upbit: enter the API key and its secret"):
            await connections.save("UPBIT", False, None, "", "")
    finally:
        await close(registry, hubs)

    assert memory_keyring.kept == {}
    assert not ConnectionsFile(tmp_path).path.exists()


async def test_a_removed_connection_and_its_key_are_forgotten(
    tmp_path: Path, memory_keyring: MemoryKeyring, venue: tuple[UpbitVenue, str]
) -> None:
    _, base = venue
    connections, registry, hubs = service(tmp_path)
    try:
        await connections.save("UPBIT", False, base, KEY, SECRET)
        said = await connections.remove("UPBIT")
        left = connections.connections()
    finally:
        await close(registry, hubs)

    assert said == "Upbit removed; it stops at the next start"
    assert left == []
    assert memory_keyring.kept == {}


async def test_binances_testnet_is_a_connection_of_its_own_beside_binance(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    binance = BinanceVenue(BINANCE_KEY, BINANCE_SECRET)
    async with serve_app(make_app(binance)) as base:
        connections, registry, hubs = service(tmp_path)
        try:
            offered = {v.venue: v.has_testnet for v in connections.venues()}
            check = await connections.test("BINANCE", True, base, BINANCE_KEY, BINANCE_SECRET)
            await connections.save("BINANCE", True, base, BINANCE_KEY, BINANCE_SECRET)
            await connections.save("BINANCE", False, base, BINANCE_KEY, BINANCE_SECRET)
            listed = [(v.venue, v.testnet, v.connected) for v in connections.connections()]
            testnet = registry.get("BINANCE_TESTNET")
            removed = await connections.remove("BINANCE", testnet=True)
            left = [(v.venue, v.testnet) for v in connections.connections()]
        finally:
            await close(registry, hubs)

    assert offered == {"UPBIT": False, "BINANCE": True}
    assert check.summary == "Account active; buying power 100,000 USDT"
    assert listed == [("BINANCE", True, True), ("BINANCE", False, True)]
    assert testnet is not None
    assert not testnet.is_real_money
    assert removed == "Binance testnet removed; it stops at the next start"
    assert left == [("BINANCE", False)]
    kept = sorted(user for _service, user in memory_keyring.kept)
    assert kept == ["BINANCE:key", "BINANCE:secret"], "the testnet's key went with it"
