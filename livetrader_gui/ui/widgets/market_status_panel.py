"""Status-bar panel: broker link, exchange open or closed with its clock, stale-feed warning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from livetrader_gui.ui.colours import Tone, style_label

if TYPE_CHECKING:  # part of the first paint, which comes before the engine's modules
    from livetrader_gui.application.read_models import MarketStatusSnapshot

_BOLD = "font-weight: 600;"


class MarketStatusPanel(QWidget):
    """Shows the latest ``MarketStatusSnapshot``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.connection = QLabel("connecting…")
        self.market = QLabel("")
        self.stale = QLabel("")
        style_label(self.stale, Tone.BAD, _BOLD)
        self.stale.hide()
        self._broker_id: str | None = None  # None: whichever broker reports
        self._latest: dict[str, MarketStatusSnapshot] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.connection, self.market, self.stale):
            layout.addWidget(label)

    def show_broker(self, broker_id: str) -> None:
        """Show the market state of *broker_id* (the market watch's) from now on."""
        self._broker_id = broker_id
        latest = self._latest.get(broker_id)
        if latest is not None:
            self._show(latest)

    def _on_market_status_changed(self, status: MarketStatusSnapshot) -> None:
        self._latest[status.broker_id] = status
        if self._broker_id in (None, status.broker_id):
            self._show(status)

    def _show(self, status: MarketStatusSnapshot) -> None:
        if status.connected:
            self.connection.setText(f"● {status.broker_id} connected")
            style_label(self.connection, Tone.GOOD, _BOLD)
        else:
            self.connection.setText(f"● {status.broker_id} disconnected")
            style_label(self.connection, Tone.BAD, _BOLD)
        zone = ZoneInfo(status.exchange_timezone)
        local = status.exchange_time.astimezone(zone)
        clock = f"{local:%a %H:%M:%S} {local.tzname()}"
        suffix = " (simulated clock)" if status.simulated_clock else ""
        if status.is_open:
            self.market.setText(f"{status.exchange} open · {clock}{suffix}")
        else:
            opens = status.next_open.astimezone(zone) if status.next_open else None
            when = f" · opens {opens:%a %H:%M}" if opens else ""
            self.market.setText(f"{status.exchange} closed · {clock}{when}{suffix}")
        if status.stale_symbols:
            self.stale.setText("⚠ no fresh quotes: " + ", ".join(status.stale_symbols))
            self.stale.show()
        else:
            self.stale.hide()
