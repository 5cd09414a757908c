"""The strategy editor marks a bad formula, saves versions honestly, moves files, backtests."""

from __future__ import annotations

from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.ui.widgets.strategy_editor import StrategyEditor
from tests.window import Desk, days_of_history


async def editor_of(desk: Desk) -> StrategyEditor:
    editor = desk.window.open_editor()
    assert editor is not None
    await desk.settled()  # the saved strategies are loaded
    return editor


def fill_new(editor: StrategyEditor, entry: str) -> None:
    editor.name.setText("Breakout")
    editor.symbols.setText("005930, 000660")
    editor.entry.setPlainText(entry)
    editor.exit.setPlainText("close < sma(close, 3)")
    editor.entry.validate()  # what the typing pause would do
    editor.exit.validate()


async def test_the_editor_marks_a_bad_formula_where_it_is_and_refuses_to_save_it(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)

    fill_new(editor, "close > smaa(close, 20)")

    assert "unknown function 'smaa'" in editor.entry.problems_label.text()
    assert "did you mean 'sma'" in editor.entry.problems_label.text()
    [mark] = editor.entry.extraSelections()
    assert mark.cursor.selectedText() == "smaa"
    assert not editor.save_button.isEnabled()

    editor.entry.setPlainText("close > sma(close, 20)")
    editor.entry.validate()
    assert editor.entry.extraSelections() == []
    assert editor.entry.problems_label.text() == ""
    assert editor.save_button.isEnabled()
    editor.reject()


async def test_a_rule_is_checked_by_itself_a_moment_after_typing_stops(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    editor.entry.setPlainText("close > ")
    assert editor.entry.problems_label.text() == ""  # not while the trader is typing
    editor.entry._timer.timeout.emit()  # the pause, without waiting for it
    assert editor.entry.problems_label.text() != ""
    editor.reject()


async def test_a_bad_number_is_named_and_blocks_save(xkrx: ExchangeTradingCalendar) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > sma(close, 3)")

    editor.numbers["max_positions"].setText("three")

    assert editor.form_problem.text() == "open positions at most: 'three' is not a whole number"
    assert not editor.save_button.isEnabled()
    editor.numbers["max_positions"].setText("0")
    assert "max positions" in editor.form_problem.text()
    editor.reject()


async def test_saving_new_rules_over_a_saved_strategy_asks_first(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    editor.picker.setCurrentIndex(editor.picker.findData(desk.world.h.strategy.id))
    assert editor.entry.rule() == desk.world.h.strategy.entry_rule
    assert editor.backtest_button.isEnabled()  # the saved version

    editor.entry.setPlainText("close > sma(close, 5)")
    editor.entry.validate()
    assert not editor.backtest_button.isEnabled()  # the edit is not saved yet
    desk.answer = False
    editor.save_button.click()
    await desk.settled()
    assert desk.asked == ["Save strategy"]
    [kept] = await desk.trading.strategies()
    assert kept.entry_rule == desk.world.h.strategy.entry_rule

    desk.answer = True
    editor.save_button.click()
    await desk.settled()
    [saved] = await desk.trading.strategies()
    assert saved.entry_rule == "close > sma(close, 5)"
    assert saved.rules_hash != desk.world.h.strategy.rules_hash
    assert editor.backtest_button.isEnabled()
    editor.reject()


async def test_a_strategy_goes_out_to_a_file_and_comes_back_the_same(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > sma(close, 3) and rsi(close, 14) < 70")
    path = tmp_path / "breakout.toml"

    editor.export_to(path)
    await desk.settled()
    assert editor.status.text() == f"Exported to {path}."
    editor.export_to(path)  # again, without permission to replace it
    await desk.settled()
    assert "exists" in desk.window.notice.text()

    editor.picker.setCurrentIndex(0)
    editor.import_from(path)
    await desk.settled()
    assert editor.name.text() == "Breakout"
    assert editor.entry.rule() == "close > sma(close, 3) and rsi(close, 14) < 70"
    assert editor.symbols.text() == "005930, 000660"
    assert editor.status.text() == "Imported 'Breakout': not saved yet."
    editor.reject()


async def test_a_broken_strategy_file_is_refused_with_its_file_and_line(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > sma(close, 3)")
    path = tmp_path / "bad.toml"
    editor.export_to(path)
    await desk.settled()
    path.write_text(path.read_text().replace("sma(close, 3)", "smaa(close, 3)", 1))

    editor.import_from(path)
    await desk.settled()

    assert desk.window.notice.text().startswith(f"Import failed: {path}:")
    assert "unknown function 'smaa'" in desk.window.notice.text()
    editor.reject()


async def test_the_backtest_runs_off_the_gui_thread_and_shows_its_curve_and_metrics(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    editor = await editor_of(desk)
    editor.picker.setCurrentIndex(editor.picker.findData(desk.world.h.strategy.id))

    editor.backtest_button.click()
    assert editor.progress.isVisible()
    assert not editor.backtest_button.isEnabled()
    await desk.settled()

    [result] = desk.world.backtests.results
    x, _ = editor.equity_line.getData()
    assert x is not None
    assert len(x) > 0
    assert editor.metrics["Trades"].text() == str(result.metrics.num_trades)
    assert editor.metrics["Sharpe"].text() != "—"
    assert editor.status.text().startswith("Backtest stored as evidence for this version")
    assert not editor.progress.isVisible()
    editor.reject()
