"""The app's calendars: whole years, kept in the user's cache, seeded by the shipped ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from livetrader_gui.app.calendars import calendar_provider


def test_the_app_asks_for_whole_years_so_that_a_kept_calendar_serves_every_day_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert calendar_provider(date(2024, 12, 6), date(2027, 12, 6)).span == (
        date(2024, 1, 1),
        date(2027, 12, 31),
    )
    assert calendar_provider(date(2024, 3, 9), date(2027, 1, 2)).span == (
        date(2024, 1, 1),
        date(2027, 12, 31),
    )


def test_the_app_reads_the_shipped_krx_calendar_without_building_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    provider = calendar_provider(date(2024, 12, 6), date(2027, 12, 6))
    monkeypatch.setattr(provider, "build", lambda code: pytest.fail(f"{code} was built"))

    krx = provider.load("XKRX")

    assert krx.is_session(date(2026, 12, 7))
    assert not krx.is_session(date(2026, 12, 25))
    assert list(tmp_path.rglob("*.npz")) == [], "nothing is copied into the cache"
