"""Every observer fact becomes a Qt signal carrying the same frozen snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import SignalInstance
from pytestqt.qtbot import QtBot

from livetrader_gui.application.read_models import (
    BarSnapshot,
    LogEntry,
    LogLevel,
    OrderSnapshot,
    SessionSnapshot,
)
from livetrader_gui.domain import Candle, Quote
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from tests.builders import T0, order, session


def test_each_observer_method_emits_its_signal_with_the_payload(qtbot: QtBot) -> None:
    signals = EngineSignals()
    observer = QtSessionObserver(signals)
    quote = Quote("005930", Decimal(1), Decimal(2), Decimal(1), T0)
    candle = Candle("005930", T0, Decimal(1), Decimal(2), Decimal(1), Decimal(2), Decimal(10))
    bar = BarSnapshot("s", candle)
    snapshot = SessionSnapshot.of(session())
    placed = OrderSnapshot.of(order())
    entry = LogEntry(datetime.now(UTC), LogLevel.INFO, "hello", "sess-1")

    cases: list[tuple[SignalInstance, Callable[[], None], list[object]]] = [
        (signals.quote_received, lambda: observer.on_quote_received(quote), [quote]),
        (signals.candle_closed, lambda: observer.on_candle_closed(bar), [bar]),
        (
            signals.session_status_changed,
            lambda: observer.on_session_status_changed(snapshot),
            [snapshot],
        ),
        (signals.order_updated, lambda: observer.on_order_updated(placed), [placed]),
        (signals.log_added, lambda: observer.on_log(entry), [entry]),
    ]
    for signal, act, expected in cases:
        with qtbot.waitSignal(signal, timeout=1000) as blocker:
            act()
        assert blocker.args == expected
