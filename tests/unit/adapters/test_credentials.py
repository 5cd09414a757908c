"""API keys are kept by the keyring, or an encrypted file, or read from the environment; never
in plaintext, never in a message."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest

from livetrader_gui.adapters.credentials import (
    VAULT_FILE,
    ApiKey,
    CredentialError,
    CredentialStore,
    environment_names,
    keyring_available,
)
from tests.fakes import MemoryKeyring

SECRET = "s3cr3t-7a1f-never-shown"


def test_a_key_kept_in_the_keyring_is_found_again_and_forgotten(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = CredentialStore(tmp_path, {})
    assert store.has_keyring
    assert keyring_available()

    store.save("UPBIT", ApiKey("access-key", SECRET))
    kept = set(memory_keyring.kept.values())
    found = store.load("UPBIT")
    store.delete("UPBIT")

    assert found == ApiKey("access-key", SECRET, "keyring")
    assert store.load("UPBIT") is None
    assert not list(tmp_path.iterdir()), "nothing written to the data folder"
    assert SECRET in kept
    assert memory_keyring.kept == {}


def test_the_environment_gives_a_key_first_and_is_never_changed(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    key_name, secret_name = environment_names("UPBIT")
    store = CredentialStore(tmp_path, {key_name: "env-key", secret_name: "env-secret"})
    store.save("UPBIT", ApiKey("keyring-key", SECRET))

    assert (key_name, secret_name) == ("LIVETRADER_UPBIT_API_KEY", "LIVETRADER_UPBIT_API_SECRET")
    assert store.load("UPBIT") == ApiKey("env-key", "env-secret", "environment")


def test_with_no_keyring_a_key_is_not_saved_until_a_password_is_given(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, {}, use_keyring=False)

    with pytest.raises(CredentialError) as refused:
        store.save("UPBIT", ApiKey("access-key", SECRET))

    assert "no keyring" in str(refused.value)
    assert "LIVETRADER_UPBIT_API_KEY" in str(refused.value)
    assert not (tmp_path / VAULT_FILE).exists(), "never plaintext, never silently"


def test_the_encrypted_file_keeps_keys_that_only_its_password_opens(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, {}, use_keyring=False)
    store.open_vault("correct horse")
    store.save("UPBIT", ApiKey("access-key", SECRET))

    again = CredentialStore(tmp_path, {}, use_keyring=False)
    assert again.load("UPBIT") is None, "closed until its password is given"
    with pytest.raises(CredentialError) as wrong:
        again.open_vault("wrong password")
    again.open_vault("correct horse")

    assert again.load("UPBIT") == ApiKey("access-key", SECRET, "encrypted file")
    assert "password does not open" in str(wrong.value)
    raw = (tmp_path / VAULT_FILE).read_bytes()
    assert SECRET.encode() not in raw
    assert b"access-key" not in raw


def test_a_secret_never_shows_in_a_repr_or_its_masked_form() -> None:
    api_key = ApiKey("AKIA1234567", SECRET)

    assert SECRET not in repr(api_key)
    assert api_key.masked == "AKIA…"


def test_a_key_without_its_secret_is_refused() -> None:
    with pytest.raises(CredentialError):
        ApiKey("access-key", "  ")


def test_a_headless_system_has_no_keyring(tmp_path: Path) -> None:
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        assert not keyring_available()
        assert not CredentialStore(tmp_path, {}).has_keyring
    finally:
        keyring.set_keyring(before)
