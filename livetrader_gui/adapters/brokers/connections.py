"""The trader's connections to real venues: which venue, testnet or not, and where it answers.

Kept in ``brokers.json`` in the data folder, without any secret (the API key is in the keyring,
see ``adapters/credentials.py``). One connection per venue and network: its id is the venue's
(``BINANCE``), or its testnet's (``BINANCE_TESTNET``), and so is the broker id the sessions,
the journal and the request budgets know it by.

A connection becomes a gateway and its market-data feed here (``open_connection``); a custom
base URL aims both at a local copy of the venue (``python -m tests.venues upbit``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from livetrader_gui.adapters.brokers.ccxt.venues import (
    BINANCE,
    BINANCE_TESTNET,
    UPBIT,
    VenueProfile,
)
from livetrader_gui.adapters.credentials import ApiKey
from livetrader_gui.application.ports import Clock, IBrokerGateway, IMarketDataFeed

if TYPE_CHECKING:
    from livetrader_gui.adapters.brokers.ccxt.gateway import CcxtGateway

CONNECTIONS_FILE = "brokers.json"
VENUES: dict[str, VenueProfile] = {UPBIT.broker_id: UPBIT, BINANCE.broker_id: BINANCE}
TESTNETS: dict[str, VenueProfile] = {BINANCE.broker_id: BINANCE_TESTNET}
# Where each venue's account stream (the account's own orders) answers, live and on a testnet.
ACCOUNT_STREAMS = {
    UPBIT.broker_id: "wss://api.upbit.com/websocket/v1/private",
    BINANCE.broker_id: "wss://ws-api.binance.com:443/ws-api/v3",
    BINANCE_TESTNET.broker_id: "wss://ws-api.testnet.binance.vision/ws-api/v3",
}
# Where each venue's market streams answer, live and on its testnet.
STREAMS = {
    UPBIT.broker_id: "wss://api.upbit.com/websocket/v1",
    BINANCE.broker_id: "wss://stream.binance.com:9443/stream",
    BINANCE_TESTNET.broker_id: "wss://stream.testnet.binance.vision/stream",
}
REQUEST_TIMEOUT = 10.0  # seconds a venue has to answer one request


class ConnectionsError(ValueError):
    """The connections file, or a connection, cannot be used; the message says where."""


@dataclass(frozen=True, slots=True)
class BrokerConnection:
    """One venue the trader connects to (the key and secret are kept apart)."""

    venue: str  # a key of VENUES, e.g. "UPBIT"
    testnet: bool = False
    base_url: str | None = None  # a local copy of the venue, e.g. http://127.0.0.1:8601

    def __post_init__(self) -> None:
        if self.venue not in VENUES:
            raise ConnectionsError(
                f"no venue '{self.venue}': the venues are {', '.join(sorted(VENUES))}"
            )
        if self.testnet and self.venue not in TESTNETS:
            raise ConnectionsError(f"{VENUES[self.venue].display_name} has no testnet")
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConnectionsError(
                    f"base URL {self.base_url!r}: give one like http://127.0.0.1:8601"
                )

    @property
    def connection_id(self) -> str:
        """Return the connection's id, which is also its broker id: the venue's, or its
        testnet's."""
        return self.profile.broker_id

    @property
    def profile(self) -> VenueProfile:
        return TESTNETS[self.venue] if self.testnet else VENUES[self.venue]

    @property
    def display_name(self) -> str:
        """Return the name the window shows (a local copy says so)."""
        name = self.profile.display_name
        return f"{name} (local copy at {self.base_url})" if self.base_url else name


