"""Light and dark themes: Qt's Fusion style with a palette, and charts to match."""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


class Theme(Enum):
    """The themes a trader can pick (View ▸ Theme)."""

    LIGHT = "light"
    DARK = "dark"

    @classmethod
    def named(cls, name: object) -> Theme:
        """Return the theme called *name*; anything unknown (an old settings file) is LIGHT."""
        return next((t for t in cls if t.value == name), cls.LIGHT)


# The chart background of each theme; the candles' colours read on both.
CHART_BACKGROUND = {Theme.LIGHT: "#ffffff", Theme.DARK: "#1e1f22"}


def _dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#dfe1e5")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#26282b"),
        QPalette.ColorRole.ToolTipBase: window,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Highlight: QColor("#3574f0"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#589df6"),
        QPalette.ColorRole.PlaceholderText: QColor("#8c8f94"),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f737a"))
    return palette


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Give *app* the palette of *theme* on the Fusion style, which follows palettes fully."""
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if theme is Theme.DARK else app.style().standardPalette())
