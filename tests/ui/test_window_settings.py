"""The window keeps its layout and theme between runs and shows unexpected errors in words."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.ui.colours import PALETTE, Convention
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals
from livetrader_gui.ui.theme import Theme
from livetrader_gui.ui.widgets.tables import column_actions
from tests.world import World


def window(calendar: ExchangeTradingCalendar, path: Path) -> MainWindow:
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    win = MainWindow(EngineSignals(), settings)
    win.show_workspace(World(calendar).desk(), "Fake", "FAKE", {}, "Asia/Seoul", ":memory:")
    return win


async def test_the_layout_and_the_theme_come_back_on_the_next_run(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    path = tmp_path / "window.ini"
    first = window(xkrx, path)
    first.resize(780, 580)  # inside the offscreen screen, which restoreGeometry respects
    assert first.workbench is not None
    first.workbench.splitter.setSizes([300, 460])
    sizes = first.workbench.splitter.sizes()
    first.theme_actions[Theme.DARK].trigger()
    first.close()

    second = window(xkrx, path)
    try:
        assert second.theme is Theme.DARK
        assert second.theme_actions[Theme.DARK].isChecked()
        dark = QApplication.palette().color(QPalette.ColorRole.Window)
        assert dark.lightness() < 80
        assert (second.size().width(), second.size().height()) == (780, 580)
        assert second.workbench is not None
        assert second.workbench.splitter.sizes() == sizes
    finally:
        second.set_theme(Theme.LIGHT)  # the palette is the application's: leave it as found
        second.close()


async def test_hidden_columns_and_the_colour_convention_come_back_on_the_next_run(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    path = tmp_path / "window.ini"
    first = window(xkrx, path)
    time_column = 7
    (_, *hideable) = actions = column_actions(first.quotes)
    assert [a.text() for a in actions][:4] == ["Symbol", "Name", "Last", "Change %"]
    assert not actions[0].isEnabled(), "the symbol column always stays"
    hideable[time_column - 1].setChecked(False)
    assert first.quotes.horizontalHeader().isSectionHidden(time_column)
    first.convention_actions[Convention.KOREAN].trigger()
    assert PALETTE.convention is Convention.KOREAN
    first.close()

    second = window(xkrx, path)
    try:
        assert second.quotes.horizontalHeader().isSectionHidden(time_column)
        assert not second.quotes.horizontalHeader().isSectionHidden(time_column - 1)
        assert second.convention is Convention.KOREAN
        assert second.convention_actions[Convention.KOREAN].isChecked()
        assert PALETTE.convention is Convention.KOREAN
    finally:
        second.set_convention(Convention.WESTERN)
        second.close()


async def test_an_unknown_theme_in_an_old_settings_file_falls_back_to_light(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    path = tmp_path / "window.ini"
    QSettings(str(path), QSettings.Format.IniFormat).setValue("theme", "neon")
    win = window(xkrx, path)
    assert win.theme is Theme.LIGHT
    win.close()


async def test_an_unexpected_error_is_shown_in_words_once_with_where_the_details_are(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    win = window(xkrx, tmp_path / "window.ini")
    win.show()

    win.show_unexpected(KeyError("005930"), "/data/logs/livetrader.log")
    win.show_unexpected(RuntimeError("chart went away"), "/data/logs/livetrader.log")

    box = win._error_box
    assert box is not None
    assert box.isVisible()
    assert "chart went away" in box.text()
    assert "/data/logs/livetrader.log" in box.text()
    assert "Traceback" not in box.text()
    assert win.notice.text() == "Unexpected error: chart went away (details in the log)"
    box.close()
    win.close()