class ConnectionsFile:
    """``brokers.json``: read whole, written whole (never half-written)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / CONNECTIONS_FILE

    def read(self) -> list[BrokerConnection]:
        if not self.path.is_file():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConnectionsError(f"{self.path} cannot be read: {error}") from None
        except json.JSONDecodeError as error:
            raise ConnectionsError(
                f"{self.path}, line {error.lineno}: not JSON ({error.msg})"
            ) from None
        rows = data.get("connections") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ConnectionsError(f'{self.path}: expected {{"connections": [...]}}')
        connections = []
        for index, row in enumerate(rows, 1):
            connections.append(self._connection(row, index))
        ids = [c.connection_id for c in connections]
        if len(set(ids)) != len(ids):
            raise ConnectionsError(f"{self.path}: a venue is listed twice")
        return connections

    def _connection(self, row: Any, index: int) -> BrokerConnection:
        where = f"{self.path}, connection {index}"
        if not isinstance(row, dict) or not isinstance(row.get("venue"), str):
            raise ConnectionsError(f'{where}: expected an object with a "venue"')
        unknown = set(row) - {"venue", "testnet", "base_url"}
        if unknown:
            raise ConnectionsError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
        testnet, base_url = row.get("testnet", False), row.get("base_url")
        if not isinstance(testnet, bool) or not (base_url is None or isinstance(base_url, str)):
            raise ConnectionsError(f"{where}: testnet is true or false, base_url a text")
        try:
            return BrokerConnection(row["venue"], testnet, base_url or None)
        except ConnectionsError as error:
            raise ConnectionsError(f"{where}: {error}") from None

    def write(self, connections: Sequence[BrokerConnection]) -> None:
        data = {"connections": [asdict(c) for c in connections]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.path)


def open_connection(connection: BrokerConnection, api_key: ApiKey, clock: Clock) -> CcxtGateway:
    """Return the gateway of *connection*, not yet connected; *clock* is real time."""
    # ccxt takes half a second to import: only a start with a venue connection pays it.
    import ccxt.async_support as ccxt_async

    from livetrader_gui.adapters.brokers.ccxt.binance_gateway import BinanceGateway
    from livetrader_gui.adapters.brokers.ccxt.exact import exact_class
    from livetrader_gui.adapters.brokers.ccxt.upbit_gateway import UpbitGateway

    profile = connection.profile
    exchange_class = exact_class(getattr(ccxt_async, profile.ccxt_id))

    def exchange() -> Any:
        return venue_exchange(exchange_class, profile, api_key, connection.base_url)

    binance = profile.ccxt_id == "binance"
    stream = ACCOUNT_STREAMS[profile.broker_id]
    if connection.base_url:
        stream = _local_socket(connection, "/ws-api/v3" if binance else "/websocket/v1/private")
    gateway_class = BinanceGateway if binance else UpbitGateway
    return gateway_class(
        profile, exchange, clock, display_name=connection.display_name, account_stream=stream
    )


def _local_socket(connection: BrokerConnection, path: str) -> str:
    """Return the websocket at *path* of *connection*'s local copy of its venue."""
    assert connection.base_url is not None
    return "ws" + connection.base_url.rstrip("/").removeprefix("http") + path


def venue_exchange(
    exchange_class: Any, profile: VenueProfile, api_key: ApiKey, base_url: str | None,
    timeout: float = REQUEST_TIMEOUT,
) -> Any:  # fmt: skip
    """Return ccxt's exchange for *profile*: on its testnet (ccxt's sandbox mode) when the
    profile is one, and aimed at *base_url* (a local copy of the venue) when given."""
    config: dict[str, Any] = {
        "apiKey": api_key.key,
        "secret": api_key.secret,
        "timeout": int(timeout * 1000),
        "enableRateLimit": True,
        "options": dict(profile.options),
    }
    exchange = exchange_class(config)
    if profile.testnet:
        exchange.set_sandbox_mode(True)
    if base_url:
        base = base_url.rstrip("/") + _API_PATHS.get(profile.ccxt_id, "")
        exchange.urls["api"]["public"] = exchange.urls["api"]["private"] = base
    return exchange


_API_PATHS = {"binance": "/api/v3"}  # where the venue's REST API is below its address


def market_feed(connection: BrokerConnection, gateway: IBrokerGateway) -> IMarketDataFeed:
    """Return *connection*'s market data as a stream; *gateway* (within its budget) reads by
    REST what the stream cannot give."""
    from livetrader_gui.adapters.brokers.ccxt.binance_feed import BinanceFeed
    from livetrader_gui.adapters.brokers.ccxt.upbit_feed import UpbitFeed

    profile = connection.profile
    url = STREAMS[profile.broker_id]
    if connection.base_url:
        url = _local_socket(
            connection, "/stream" if profile.ccxt_id == "binance" else "/websocket/v1"
        )
    if profile.ccxt_id == "binance":
        return BinanceFeed(gateway, url)
    return UpbitFeed(gateway, url)
