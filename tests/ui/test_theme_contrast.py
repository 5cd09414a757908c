"""Every text of every window reads against its background, in the light and the dark theme.

Labels are measured on what is drawn (a style sheet can set a colour the palette does not
know): the label is rendered, its background is its most common colour, its text the colour
farthest from that. Table cells are checked by the colour their model gives them against the
view's base, and chart axes by their text pen against the chart's background. WCAG's contrast
ratio is the measure: 4.5 for text, 3 for large or bold headings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QImage
from PySide6.QtWidgets import QApplication, QLabel, QTableView, QWidget

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.ui.colours import PALETTE, Convention, Tone
from livetrader_gui.ui.theme import CHART_BACKGROUND, Theme
from tests.window import Desk
from tests.world import started_with_a_position

TEXT, LARGE = 4.5, 3.0


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def drawn(label: QLabel) -> tuple[QColor, QColor]:
    """Return the background and the text colour of *label* as it is drawn."""
    image = label.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    counts: Counter[int] = Counter(
        image.pixel(x, y) for y in range(image.height()) for x in range(image.width())
    )
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    text = max((QColor.fromRgb(p) for p in counts), key=lambda c: contrast(c, background))
    return background, text


def needed(font: QFont) -> float:
    large = (
        font.pixelSize() >= 18
        or font.pointSizeF() >= 14
        or (font.bold() and (font.pixelSize() >= 14 or font.pointSizeF() >= 11))
    )
    return LARGE if large else TEXT


def labels(top: QWidget) -> Iterator[QLabel]:
    for label in top.findChildren(QLabel):
        if label.isVisible() and label.text().strip() and label.width() > 4:
            yield label


def check_labels(top: QWidget, where: str) -> list[str]:
    problems = []
    for label in labels(top):
        background, text = drawn(label)
        ratio = contrast(background, text)
        if ratio < needed(label.font()):
            problems.append(
                f"{where}: '{label.text()[:40]}' {text.name()} on {background.name()}: {ratio:.2f}"
            )
    return problems


def check_tables(top: QWidget, where: str) -> list[str]:
    problems = []
    for view in top.findChildren(QTableView):
        model = view.model()
        if model is None or not view.isVisible():
            continue
        palette = view.palette()
        backgrounds = (palette.base().color(), palette.alternateBase().color())
        root = QModelIndex()
        for row in range(min(model.rowCount(root), 50)):
            for column in range(model.columnCount(root)):
                colour = model.data(model.index(row, column), Qt.ItemDataRole.ForegroundRole)
                colour = colour if isinstance(colour, QColor) else palette.text().color()
                for background in backgrounds:
                    ratio = contrast(colour, background)
                    if ratio < TEXT:
                        problems.append(
                            f"{where}: {type(model).__name__} ({row}, {column}) "
                            f"{colour.name()} on {background.name()}: {ratio:.2f}"
                        )
    return problems


@pytest.mark.parametrize("theme", list(Theme))
async def test_every_text_of_every_window_reads_against_its_background(
    xkrx: ExchangeTradingCalendar, theme: Theme
) -> None:
    desk = Desk(xkrx)
    window = desk.window
    session_id = await started_with_a_position(desk.world)
    window.resize(1280, 800)
    window.show()
    window.set_theme(theme)
    await desk.settled()
    desk.bench.session.chart.redraw()
    editor = window.open_editor()
    wizard = window.open_go_live(desk.world.h.strategy.id)
    assert editor is not None
    assert wizard is not None
    window._on_about_triggered()
    window.tell_unclean_shutdown("2026-11-24 00:55 UTC", ["SIM holds 5 005930, records say 0"])
    await desk.settled()
    QApplication.processEvents()
    try:
        assert window.about_box is not None
        assert window.unclean_box is not None
        problems = [
            *check_labels(window.about_box, "about box"),
            *check_labels(window.unclean_box, "unclean shutdown box"),
            *check_labels(window, "main window"),
            *check_tables(window, "main window"),
            *check_labels(editor, "editor"),
            *check_labels(wizard, "go-live wizard"),
            *check_tables(wizard, "go-live wizard"),
        ]
        background = QColor(CHART_BACKGROUND[theme])
        for plot in (desk.bench.session.chart.price, editor.curve.getPlotItem()):
            for name in ("left", "bottom"):
                pen = plot.getAxis(name).textPen().color()
                if contrast(pen, background) < TEXT:
                    problems.append(f"chart axis {name}: {pen.name()} on {background.name()}")
        for convention in Convention:
            PALETTE.use(theme, convention)
            for tone in Tone:
                for base in (window.palette().base().color(), window.palette().window().color()):
                    if contrast(PALETTE.colour(tone), base) < TEXT:
                        problems.append(f"{tone.value} ({convention.value}) on {base.name()}")
        assert problems == [], "\n".join(problems)
    finally:
        if window.about_box is not None:
            window.about_box.close()
        if window.unclean_box is not None:
            window.unclean_box.close()
        editor.reject()
        wizard.reject()
        window.set_theme(Theme.LIGHT)
        PALETTE.use(Theme.LIGHT, Convention.WESTERN)
        await desk.world.manager.stop_session(session_id)
        window.quit_now()
