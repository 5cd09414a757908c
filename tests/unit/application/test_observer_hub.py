"""The observer hub forwards every fact, and a failing observer never silences the others."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.domain import Quote

QUOTE = Quote("005930", Decimal(1), Decimal(2), Decimal(1), datetime(2026, 1, 1, tzinfo=UTC))


class Recorder:
    def __init__(self) -> None:
        self.quotes: list[Quote] = []

    def on_quote_received(self, quote: Quote) -> None:
        self.quotes.append(quote)


class Broken:
    def on_quote_received(self, quote: Quote) -> None:
        raise RuntimeError("view crashed")


def test_a_broken_observer_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    hub, first, last = ObserverHub(), Recorder(), Recorder()
    for observer in (first, Broken(), last):
        hub.add(observer)  # type: ignore[arg-type]

    with caplog.at_level(logging.ERROR):
        hub.on_quote_received(QUOTE)

    assert first.quotes == [QUOTE]
    assert last.quotes == [QUOTE]
    assert "failed in on_quote_received" in caplog.text


def test_a_removed_observer_hears_nothing_more() -> None:
    hub, recorder = ObserverHub(), Recorder()
    hub.add(recorder)  # type: ignore[arg-type]
    hub.remove(recorder)  # type: ignore[arg-type]
    hub.on_quote_received(QUOTE)
    assert recorder.quotes == []
