"""``brokers.json`` keeps the trader's venue connections, and says where it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrader_gui.adapters.brokers.connections import (
    BrokerConnection,
    ConnectionsError,
    ConnectionsFile,
)


def test_connections_are_written_whole_and_read_back(tmp_path: Path) -> None:
    file = ConnectionsFile(tmp_path)
    assert file.read() == []
    connections = [BrokerConnection("UPBIT", base_url="http://127.0.0.1:8601")]

    file.write(connections)

    assert file.read() == connections
    assert "secret" not in file.path.read_text(encoding="utf-8")
    assert connections[0].display_name == "Upbit (local copy at http://127.0.0.1:8601)"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "line 1: not JSON"),
        ('{"brokers": []}', 'expected {"connections": [...]}'),
        ('{"connections": [{"venue": "KRAKEN"}]}', "connection 1: no venue 'KRAKEN'"),
        ('{"connections": [{"venue": "UPBIT", "testnet": true}]}', "Upbit has no testnet"),
        ('{"connections": [{"venue": "UPBIT", "key": "x"}]}', "unknown fields key"),
        ('{"connections": [{"venue": "UPBIT", "base_url": "ftp://x"}]}', "give one like http"),
        ('{"connections": [{"venue": "UPBIT"}, {"venue": "UPBIT"}]}', "a venue is listed twice"),
    ],
)
def test_a_file_that_is_wrong_says_where(tmp_path: Path, text: str, says: str) -> None:
    file = ConnectionsFile(tmp_path)
    file.path.write_text(text, encoding="utf-8")

    with pytest.raises(ConnectionsError) as wrong:
        file.read()

    assert says in str(wrong.value)
    assert str(file.path) in str(wrong.value)
