"""``VenueConnections``: the Brokers dialog's connections, kept and tested, and the gateways
the app runs for them.

At start every saved connection with a key becomes a gateway within its venue's request budget,
streaming its market data; one that cannot connect is still registered, and says why. A
connection added while the app runs joins the registry at once; one changed or removed while
its gateway runs takes effect at the next start (sessions may be trading on it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from livetrader_gui.adapters.brokers.connections import (
    TESTNETS,
    VENUES,
    BrokerConnection,
    ConnectionsError,
    ConnectionsFile,
    market_feed,
    open_connection,
)
from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.venue_budgets import within_budget
from livetrader_gui.adapters.credentials import ApiKey, CredentialError, CredentialStore
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.ports import (
    BrokerAuthenticationError,
    BrokerConnectionError,
    BrokerError,
    Clock,
    ConnectionState,
    IBrokerGateway,
    IMarketDataFeed,
)
from livetrader_gui.application.timeouts import within
from livetrader_gui.application.venue_connections import (
    ConnectionCheck,
    ConnectionView,
    VenueOption,
)

_log = logging.getLogger(__name__)
TEST_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class VenueGateway:
    """A connection made ready to run: its gateway (within budget) and its market data."""

    connection: BrokerConnection
    gateway: IBrokerGateway
    feed: IMarketDataFeed


def venue_gateways(
    connections: Sequence[BrokerConnection], credentials: CredentialStore, clock: Clock
) -> tuple[list[VenueGateway], list[str]]:
    """Return a gateway for each connection that has a key, and in words what kept the others
    out (no key, a key store that cannot be read)."""
    ready, problems = [], []
    for connection in connections:
        try:
            api_key = credentials.load(connection.connection_id)
        except CredentialError as error:
            problems.append(f"{connection.display_name}: {error}")
            continue
        if api_key is None:
            problems.append(
                f"{connection.display_name}: no API key is kept for it (Brokers dialog)"
            )
            continue
        gateway = within_budget(open_connection(connection, api_key, clock), clock)
        ready.append(VenueGateway(connection, gateway, market_feed(connection, gateway)))
    return ready, problems


async def connect_venues(
    registry: BrokerRegistry, ready: Sequence[VenueGateway], clock: Clock
) -> None:
    """Connect each venue's gateway; one that cannot connect is noted and stays registered
    (the sessions' links and the Brokers dialog try again)."""

    async def one(venue: VenueGateway) -> None:
        try:
            await within(clock, venue.gateway.connect(), TEST_TIMEOUT)
        except (BrokerError, TimeoutError) as error:
            detail = str(error) or f"no answer within {TEST_TIMEOUT:g} s"
            _log.warning("%s did not connect: %s", venue.gateway.broker_id, detail)
            registry.failed(venue.gateway.broker_id, detail)

    await asyncio.gather(*(one(v) for v in ready))


class VenueConnections:
    """An ``IVenueConnections`` over the data folder's connections and the credential store."""

    def __init__(
        self,
        data_dir: Path,
        credentials: CredentialStore,
        registry: BrokerRegistry,
        hubs: MarketDataHubs,
        clock: Clock,
    ) -> None:
        self._file = ConnectionsFile(data_dir)
        self._credentials = credentials
        self._registry = registry
        self._hubs = hubs
        self._clock = clock

    def venues(self) -> list[VenueOption]:
        return [
            VenueOption(v.broker_id, v.display_name, v.broker_id in TESTNETS, v.real_money)
            for v in VENUES.values()
        ]

    def connections(self) -> list[ConnectionView]:
        views = []
        for connection in self._file.read():
            try:
                api_key = self._credentials.load(connection.connection_id)
            except CredentialError:
                api_key = None
            gateway = self._registry.get(connection.connection_id)
            if gateway is None:
                connected, status = False, "not running: added or changed since the start"
            else:
                health = self._registry.health(connection.connection_id)
                connected = health.state is ConnectionState.CONNECTED
                status = health.detail
            views.append(
                ConnectionView(
                    connection.venue, connection.display_name, connection.testnet,
                    connection.base_url, api_key.masked if api_key else None,
                    api_key.source if api_key else None, connected, status,
                )
            )  # fmt: skip
        return views

    @property
    def key_store(self) -> str:
        return self._credentials.where()

    @property
    def needs_password(self) -> bool:
        return not self._credentials.has_keyring and not self._credentials.vault_open

    def unlock(self, password: str) -> None:
        try:
            self._credentials.open_vault(password)
        except CredentialError as error:
            raise ValueError(str(error)) from None

    def _settings(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> tuple[BrokerConnection, ApiKey]:
        try:
            connection = BrokerConnection(venue, testnet, (base_url or "").strip() or None)
        except ConnectionsError as error:
            raise ValueError(str(error)) from None
        key, secret = key.strip(), secret.strip()
        if key or secret:
            try:
                return connection, ApiKey(key, secret, "typed")
            except CredentialError as error:
                raise ValueError(str(error)) from None
        try:
            saved = self._credentials.load(connection.connection_id)
        except CredentialError as error:
            raise ValueError(str(error)) from None
        if saved is None:
            raise ValueError(f"{connection.display_name}: enter the API key and its secret")
        return connection, saved

    async def test(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> ConnectionCheck:
        try:
            connection, api_key = self._settings(venue, testnet, base_url, key, secret)
        except ValueError as error:
            return ConnectionCheck(False, str(error))
        # The first gateway imports ccxt (half a second): not on the event loop.
        gateway = await asyncio.to_thread(open_connection, connection, api_key, self._clock)
        try:
            await within(self._clock, gateway.connect(), TEST_TIMEOUT)
            account = await within(self._clock, gateway.get_account(), TEST_TIMEOUT)
        except BrokerAuthenticationError as error:
            return ConnectionCheck(False, str(error))
        except BrokerConnectionError as error:
            return ConnectionCheck(False, f"{error} (is the address right, and online?)")
        except TimeoutError:
            return ConnectionCheck(
                False, f"{connection.display_name} did not answer within {TEST_TIMEOUT:g} s"
            )
        except BrokerError as error:
            return ConnectionCheck(False, str(error))
        finally:
            await gateway.disconnect()
        problems = account.verification_problems()
        summary = (
            f"Account {account.status.value.lower()}; buying power "
            f"{_amount(account.buying_power)} {account.currency}"
        )
        if problems:
            summary += f" — cannot trade: {'; '.join(problems)}"
        balances = tuple(
            f"{b.currency} {_amount(b.total)}"
            + (f" (locked {_amount(b.locked)})" if b.locked else "")
            for b in account.balances
            if b.total > 0
        )
        return ConnectionCheck(not problems, summary, balances)

    async def save(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> str:
        connection, api_key = self._settings(venue, testnet, base_url, key, secret)
        if api_key.source == "typed":
            try:
                self._credentials.save(connection.connection_id, api_key)
            except CredentialError as error:
                raise ValueError(str(error)) from None
        kept = [c for c in self._file.read() if c.connection_id != connection.connection_id]
        self._file.write([*kept, connection])
        name = connection.display_name
        if self._registry.get(connection.connection_id) is not None:
            return f"{name} saved; the change takes effect at the next start"
        opened = await asyncio.to_thread(open_connection, connection, api_key, self._clock)
        gateway = within_budget(opened, self._clock)
        feed = market_feed(connection, gateway)
        self._registry.register(gateway)
        self._hubs.add_feed(gateway.broker_id, feed)
        await connect_venues(self._registry, [VenueGateway(connection, gateway, feed)], self._clock)
        await self._registry.refresh_health()
        health = self._registry.health(gateway.broker_id)
        where = self._credentials.where() if api_key.source == "typed" else "where it was"
        return f"{name} saved (its key in {where}); {health.detail}"

    async def remove(self, venue: str, testnet: bool = False) -> str:
        connections = self._file.read()
        kept = [c for c in connections if (c.venue, c.testnet) != (venue, testnet)]
        gone = [c for c in connections if (c.venue, c.testnet) == (venue, testnet)]
        if not gone:
            network = " testnet" if testnet else ""
            raise ValueError(f"there is no connection to {venue}{network}")
        self._file.write(kept)
        connection_id = gone[0].connection_id
        try:
            self._credentials.delete(connection_id)
        except CredentialError as error:
            raise ValueError(str(error)) from None
        name = gone[0].profile.display_name
        if self._registry.get(connection_id) is not None:
            return f"{name} removed; it stops at the next start"
        return f"{name} removed"


def _amount(value: Decimal) -> str:
    """Return an amount with thousands separators and no trailing zeros (0.5, 1,000,000)."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"
