"""What the Brokers dialog works with: the venues, the trader's connections, and a test of one.

The dialog (``ui``) knows only this port; ``adapters/brokers/venue_connections.py`` implements
it over the connections file, the credential store and the broker registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class VenueOption:
    """A venue the app can connect to."""

    venue: str  # e.g. "UPBIT"
    name: str
    has_testnet: bool
    real_money: bool


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """One saved connection as the dialog lists it (never the secret)."""

    venue: str
    name: str
    testnet: bool
    base_url: str | None
    key: str | None  # the key's first characters, or None when no key is kept
    key_source: str | None  # where the key is kept: "keyring", "environment", "encrypted file"
    connected: bool
    status: str  # in words: "answering", "disconnected: Upbit refused the API key", ...


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What testing a connection found: the account, or the problem in words."""

    ok: bool
    summary: str  # "Account active; buying power 1,000,000 KRW" or the problem
    balances: tuple[str, ...] = ()  # "KRW 1,000,000 (locked 0)", one per currency held


class IVenueConnections(Protocol):
    """The trader's connections to real venues."""

    def venues(self) -> list[VenueOption]:
        """Return the venues a connection can be made to."""
        ...

    def connections(self) -> list[ConnectionView]:
        """Return the saved connections with their status now."""
        ...

    @property
    def key_store(self) -> str:
        """Return, in words, where a saved key is kept."""
        ...

    @property
    def needs_password(self) -> bool:
        """Tell whether keys can be saved only once the encrypted file's password is given
        (the system has no keyring)."""
        ...

    def unlock(self, password: str) -> None:
        """Open the encrypted key file; raise ``ValueError`` when the password is wrong."""
        ...

    async def test(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> ConnectionCheck:
        """Connect with these settings (an empty key and secret: the saved ones) and read the
        account; never raises for a venue's refusal, which is the check's answer."""
        ...

    async def save(
        self, venue: str, testnet: bool, base_url: str | None, key: str, secret: str
    ) -> str:
        """Keep the connection (and the key, unless both are empty: the saved one stays);
        return what happened in words. Raises ``ValueError`` naming a setting that is wrong."""
        ...

    async def remove(self, venue: str, testnet: bool = False) -> str:
        """Forget the connection (to *venue*'s testnet when *testnet*) and its key; return
        what happened in words."""
        ...
