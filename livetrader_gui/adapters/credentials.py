"""API keys: kept by the system's keyring, or where it has none, by an encrypted file.

Where each connection's key and secret come from, first found first:

1. **Environment variables** ``LIVETRADER_<CONNECTION>_API_KEY`` and ``…_API_SECRET`` (the
   connection's id in capitals, ``-`` as ``_``): for a headless machine. Read only.
2. **The system's keyring** (Windows Credential Manager, macOS Keychain, Secret Service or
   KWallet on Linux), under the service ``LiveTrader``.
3. **An encrypted file** in the data folder, for a system without a keyring: the secrets are
   encrypted with AES-GCM under a key derived by scrypt from a password the trader types; the
   password is never stored.

Never plaintext: with no keyring and no password, a key cannot be saved and the message says
what to do instead. A secret never reaches a message, a log line or a ``repr``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SERVICE = "LiveTrader"
VAULT_FILE = "api-keys.vault"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # about 0.1 s and 32 MiB a derivation


class CredentialError(Exception):
    """Credentials cannot be read or kept; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A venue's API key and its secret; the secret never shows in a ``repr``."""

    key: str
    secret: str = field(repr=False)
    source: str = "keyring"  # where it came from: environment, keyring or encrypted file

    def __post_init__(self) -> None:
        if not self.key.strip() or not self.secret.strip():
            raise CredentialError("an API key needs both the key and its secret")

    @property
    def masked(self) -> str:
        """Return the key as it may be shown: its first four characters."""
        return f"{self.key[:4]}…" if len(self.key) > 4 else "…"


def environment_names(connection_id: str) -> tuple[str, str]:
    """Return the environment variables that give *connection_id*'s key and secret."""
    stem = re.sub(r"[^A-Z0-9]", "_", connection_id.upper())
    return f"LIVETRADER_{stem}_API_KEY", f"LIVETRADER_{stem}_API_SECRET"


def keyring_available() -> bool:
    """Tell whether the system has a keyring that can keep secrets (a headless Linux has
    none: keyring then falls back to a backend that fails)."""
    backend = keyring.get_keyring()
    try:
        priority = float(backend.priority)
    except (AttributeError, TypeError, keyring.errors.KeyringError, RuntimeError):
        return False
    return priority > 0 and "fail" not in type(backend).__module__


