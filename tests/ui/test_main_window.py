"""The main window follows the bridge: quotes fill the table, status reaches the status bar."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.read_models import MarketStatusSnapshot
from livetrader_gui.domain import Quote
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from tests.fakes import FakeMarketWatchBoard
from tests.world import World

NOW = datetime(2026, 11, 24, 1, 32, 15, tzinfo=UTC)


def status(**overrides: object) -> MarketStatusSnapshot:
    values: dict[str, object] = {
        "broker_id": "SIM",
        "display_name": "Simulated market (SIM)",
        "connected": True,
        "exchange": "XKRX",
        "exchange_timezone": "Asia/Seoul",
        "exchange_time": NOW,
        "is_open": True,
        "next_open": None,
        "stale_symbols": (),
        "simulated_clock": True,
    }
    values.update(overrides)
    return MarketStatusSnapshot(**values)  # type: ignore[arg-type]


def window(qtbot: QtBot, calendar: ExchangeTradingCalendar) -> tuple[MainWindow, QtSessionObserver]:
    signals = EngineSignals()
    win = MainWindow(signals)
    qtbot.addWidget(win)
    win.show_workspace(
        World(calendar).desk(),
        "Simulated market (SIM)",
        "FAKE",
        {"005930": "Samsung Electronics"},
        "Asia/Seoul",
        "/data/x.db",
    )
    return win, QtSessionObserver(signals)


def test_quotes_sent_to_the_observer_appear_in_the_table(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, observer = window(qtbot, xkrx)
    observer.on_quote_received(
        Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), NOW)
    )
    assert win.quote_model is not None
    qtbot.waitUntil(
        lambda: win.quote_model is not None and win.quote_model.rowCount() == 1, timeout=2_000
    )
    assert win.heading.text() == "Market watch — Simulated market (SIM)"
    assert win.database_label.text() == "Database: /data/x.db"


def test_at_1280_by_800_the_market_watch_shows_its_main_columns_without_scrolling(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, observer = window(qtbot, xkrx)
    win.resize(1280, 800)
    win.show()
    observer.on_quote_received(
        Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), NOW, Decimal(9_999_999))
    )
    assert win.quote_model is not None
    qtbot.waitUntil(lambda: win.quote_model is not None and win.quote_model.rowCount() == 1)
    header = win.quotes.horizontalHeader()
    wanted = ["Symbol", "Name", "Last", "Change %", "Bid", "Ask", "Volume"]

    shown = [
        str(win.quote_model.headerData(c, Qt.Orientation.Horizontal))
        for c in range(win.quote_model.columnCount())
        if header.sectionViewportPosition(c) + header.sectionSize(c)
        <= win.quotes.viewport().width()
    ]

    assert shown[: len(wanted)] == wanted
    assert win.quotes.horizontalScrollBar().value() == 0
    for column, name in enumerate(wanted[1:], start=1):
        text = win.quote_model.data(win.quote_model.index(0, column))
        needed = win.quotes.fontMetrics().horizontalAdvance(str(text)) + 8
        assert header.sectionSize(column) >= needed, f"{name} is cut"


def test_the_status_bar_shows_the_link_and_the_exchange_clock(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, observer = window(qtbot, xkrx)
    observer.on_market_status_changed(status())
    panel = win.status_panel
    assert panel.connection.text() == "● SIM connected"
    assert panel.market.text() == "XKRX open · Tue 10:32:15 KST (simulated clock)"
    assert panel.stale.isHidden()


def test_a_closed_market_shows_when_it_opens_and_a_stale_feed_is_flagged(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, observer = window(qtbot, xkrx)
    observer.on_market_status_changed(
        status(
            connected=False,
            is_open=False,
            next_open=datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
            stale_symbols=("005930",),
            simulated_clock=False,
        )
    )
    panel = win.status_panel
    assert panel.connection.text() == "● SIM disconnected"
    assert panel.market.text() == "XKRX closed · Tue 10:32:15 KST · opens Wed 09:00"
    assert not panel.stale.isHidden()
    assert panel.stale.text() == "⚠ no fresh quotes: 005930"


def test_closing_the_window_announces_it(qtbot: QtBot, xkrx: ExchangeTradingCalendar) -> None:
    win, _ = window(qtbot, xkrx)
    win.show()
    with qtbot.waitSignal(win.closed, timeout=1_000):
        win.close()


def test_the_window_carries_the_application_icon(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, _ = window(qtbot, xkrx)
    assert not win.windowIcon().isNull()
    assert win.windowIcon().pixmap(32, 32).width() == 32


def test_the_about_box_names_the_version_defined_in_the_package(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QAction

    from livetrader_gui import __version__

    win, _ = window(qtbot, xkrx)
    (about,) = [a for a in win.findChildren(QAction) if a.text() == "&About LiveTrader"]
    about.trigger()
    box = win.about_box
    assert box is not None
    assert box.isVisible()
    assert f"LiveTrader {__version__}</b>" in box.text()
    assert f"Qt {qVersion()}" in box.text()
    assert not box.iconPixmap().isNull()

    box.close()
    about.trigger()

    assert win.about_box is box, "a second click shows the same box again"
    assert box.isVisible()
    box.close()


def test_a_missing_resource_names_the_places_looked_in() -> None:
    import pytest

    from livetrader_gui.ui.resources import resource_path

    with pytest.raises(
        FileNotFoundError, match=r"resource 'icons/nope\.svg' not found \(looked in"
    ):
        resource_path("icons/nope.svg")


def test_after_an_unclean_shutdown_the_window_says_so_and_what_reconciliation_found(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, _ = window(qtbot, xkrx)

    win.tell_unclean_shutdown("2026-11-24 00:55 UTC", ["SIM holds 5 005930, records say 0"])

    assert win.unclean_box is not None
    text = win.unclean_box.text()
    assert "did not stop cleanly" in text
    assert "2026-11-24 00:55 UTC" in text
    assert "• SIM holds 5 005930, records say 0" in text
    assert "stay paused until you have checked" in text
    assert not win.unclean_box.isModal(), "the sessions' loop keeps turning"
    win.unclean_box.close()
    win.tell_unclean_shutdown("2026-11-24 00:55 UTC", [])
    assert "found no difference" in win.unclean_box.text()
    win.unclean_box.close()


def watching(
    qtbot: QtBot, calendar: ExchangeTradingCalendar, board: FakeMarketWatchBoard
) -> tuple[MainWindow, QtSessionObserver]:
    signals = EngineSignals()
    win = MainWindow(signals)
    qtbot.addWidget(win)
    win.show_workspace(
        World(calendar).desk(), "Simulated KRX", "SIM", {"005930": "Samsung Electronics"},
        "Asia/Seoul", "/data/x.db", board=board,
    )  # fmt: skip
    return win, QtSessionObserver(signals)


def shown_symbols(win: MainWindow) -> list[str]:
    model = win.quote_model
    assert model is not None
    model.flush()
    return [model.item(row).symbol for row in range(model.rowCount())]


async def test_the_market_watch_shows_the_chosen_brokers_symbols_and_its_market(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    board = FakeMarketWatchBoard(lists={"SIM": ["005930"], "UPBIT": ["KRW-BTC"]})
    win, observer = watching(qtbot, xkrx, board)
    bar = win.watch_bar
    assert bar is not None
    for quote in (
        Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), NOW),
        Quote("KRW-BTC", Decimal(90_000_000), Decimal(90_001_000), Decimal(90_000_000), NOW),
    ):
        observer.on_quote_received(quote)
    observer.on_market_status_changed(status())
    observer.on_market_status_changed(
        status(broker_id="UPBIT", exchange="24/7", exchange_timezone="UTC", simulated_clock=False)
    )
    await bar._commands.wait()
    on_sim = (win.heading.text(), shown_symbols(win), win.status_panel.market.text())

    bar.broker.setCurrentIndex(bar.broker.findData("UPBIT"))
    await bar._commands.wait()

    assert on_sim == (
        "Market watch — Simulated KRX",
        ["005930"],
        "XKRX open · Tue 10:32:15 KST (simulated clock)",
    )
    assert win.heading.text() == "Market watch — Upbit"
    assert shown_symbols(win) == ["KRW-BTC"]
    assert win.quote_model is not None
    assert win.quote_model.data(win.quote_model.index(0, 1)) == "Bitcoin"
    assert win.status_panel.market.text().startswith("24/7 open")
    assert win.status_panel.connection.text() == "● UPBIT connected"


async def test_a_symbol_is_no_longer_watched_from_the_table(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    board = FakeMarketWatchBoard(lists={"SIM": ["005930"], "UPBIT": []})
    win, observer = watching(qtbot, xkrx, board)
    observer.on_quote_received(
        Quote("005930", Decimal(72_000), Decimal(72_100), Decimal(72_000), NOW)
    )
    assert shown_symbols(win) == ["005930"]

    win.quotes.selectRow(0)
    win.unwatch_action.trigger()
    assert win.watch_bar is not None
    await win.commands.wait()

    assert board.lists["SIM"] == []
    assert shown_symbols(win) == []
    assert win.watch_bar.outcome.text() == "005930 is no longer watched"


def test_a_restart_with_lines_to_decide_opens_the_review_and_the_trading_menu_keeps_it(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.test_restart_review_dialog import lines

    signals = EngineSignals()
    win = MainWindow(signals)
    qtbot.addWidget(win)
    desk = World(xkrx).desk()
    assert win.open_restart_review() is None, "nothing to review before a workspace"
    monkeypatch.setattr(desk, "restart_review", lines)
    win.show_workspace(desk, "Upbit", "UPBIT", {}, "UTC", "/data/x.db")

    dialog = win.open_restart_review()

    assert dialog is not None
    assert dialog.table.rowCount() == 3
    assert dialog.windowModality() is Qt.WindowModality.WindowModal
    assert win.review_action in win.trading_menu.actions()
    dialog.close()
    qtbot.waitUntil(lambda: win.restart_review_dialog is None)


def test_a_restart_with_nothing_to_decide_opens_no_review(
    qtbot: QtBot, xkrx: ExchangeTradingCalendar
) -> None:
    win, _ = window(qtbot, xkrx)

    assert win.open_restart_review() is None
    assert win.review_action not in win.trading_menu.actions()
