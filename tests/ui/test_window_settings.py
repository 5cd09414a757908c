"""The window keeps its layout and theme between runs and shows unexpected errors in words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.domain import Quote
from livetrader_gui.ui.colours import PALETTE, Convention, Tone
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from livetrader_gui.ui.theme import Theme
from livetrader_gui.ui.widgets.tables import column_actions
from tests.builders import T0
from tests.window import Desk
from tests.world import World, started_with_a_position


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


async def test_the_last_quotes_and_sessions_show_greyed_at_once_on_the_next_start(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    path = tmp_path / "last-view.json"
    desk = Desk(xkrx, last_view=path)
    session = await started_with_a_position(desk.world)
    await desk.settled()
    QtSessionObserver(desk.window._signals).on_quote_received(
        Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), T0, Decimal(5))
    )
    assert desk.window.quote_model is not None
    desk.window.quote_model.flush()
    await desk.world.manager.stop_session(session)
    desk.window.quit_now()
    assert path.is_file()

    again = MainWindow(EngineSignals(), last_view=path)  # the engine has not loaded yet
    try:
        model = again.quotes.model()
        assert model is not None
        assert model.rowCount() == 1
        assert model.data(model.index(0, 0)) == "005930"
        assert model.data(model.index(0, 2)) == "72,000"
        assert model.data(model.index(0, 2), Qt.ItemDataRole.ForegroundRole) == PALETTE.colour(
            Tone.MUTED
        )
        assert "as last seen at" in again.heading.text()
        assert not again.last_sessions.isHidden()
        sessions = again.last_sessions.model()
        assert sessions is not None
        assert sessions.data(sessions.index(0, 0)) == desk.world.h.strategy.name

        again.show_workspace(World(xkrx).desk(), "Fake", "FAKE", {}, "Asia/Seoul", ":memory:")

        assert again.last_sessions.isHidden()
        assert again.quotes.model() is again.quote_model
    finally:
        again.quit_now()


async def test_a_damaged_last_view_shows_nothing_and_stops_nothing(tmp_path: Path) -> None:
    path = tmp_path / "last-view.json"
    path.write_text("{not json")

    win = MainWindow(EngineSignals(), last_view=path)

    assert win.quotes.model() is None
    assert win.heading.text() == "Market watch — starting…"
    win.quit_now()