class EncryptedFile:
    """Secrets in one file, encrypted with a key derived from *password* (never stored)."""

    def __init__(self, path: Path, password: str) -> None:
        if not password:
            raise CredentialError("the encrypted key file needs a password")
        self._path = path
        self._password = password.encode()
        # Once opened, the entries are kept: scrypt costs a tenth of a second a derivation,
        # and the Brokers dialog reads the keys on the GUI thread.
        self._entries: dict[str, dict[str, str]] | None = None

    def _key(self, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=32, **_SCRYPT).derive(self._password)

    def read(self) -> dict[str, dict[str, str]]:
        if self._entries is not None:
            return dict(self._entries)
        if not self._path.is_file():
            return {}
        try:
            sealed = json.loads(self._path.read_text(encoding="utf-8"))
            salt, nonce, data = (base64.b64decode(sealed[k]) for k in ("salt", "nonce", "data"))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CredentialError(f"the key file {self._path} cannot be read: {error}") from None
        try:
            plain = AESGCM(self._key(salt)).decrypt(nonce, data, None)
        except InvalidTag:
            raise CredentialError(f"the password does not open the key file {self._path}") from None
        entries: dict[str, dict[str, str]] = json.loads(plain)
        self._entries = entries
        return dict(entries)

    def write(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        salt, nonce = os.urandom(16), os.urandom(12)
        data = AESGCM(self._key(salt)).encrypt(nonce, json.dumps(entries).encode(), None)
        sealed = {k: base64.b64encode(v).decode() for k, v in (("salt", salt),
                  ("nonce", nonce), ("data", data))}  # fmt: skip
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_suffix(".tmp")
        partial.write_text(json.dumps(sealed), encoding="utf-8")
        with contextlib.suppress(OSError):
            partial.chmod(0o600)
        partial.replace(self._path)
        self._entries = {name: dict(entry) for name, entry in entries.items()}


class CredentialStore:
    """Where the app keeps and finds each connection's API key (see the module's doc).

    *environment* is the process's environment (a test gives its own); *vault* is the
    encrypted file, given once the trader has typed its password (None: not opened).
    """

    def __init__(
        self,
        data_dir: Path,
        environment: Mapping[str, str] | None = None,
        *,
        use_keyring: bool | None = None,
    ) -> None:
        self._environment = os.environ if environment is None else environment
        self._vault_path = data_dir / VAULT_FILE
        self._use_keyring = keyring_available() if use_keyring is None else use_keyring
        self._vault: EncryptedFile | None = None

    @property
    def has_keyring(self) -> bool:
        """Tell whether keys are kept by the system's keyring."""
        return self._use_keyring

    @property
    def vault_path(self) -> Path:
        """Return where the encrypted key file is (used only without a keyring)."""
        return self._vault_path

    @property
    def vault_open(self) -> bool:
        """Tell whether the encrypted file has been opened with its password."""
        return self._vault is not None

    def open_vault(self, password: str) -> None:
        """Open (or start) the encrypted file; raise ``CredentialError`` if the password is
        not the one it was made with."""
        vault = EncryptedFile(self._vault_path, password)
        vault.read()  # a wrong password fails here, not at the first save
        self._vault = vault

    def where(self) -> str:
        """Return, in words, where a saved key goes."""
        if self._use_keyring:
            return "the system's keyring"
        return f"the encrypted file {self._vault_path}"

    def load(self, connection_id: str) -> ApiKey | None:
        """Return *connection_id*'s key, or None when none is kept anywhere."""
        key_name, secret_name = environment_names(connection_id)
        key, secret = self._environment.get(key_name), self._environment.get(secret_name)
        if key and secret:
            return ApiKey(key, secret, "environment")
        if self._use_keyring:
            try:
                key = keyring.get_password(SERVICE, f"{connection_id}:key")
                secret = keyring.get_password(SERVICE, f"{connection_id}:secret")
            except keyring.errors.KeyringError as error:
                raise CredentialError(f"the system's keyring cannot be read: {error}") from None
            return ApiKey(key, secret, "keyring") if key and secret else None
        if self._vault is None:
            return None
        entry = self._vault.read().get(connection_id)
        if entry is None:
            return None
        return ApiKey(entry["key"], entry["secret"], "encrypted file")

    def save(self, connection_id: str, api_key: ApiKey) -> None:
        """Keep *api_key* for *connection_id* (in the keyring, or the opened encrypted file)."""
        if self._use_keyring:
            try:
                keyring.set_password(SERVICE, f"{connection_id}:key", api_key.key)
                keyring.set_password(SERVICE, f"{connection_id}:secret", api_key.secret)
            except keyring.errors.KeyringError as error:
                raise CredentialError(f"the system's keyring refused the key: {error}") from None
            return
        if self._vault is None:
            key_name, secret_name = environment_names(connection_id)
            raise CredentialError(
                "this system has no keyring: set a password for the encrypted key file, or "
                f"give the key in the environment variables {key_name} and {secret_name}"
            )
        entries = self._vault.read()
        entries[connection_id] = {"key": api_key.key, "secret": api_key.secret}
        self._vault.write(entries)

    def delete(self, connection_id: str) -> None:
        """Forget *connection_id*'s key (the environment's stays: it is not ours to change)."""
        if self._use_keyring:
            for part in ("key", "secret"):
                with contextlib.suppress(keyring.errors.PasswordDeleteError):
                    keyring.delete_password(SERVICE, f"{connection_id}:{part}")
            return
        if self._vault is not None:
            entries = self._vault.read()
            if entries.pop(connection_id, None) is not None:
                self._vault.write(entries)
