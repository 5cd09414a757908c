"""The market watch's symbols per broker, in ``watchlists.json``: kept whole, and a file that
cannot be used is named with what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrader_gui.adapters.watchlists import WatchlistFile, WatchlistsError


def test_watchlists_are_written_whole_and_read_back(tmp_path: Path) -> None:
    kept = WatchlistFile(tmp_path)
    assert kept.read() == {}, "no file yet: nothing watched"

    kept.write({"UPBIT": ["KRW-BTC", "KRW-ETH"], "SIM": []})

    assert WatchlistFile(tmp_path).read() == {"UPBIT": ["KRW-BTC", "KRW-ETH"], "SIM": []}
    assert not (tmp_path / "watchlists.tmp").exists()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{\n  oops", "line 2: not JSON"),
        ('["KRW-BTC"]', 'expected {"watchlists": {...}}'),
        ('{"watchlists": {"UPBIT": "KRW-BTC"}}', "broker UPBIT: expected a list of symbols"),
        ('{"watchlists": {"UPBIT": [1]}}', "broker UPBIT: expected a list of symbols"),
    ],
)
def test_a_file_that_cannot_be_used_is_named_with_what_is_wrong(
    tmp_path: Path, text: str, said: str
) -> None:
    (tmp_path / "watchlists.json").write_text(text, encoding="utf-8")

    with pytest.raises(WatchlistsError) as refused:
        WatchlistFile(tmp_path).read()

    assert str(refused.value).startswith(str(tmp_path / "watchlists.json"))
    assert said in str(refused.value)
