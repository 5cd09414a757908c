"""The risk gauge: daily P&L against the loss limit, positions against the maximum, exposure.

REDUCING and HALTED turn the whole gauge amber or red with a banner that says what it means.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from livetrader_gui.domain import RiskStatus, TradingState
from livetrader_gui.ui.colours import PALETTE, Tone, style_label
from livetrader_gui.ui.models.snapshot_table_model import number


class Band(Enum):
    """How much of the daily loss limit is used."""

    GREEN = "green"  # under half
    AMBER = "amber"  # half to 80 %
    RED = "red"  # 80 % and more


BAND_EDGES = (Decimal("0.5"), Decimal("0.8"))
_BAND_TONE = {Band.GREEN: Tone.GOOD, Band.AMBER: Tone.WARN, Band.RED: Tone.BAD}
_BANNER = {
    TradingState.ACTIVE: ("ACTIVE", "#2e7d32", "#ffffff"),
    TradingState.REDUCING: (
        "REDUCING — daily loss limit reached: exits only",
        "#ef6c00",
        "#000000",
    ),
    TradingState.HALTED: ("HALTED — no orders are sent", "#c62828", "#ffffff"),
}


def limit_used(status: RiskStatus) -> Decimal:
    """Return the share of the daily loss limit used (0 with a gain, 1 or more at the limit)."""
    limit = -status.daily_loss_limit
    if limit <= 0:
        return Decimal(1) if status.daily_pnl < 0 else Decimal(0)
    return max(Decimal(0), -status.daily_pnl / limit)


def band_of(used: Decimal) -> Band:
    """Return the colour band of a used share of the limit."""
    if used < BAND_EDGES[0]:
        return Band.GREEN
    return Band.AMBER if used < BAND_EDGES[1] else Band.RED


class _LossBar(QWidget):
    """A bar from no loss (left) to the limit (right), banded, filled up to the loss so far."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.used = Decimal(0)
        self.setMinimumHeight(18)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(240, 18)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        # Faint bands show where the colours change; the fill shows the loss so far.
        for left, right, band in (
            (0.0, float(BAND_EDGES[0]), Band.GREEN),
            (float(BAND_EDGES[0]), float(BAND_EDGES[1]), Band.AMBER),
            (float(BAND_EDGES[1]), 1.0, Band.RED),
        ):
            colour = QColor(PALETTE.colour(_BAND_TONE[band]))
            colour.setAlpha(45)
            width = area.width()
            band_area = QRectF(
                area.left() + left * width, area.top(), (right - left) * width, area.height()
            )
            painter.fillRect(band_area, colour)
        used = min(float(self.used), 1.0)
        painter.fillRect(
            QRectF(area.left(), area.top(), used * area.width(), area.height()),
            PALETTE.colour(_BAND_TONE[band_of(self.used)]),
        )
        painter.setPen(QPen(QColor("#9e9e9e"), 1))
        painter.drawRect(area)
        painter.end()


class RiskGauge(QWidget):
    """Shows the latest ``RiskStatus`` of the selected session."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("RiskGauge")
        self.setMinimumWidth(200)
        self.banner = QLabel("no session")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet("font-size: 14px; font-weight: 700; padding: 4px;")
        self.loss_bar = _LossBar()
        self.pnl = QLabel("")
        self.positions = QLabel("")
        self.exposure = QLabel("")
        self.hours = QLabel("")
        grid = QGridLayout()
        grid.addWidget(QLabel("Daily P&L"), 0, 0)
        grid.addWidget(self.loss_bar, 0, 1)
        grid.addWidget(self.pnl, 1, 1)
        grid.addWidget(QLabel("Positions"), 2, 0)
        grid.addWidget(self.positions, 2, 1)
        grid.addWidget(QLabel("Exposure"), 3, 0)
        grid.addWidget(self.exposure, 3, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(grid)
        layout.addWidget(self.hours)
        layout.addStretch(1)
        self.pnl.setWordWrap(True)
        self.band = Band.GREEN
        self.state: TradingState | None = None

    def clear(self) -> None:
        """Show no session."""
        self.state = None
        self.banner.setText("no session")
        self.banner.setStyleSheet("font-size: 14px; font-weight: 700; padding: 4px;")
        for label in (self.pnl, self.positions, self.exposure, self.hours):
            label.setText("")
        self.loss_bar.used = Decimal(0)
        self.loss_bar.update()

    def _on_risk_status_changed(self, status: RiskStatus) -> None:
        used = limit_used(status)
        self.band = band_of(used)
        self.loss_bar.used = used
        self.loss_bar.update()
        self.pnl.setText(
            f"{number(status.daily_pnl)} of {number(status.daily_loss_limit)} limit "
            f"({used * 100:.0f} % used)"
        )
        style_label(self.pnl, _BAND_TONE[self.band], "font-weight: 600;")
        self.positions.setText(f"{status.current_positions} of {status.max_positions}")
        self.exposure.setText(f"{status.exposure_pct:.1f} % of equity")
        self.hours.setText("" if status.is_within_trading_hours else "outside trading hours")
        self.state = status.trading_state
        text, background, foreground = _BANNER[status.trading_state]
        self.banner.setText(text)
        self.banner.setStyleSheet(
            f"font-size: 14px; font-weight: 700; padding: 4px; border-radius: 3px; "
            f"background: {background}; color: {foreground};"
        )
