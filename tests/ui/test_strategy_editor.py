"""The strategy editor marks a bad formula, saves versions honestly, moves files, backtests."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.ui.widgets.strategy_editor import NUMBER_FIELDS, StrategyEditor
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


async def test_the_backtest_panel_follows_the_picked_strategy_and_shows_its_stored_backtest(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    editor = await editor_of(desk)
    strategy_id = desk.world.h.strategy.id
    editor.picker.setCurrentIndex(editor.picker.findData(strategy_id))
    await desk.settled()
    assert editor.curve_pages.currentWidget() is editor.curve_message
    assert "No backtest of this version" in editor.curve_message.text()
    editor.backtest_button.click()
    await desk.settled()
    [result] = desk.world.backtests.results

    editor.picker.setCurrentIndex(0)  # a new strategy: nothing to show
    await desk.settled()
    assert editor.curve_pages.currentWidget() is editor.curve_message
    assert editor.metrics["Sharpe"].text() == "—"
    editor.picker.setCurrentIndex(editor.picker.findData(strategy_id))
    await desk.settled()

    assert editor.curve_pages.currentWidget() is editor.curve
    assert "stored" in editor.result_title.text()
    assert editor.metrics["Trades"].text() == str(result.metrics.num_trades)
    _, y = editor.equity_line.getData()
    assert y is not None
    assert list(y) == [float(value) for _, value in result.curve]
    editor.reject()


async def test_a_failed_backtest_ends_the_backtesting_state_and_says_why_in_the_editor(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)  # no history at the broker: the backtest has nothing to run on
    editor = await editor_of(desk)
    editor.picker.setCurrentIndex(editor.picker.findData(desk.world.h.strategy.id))
    await desk.settled()

    editor.backtest_button.click()
    await desk.settled()

    assert editor.status.text().startswith("Backtest failed:")
    assert "has no candles" in editor.status.text()
    assert not editor.progress.isVisible()
    assert editor.backtest_button.isEnabled()
    assert desk.world.backtests.results == []
    editor.reject()


async def test_the_backtest_runs_with_the_period_money_and_costs_shown_in_the_editor(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    editor = await editor_of(desk)
    editor.picker.setCurrentIndex(editor.picker.findData(desk.world.h.strategy.id))
    await desk.settled()
    assert editor.period.currentText() == "last 6 months"
    assert editor.capital.text() == "10,000,000"
    assert (editor.commission.text(), editor.sell_tax.text()) == ("0.015", "0.2")
    editor.capital.setText("abc")
    assert not editor.backtest_button.isEnabled()
    assert "backtest capital: 'abc' is not a number" in editor.form_problem.text()

    editor.period.setCurrentIndex(editor.period.findData(1))
    editor.capital.setText("5,000,000")
    editor.commission.setText("0.1")
    editor.slippage.setValue(2)
    editor.backtest_button.click()
    await desk.settled()

    [result] = desk.world.backtests.results
    assert result.initial_capital == 5_000_000
    assert result.costs is not None
    assert (result.costs.commission_rate, result.costs.slippage_ticks) == (Decimal("0.001"), 2)
    assert result.start >= desk.world.h.clock.now() - timedelta(days=31)
    assert "capital 5,000,000" in editor.result_title.text()
    assert "slippage 2 tick(s)" in editor.result_title.text()
    editor.reject()


async def test_a_symbol_the_broker_does_not_list_is_named_and_nothing_is_saved(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > sma(close, 3)")
    editor.symbols.setText("005930, 999999")

    editor.save_button.click()
    await desk.settled()

    assert "'999999' is not listed by FAKE" in editor.status.text()
    assert [s.name for s in await desk.trading.strategies()] == [desk.world.h.strategy.name]
    editor.reject()


async def test_a_new_strategy_starts_from_the_defaults_not_the_last_one_shown(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    editor.picker.setCurrentIndex(editor.picker.findData(desk.world.h.strategy.id))
    editor.numbers["max_positions"].setText("9")
    editor.exchange.setText("XNYS")

    editor.picker.setCurrentIndex(0)

    assert editor.name.text() == ""
    assert editor.exchange.text() == "XKRX"
    assert {key: field.text() for key, field in editor.numbers.items()} == {
        key: default for key, _, default in NUMBER_FIELDS
    }
    editor.reject()


async def test_saving_is_refused_with_the_rule_and_its_problem_named(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > smaa(close, 3)")
    assert editor.form_problem.text().startswith("Fix the rules to save: entry rule: unknown")
    assert "'smaa'" in editor.form_problem.text()

    editor.entry.setPlainText("close > sma(close, 3)")
    editor.exit.setPlainText("")
    editor.entry.validate()
    editor.exit.validate()

    assert editor.form_problem.text() == "Fix the rules to save: the exit rule is empty"
    editor.reject()


async def test_a_strategy_is_deleted_after_asking_but_never_while_a_session_uses_it(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    strategy = desk.world.h.strategy
    session = await desk.world.manager.start_session(
        desk.world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    editor.picker.setCurrentIndex(editor.picker.findData(strategy.id))

    editor.delete_button.click()
    await desk.settled()
    assert desk.asked == ["Delete strategy"]
    assert f"used by session(s) {session.id} (RUNNING)" in editor.status.text()
    assert await desk.trading.strategies() == [strategy]

    await desk.world.manager.stop_session(session.id)
    desk.answer = False
    editor.delete_button.click()
    await desk.settled()
    assert await desk.trading.strategies() == [strategy], "the trader said no"
    desk.answer = True
    editor.delete_button.click()
    await desk.settled()

    assert await desk.trading.strategies() == []
    assert editor.picker.count() == 1
    assert editor.current is None
    assert editor.status.text() == f"Deleted '{strategy.name}'."
    editor.reject()


async def test_export_is_offered_in_the_documents_folder_under_the_strategy_s_name(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    fill_new(editor, "close > sma(close, 3)")
    editor.name.setText("Gap fill / KRX")

    path = editor.export_path()

    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert path == Path(documents) / "Gap-fill-KRX.toml"
    editor.reject()


async def test_an_import_error_is_shown_in_a_dialog_naming_the_file_and_line(
    xkrx: ExchangeTradingCalendar, tmp_path: Path
) -> None:
    desk = Desk(xkrx)
    editor = await editor_of(desk)
    path = tmp_path / "broken.toml"
    path.write_text('name = "Broken"\nsymbols = ["005930"]\nentry_rule = "close >"\n')

    editor.import_from(path)
    await desk.settled()

    assert editor.import_error is not None
    assert editor.import_error.isVisible()
    text = editor.import_error.text()
    assert "broken.toml could not be imported" in text
    assert re.search(rf"{re.escape(str(path))}:\d+", text), text
    editor.import_error.close()
    editor.reject()
