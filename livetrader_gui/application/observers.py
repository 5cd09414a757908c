"""Fan-out of engine facts to many observers, isolating each from the others' failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from livetrader_gui.application.ports import ISessionObserver
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

_log = logging.getLogger(__name__)


class ObserverHub:
    """An ``ISessionObserver`` that forwards every fact to the observers it holds.

    An observer that raises is logged and skipped: a broken view must never stop trading.
    """

    def __init__(self) -> None:
        self._observers: list[ISessionObserver] = []

    @property
    def listening(self) -> bool:
        # An observer that does not say is taken to listen: it is sent every fact.
        if not self._observers:
            return False
        return any(getattr(observer, "listening", True) for observer in self._observers)

    def add(self, observer: ISessionObserver) -> None:
        """Start forwarding to *observer*."""
        self._observers.append(observer)

    def remove(self, observer: ISessionObserver) -> None:
        """Stop forwarding to *observer*."""
        self._observers.remove(observer)

    def _each(self, method: str, *args: Any) -> None:
        for observer in list(self._observers):
            handler: Callable[..., None] = getattr(observer, method)
            try:
                handler(*args)
            except Exception:
                _log.exception("observer %r failed in %s", observer, method)

    def on_session_status_changed(self, session: SessionSnapshot) -> None:
        self._each("on_session_status_changed", session)

    def on_signal_emitted(self, signal: SignalSnapshot) -> None:
        self._each("on_signal_emitted", signal)

    def on_order_updated(self, order: OrderSnapshot) -> None:
        self._each("on_order_updated", order)

    def on_position_changed(self, position: PositionSnapshot) -> None:
        self._each("on_position_changed", position)

    def on_risk_status_changed(self, status: RiskStatus) -> None:
        self._each("on_risk_status_changed", status)

    def on_candle_closed(self, bar: BarSnapshot) -> None:
        self._each("on_candle_closed", bar)

    def on_quote_received(self, quote: Quote) -> None:
        self._each("on_quote_received", quote)

    def on_log(self, entry: LogEntry) -> None:
        self._each("on_log", entry)

    def on_market_status_changed(self, status: MarketStatusSnapshot) -> None:
        self._each("on_market_status_changed", status)
