"""The only seam from the engine to Qt.

``EngineSignals`` carries one past-tense Qt signal per fact; ``QtSessionObserver`` implements
the engine's observer port and does nothing but emit them. Emitting from any thread is safe:
receivers living on the GUI thread get queued deliveries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # the window creates the signals before the engine's modules are loaded
    from livetrader_gui.application.read_models import (
        BarSnapshot,
        LogEntry,
        MarketStatusSnapshot,
        OrderSnapshot,
        PositionSnapshot,
        SessionSnapshot,
        SignalSnapshot,
    )
    from livetrader_gui.domain import Quote, RiskStatus


class EngineSignals(QObject):
    """Qt signals for engine facts; payloads are frozen snapshots."""

    session_status_changed = Signal(object)
    signal_emitted = Signal(object)
    order_updated = Signal(object)
    position_changed = Signal(object)
    risk_status_changed = Signal(object)
    candle_closed = Signal(object)
    quote_received = Signal(object)
    log_added = Signal(object)
    market_status_changed = Signal(object)


class QtSessionObserver:
    """An ``ISessionObserver`` that turns each fact into a Qt signal."""

    def __init__(self, signals: EngineSignals) -> None:
        self._signals = signals

    @property
    def listening(self) -> bool:
        return True

    def on_session_status_changed(self, session: SessionSnapshot) -> None:
        self._signals.session_status_changed.emit(session)

    def on_signal_emitted(self, signal: SignalSnapshot) -> None:
        self._signals.signal_emitted.emit(signal)

    def on_order_updated(self, order: OrderSnapshot) -> None:
        self._signals.order_updated.emit(order)

    def on_position_changed(self, position: PositionSnapshot) -> None:
        self._signals.position_changed.emit(position)

    def on_risk_status_changed(self, status: RiskStatus) -> None:
        self._signals.risk_status_changed.emit(status)

    def on_candle_closed(self, bar: BarSnapshot) -> None:
        self._signals.candle_closed.emit(bar)

    def on_quote_received(self, quote: Quote) -> None:
        self._signals.quote_received.emit(quote)

    def on_log(self, entry: LogEntry) -> None:
        self._signals.log_added.emit(entry)

    def on_market_status_changed(self, status: MarketStatusSnapshot) -> None:
        self._signals.market_status_changed.emit(status)
