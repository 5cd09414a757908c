"""The go-live wizard: Start waits for every check, real money needs consent, evidence on demand."""

from __future__ import annotations

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.domain import ExecutionMode, PrerequisiteKind
from livetrader_gui.ui.wizards.go_live import FAILED, PASSED, GoLiveWizard
from tests.window import Desk, days_of_history

ROWS = {kind: row for row, kind in enumerate(PrerequisiteKind)}


async def on_checks_page(desk: Desk, *, live: bool = True) -> GoLiveWizard:
    """Open the wizard, choose live (or paper) money and walk to the checks."""
    wizard = desk.window.open_go_live()
    assert wizard is not None
    await desk.settled()  # the strategies are loaded
    (wizard.choice.live if live else wizard.choice.paper).setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.risk
    wizard.next()
    assert wizard.currentPage() is wizard.checks
    await desk.settled()  # the checks are answered
    return wizard


def cell(wizard: GoLiveWizard, kind: PrerequisiteKind, column: int) -> str:
    item = wizard.checks.table.item(ROWS[kind], column)
    return "" if item is None else item.text()


async def test_start_is_disabled_until_every_check_passes_and_then_starts_a_live_session(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    wizard = await on_checks_page(desk)

    assert not wizard.start_button().isEnabled()
    assert cell(wizard, PrerequisiteKind.BACKTEST, 1) == FAILED
    assert cell(wizard, PrerequisiteKind.BACKTEST, 2) == "no backtest of the current rules"
    assert cell(wizard, PrerequisiteKind.PAPER_TRADING, 2) == "0 of 5 paper days"
    assert cell(wizard, PrerequisiteKind.BROKER_CONNECTED, 1) == PASSED
    assert "Failing: Backtest Sharpe ratio, Paper-trading days" in wizard.checks.status.text()

    await desk.world.ready()
    wizard.checks.recheck_button.click()
    assert not wizard.start_button().isEnabled()  # not while the checks are running
    await desk.settled()

    assert [cell(wizard, kind, 1) for kind in PrerequisiteKind] == [PASSED] * 5
    assert cell(wizard, PrerequisiteKind.BACKTEST, 2) == "Sharpe 1.34 ≥ 1.00"
    assert wizard.start_button().isEnabled()
    wizard.start_button().click()
    await desk.settled()

    [session] = desk.world.manager.get_active_sessions()
    assert not session.is_paper
    assert session.execution_mode is ExecutionMode.AUTO
    assert desk.window.wizard is None  # closed once the session had started
    assert desk.bench.sessions.selected() is not None
    await desk.world.manager.stop_session(session.id)


async def test_a_real_money_broker_needs_an_explicit_confirmation_before_start(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    desk.world.h.broker.real_money = True
    await desk.world.ready()
    wizard = await on_checks_page(desk)

    assert [cell(wizard, kind, 1) for kind in PrerequisiteKind] == [PASSED] * 5
    assert wizard.checks.real_money.isVisible()
    assert "real money" in wizard.checks.real_money.text()
    assert not wizard.start_button().isEnabled()
    wizard.checks.real_money.setChecked(True)
    assert wizard.start_button().isEnabled()
    wizard.reject()
    assert not desk.world.manager.get_active_sessions()  # closing the wizard starts nothing


async def test_a_paper_session_starts_without_the_gate_and_in_the_chosen_mode(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    wizard = await on_checks_page(desk, live=False)

    assert cell(wizard, PrerequisiteKind.BACKTEST, 1) == FAILED
    assert not wizard.checks.real_money.isVisible()
    assert wizard.start_button().isEnabled()
    wizard.back()
    wizard.back()
    wizard.choice.manual.setChecked(True)
    wizard.next()
    wizard.next()
    await desk.settled()
    wizard.start_button().click()
    await desk.settled()

    [session] = desk.world.manager.get_active_sessions()
    assert session.is_paper
    assert session.execution_mode is ExecutionMode.MANUAL
    await desk.world.manager.stop_session(session.id)


async def test_start_paper_trading_from_the_checks_collects_paper_days_and_keeps_the_wizard(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    wizard = await on_checks_page(desk)
    assert wizard.checks.paper_button.isEnabled()

    wizard.checks.paper_button.click()
    await desk.settled()

    [session] = desk.world.manager.get_active_sessions()
    assert session.is_paper
    assert wizard.isVisible()
    assert wizard.checks.status.text().startswith("Paper session started")
    assert not wizard.start_button().isEnabled()  # the gate still wants its evidence
    wizard.reject()
    await desk.world.manager.stop_session(session.id)


async def test_the_missing_backtest_runs_from_the_checks_and_its_sharpe_becomes_evidence(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    wizard = await on_checks_page(desk)
    assert wizard.checks.backtest_button.isEnabled()

    wizard.checks.backtest_button.click()
    assert wizard.checks.progress.isVisible()
    assert wizard.checks.cancel_button.isVisible()
    assert not wizard.start_button().isEnabled()
    await desk.settled()  # the backtest, then the checks again
    await desk.settled()

    [result] = desk.world.backtests.results
    assert result.rules_hash == desk.world.h.strategy.rules_hash
    assert not wizard.checks.progress.isVisible()
    assert cell(wizard, PrerequisiteKind.BACKTEST, 2).startswith("Sharpe ")
    assert desk.window.notice.text().startswith("Backtest stored: Sharpe ")
    wizard.reject()


async def test_a_cancelled_backtest_stores_nothing_and_says_so(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    wizard = await on_checks_page(desk)

    wizard.checks.backtest_button.click()
    wizard.checks.cancel_button.click()  # before the worker thread has looked
    await desk.settled()

    assert desk.world.backtests.results == []
    assert wizard.checks.status.text() == "Backtest cancelled: nothing was stored."
    assert wizard.checks.backtest_button.isEnabled()
    wizard.reject()


async def test_closing_the_wizard_under_a_running_backtest_cancels_it_without_an_error(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 4)
    wizard = await on_checks_page(desk)

    wizard.checks.backtest_button.click()
    wizard.reject()
    await desk.settled()

    assert desk.world.backtests.results == []
    assert desk.window.notice.text() == ""
