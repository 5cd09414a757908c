"""The market watch's broker picker and symbol search: what it asks its board, and what it
shows of the answers. The board is a fake of its port (``IMarketWatchBoard``); the real one is
tested in ``tests/unit/application/test_market_watch_board.py``."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from livetrader_gui.ui.commands import CommandRunner
from livetrader_gui.ui.widgets.market_watch_bar import MarketWatchBar
from tests.fakes import FakeMarketWatchBoard


def bar(qtbot: QtBot, board: FakeMarketWatchBoard) -> tuple[MarketWatchBar, list[str], list[str]]:
    reports: list[str] = []
    shown = MarketWatchBar(board, CommandRunner(reports.append))
    qtbot.addWidget(shown)
    chosen: list[str] = []
    shown.broker_chosen.connect(chosen.append)
    return shown, reports, chosen


async def test_choosing_a_broker_lists_its_symbols_to_search_by_code_or_name(
    qtbot: QtBot,
) -> None:
    board = FakeMarketWatchBoard()
    shown, _, chosen = bar(qtbot, board)
    await shown._commands.wait()
    first = shown.broker_id

    shown.broker.setCurrentIndex(shown.broker.findData("UPBIT"))
    await shown._commands.wait()
    shown.completer.setCompletionPrefix("eth")

    assert first == "SIM"
    assert chosen == ["UPBIT"]
    assert shown.symbols.stringList() == ["KRW-BTC — Bitcoin", "KRW-ETH — Ethereum"]
    assert shown.completer.currentCompletion() == "KRW-ETH — Ethereum", "found by its name"
    assert shown.names("UPBIT") == {"KRW-BTC": "Bitcoin", "KRW-ETH": "Ethereum"}


async def test_a_picked_symbol_is_watched_and_the_watch_is_told_to_show_it(
    qtbot: QtBot,
) -> None:
    board = FakeMarketWatchBoard()
    shown, _, chosen = bar(qtbot, board)
    shown.broker.setCurrentIndex(shown.broker.findData("UPBIT"))
    await shown._commands.wait()

    shown.search.setText("KRW-ETH — Ethereum")
    shown.watch_button.click()
    await shown._commands.wait()

    assert board.lists["UPBIT"] == ["KRW-ETH"]
    assert shown.outcome.text() == "Watching KRW-ETH on Upbit"
    assert shown.search.text() == ""
    assert chosen == ["UPBIT", "UPBIT"], "the watch shows its new rows"
    assert shown.watch_button.isEnabled()


async def test_a_symbol_the_broker_does_not_list_is_refused_in_words(qtbot: QtBot) -> None:
    board = FakeMarketWatchBoard()
    shown, reports, _ = bar(qtbot, board)
    shown.broker.setCurrentIndex(shown.broker.findData("UPBIT"))
    await shown._commands.wait()

    shown.search.setText("DOGE")
    shown.watch_button.click()
    await shown._commands.wait()

    assert shown.outcome.text() == "Watching DOGE failed: Upbit does not list 'DOGE'"
    assert reports == [shown.outcome.text()]
    assert board.lists["UPBIT"] == []


async def test_a_broker_that_cannot_list_its_symbols_says_why(qtbot: QtBot) -> None:
    board = FakeMarketWatchBoard(problems={"UPBIT": "Upbit cannot list its symbols now: banned"})
    shown, _, _ = bar(qtbot, board)
    upbit = shown.broker.findData("UPBIT")

    shown.broker.setCurrentIndex(upbit)
    await shown._commands.wait()

    assert "banned" in shown.outcome.text()
    assert shown.broker.itemData(upbit, 3) == "Upbit cannot list its symbols now: banned"


async def test_a_broker_added_while_the_app_runs_joins_the_list_and_the_shown_one_stays(
    qtbot: QtBot,
) -> None:
    board = FakeMarketWatchBoard(lists={"SIM": ["005930"]})
    shown, _, chosen = bar(qtbot, board)
    await shown._commands.wait()

    board.lists["UPBIT"] = []
    shown.show_brokers()

    assert [shown.broker.itemText(i) for i in range(shown.broker.count())] == [
        "Simulated KRX",
        "Upbit",
    ]
    assert shown.broker_id == "SIM"
    assert chosen == [], "the watch keeps showing SIM"
