"""What a colour means, and how it looks in the trader's theme and colour convention.

Tables and widgets name a tone (up, down, good, bad, warning, muted), never a colour: the tone
is turned into a colour when painted, so a change of theme or convention repaints everything.
Up and down follow the convention the trader picked (View ▸ Up and down): green up and red down,
or red up and blue down as in Korean brokers' screens. A loss is never green in either.
"""

from __future__ import annotations

import weakref
from decimal import Decimal
from enum import Enum

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from livetrader_gui.ui.theme import Theme


class Tone(Enum):
    """What a coloured text says."""

    UP = "up"  # a gain, a rise, a buy
    DOWN = "down"  # a loss, a fall, a sell
    GOOD = "good"  # a state that is as it should be (running, filled, passed)
    BAD = "bad"  # an error, a rejection, a failed check
    WARN = "warn"  # something waits for the trader, or is being reduced
    MUTED = "muted"  # over and done with (stopped, cancelled, expired)


class Convention(Enum):
    """How rises and falls are coloured."""

    WESTERN = "western"
    KOREAN = "korean"

    @classmethod
    def named(cls, name: object) -> Convention:
        """Return the convention called *name*; anything unknown is WESTERN."""
        return next((c for c in cls if c.value == name), cls.WESTERN)

    @property
    def label(self) -> str:
        return "Green up, red down" if self is Convention.WESTERN else "Red up, blue down (KRX)"


# Each reads at a contrast of at least 4.5:1 on its theme's table background (tests/ui/
# test_theme_contrast.py measures it).
_HUES: dict[Theme, dict[str, str]] = {
    Theme.LIGHT: {
        "green": "#1b5e20",
        "red": "#c62828",
        "blue": "#1565c0",
        "amber": "#a84b00",
        "grey": "#616161",
    },
    Theme.DARK: {
        "green": "#66bb6a",
        "red": "#ff8a80",
        "blue": "#64b5f6",
        "amber": "#ffa726",
        "grey": "#a0a4aa",
    },
}
_FIXED = {Tone.GOOD: "green", Tone.BAD: "red", Tone.WARN: "amber", Tone.MUTED: "grey"}
_SIGNED = {
    Convention.WESTERN: {Tone.UP: "green", Tone.DOWN: "red"},
    Convention.KOREAN: {Tone.UP: "red", Tone.DOWN: "blue"},
}


class Palette(QObject):
    """The colours of the tones now: one per application, changed by the main window.

    ``changed`` tells the widgets that style themselves (labels with a style sheet) to do it
    again; tables need no telling, they look the colours up as they paint.
    """

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.theme = Theme.LIGHT
        self.convention = Convention.WESTERN
        self._colours: dict[Tone, QColor] = {}
        self.use(Theme.LIGHT, Convention.WESTERN)

    def use(self, theme: Theme, convention: Convention) -> None:
        """Colour the tones for *theme* and *convention* from now on."""
        self.theme, self.convention = theme, convention
        hues = _HUES[theme]
        names = {**_FIXED, **_SIGNED[convention]}
        self._colours = {tone: QColor(hues[name]) for tone, name in names.items()}
        self.changed.emit()

    def colour(self, tone: Tone) -> QColor:
        """Return the colour of *tone*."""
        return self._colours[tone]

    def css(self, tone: Tone) -> str:
        """Return the colour of *tone* for a style sheet."""
        return self._colours[tone].name()


PALETTE = Palette()


def signed(value: Decimal | None) -> Tone | None:
    """Return UP for a gain, DOWN for a loss, nothing for zero or an unknown value."""
    if value is None or value == 0:
        return None
    return Tone.UP if value > 0 else Tone.DOWN


def style_label(label: QLabel, tone: Tone | None = None, css: str = "") -> None:
    """Give *label* the colour of *tone* (None: the theme's text) and *css*, now and after
    every change of theme or convention (a style sheet does not follow the palette)."""
    _STYLED[label] = (tone, css)
    _apply(label, tone, css)


def _apply(label: QLabel, tone: Tone | None, css: str) -> None:
    if tone is None:
        app = QApplication.instance()
        palette = app.palette() if isinstance(app, QApplication) else QPalette()
        colour = palette.color(QPalette.ColorRole.WindowText).name()
    else:
        colour = PALETTE.css(tone)
    label.setStyleSheet(f"color: {colour}; {css}")


def _restyle() -> None:
    for label, (tone, css) in list(_STYLED.items()):
        try:
            _apply(label, tone, css)
        except RuntimeError:  # its C++ object is gone, the Python one not yet
            _STYLED.pop(label, None)


_STYLED: weakref.WeakKeyDictionary[QLabel, tuple[Tone | None, str]] = weakref.WeakKeyDictionary()
PALETTE.changed.connect(_restyle)
HEADING = "font-size: 15px; font-weight: 600; padding: 4px 0;"
