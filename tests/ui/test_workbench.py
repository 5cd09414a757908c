"""The window over a real session manager: sessions appear, commands reach it, the kill switch."""

from __future__ import annotations

from PySide6.QtCore import Qt

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.read_models import BarSnapshot
from livetrader_gui.domain import SessionStatus, TradingState
from livetrader_gui.ui.colours import PALETTE, Tone
from tests.window import Desk, days_of_history
from tests.world import started_with_a_position


async def test_a_started_session_is_listed_selected_and_shown(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()

    sessions = desk.bench.sessions
    assert sessions.model.rowCount() == 1
    assert sessions.selected() is not None
    assert sessions.selected().session_id == session_id  # type: ignore[union-attr]
    assert desk.bench.session.heading.text().endswith("AUTO · LIVE, real orders · RUNNING")
    desk.bench.session.positions.flush()
    assert desk.bench.session.positions.rowCount() == 1  # 005930, bought on the fourth minute
    assert desk.bench.session.positions.data(desk.bench.session.positions.index(0, 1)) == "9,090"
    await desk.world.manager.stop_session(session_id)


async def test_pause_and_resume_buttons_reach_the_manager(xkrx: ExchangeTradingCalendar) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()
    panel = desk.bench.sessions
    assert panel.pause_button.isEnabled()
    assert not panel.resume_button.isEnabled()

    panel.pause_button.click()
    await desk.settled()

    assert desk.world.manager.runner(session_id).session.status is SessionStatus.PAUSED
    assert panel.model.data(panel.model.index(0, 5)) == "PAUSED"
    assert panel.resume_button.isEnabled()
    panel.resume_button.click()
    await desk.settled()
    assert desk.world.manager.runner(session_id).session.status is SessionStatus.RUNNING
    await desk.world.manager.stop_session(session_id)


async def test_stop_asks_first_and_does_nothing_when_the_trader_says_no(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()
    desk.answer = False

    desk.bench.sessions.stop_button.click()
    await desk.settled()

    assert desk.asked == ["Stop session"]
    assert desk.world.manager.runner(session_id).session.status is SessionStatus.RUNNING
    desk.answer = True
    desk.bench.sessions.stop_button.click()
    await desk.settled()
    assert not desk.world.manager.get_active_sessions()
    desk.bench.sessions.table.clearSelection()
    desk.bench.sessions.select(session_id)  # a stopped session still shows, without an error
    await desk.settled()
    assert desk.bench.session.heading.text().endswith("STOPPED")
    assert desk.window.notice.text() == ""


async def test_the_kill_switch_asks_once_then_halts_flattens_and_says_what_it_did(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()
    runner = desk.world.manager.runner(session_id)

    desk.window.kill_action.trigger()
    await desk.settled()

    assert desk.asked == ["Kill switch"]
    assert runner.session.trading_state is TradingState.HALTED
    assert runner.book.held("005930") == 0
    assert desk.window.notice.text() == (
        "Kill switch: 1 session(s) halted, 0 order(s) cancelled, 1 position(s) sent to close"
    )
    assert desk.bench.sessions.model.data(desk.bench.sessions.model.index(0, 6)) == "HALTED"
    await desk.world.manager.stop_session(session_id)


async def test_a_declined_kill_switch_changes_nothing(xkrx: ExchangeTradingCalendar) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    desk.answer = False

    desk.window.kill_action.trigger()
    await desk.settled()

    runner = desk.world.manager.runner(session_id)
    assert runner.session.trading_state is TradingState.ACTIVE
    assert runner.book.held("005930") == 9_090
    assert desk.window.last_kill_report is None
    await desk.world.manager.stop_session(session_id)


async def test_a_failed_command_is_reported_in_words_not_a_traceback(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)

    desk.window.commands.run("Pause", desk.world.desk().pause_session("S-missing"))
    await desk.settled()

    assert desk.window.notice.text() == "Pause failed: no active session S-missing"


async def test_quitting_with_a_running_session_asks_first_and_says_it_comes_back_paused(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()
    questions: list[str] = []

    def ask(title: str, question: str) -> bool:
        questions.append(question)
        return desk.answer

    desk.window.confirm = ask
    desk.window.show()
    desk.answer = False

    desk.window.close()

    assert desk.window.isVisible(), "the trader said no: the window stays"
    (question,) = questions
    assert "1 session(s) are trading" in question
    assert "come back PAUSED the next time LiveTrader starts" in question
    desk.answer = True
    desk.window.close()
    assert not desk.window.isVisible()
    assert len(questions) == 2
    await desk.world.manager.stop_session(session_id)


async def test_quitting_with_no_running_session_asks_nothing(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.world.manager.pause_session(session_id)
    await desk.settled()
    desk.window.show()

    desk.window.close()

    assert desk.asked == []
    assert not desk.window.isVisible()
    await desk.world.manager.stop_session(session_id)


async def test_a_live_session_is_told_apart_from_a_paper_one_at_a_glance(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await started_with_a_position(desk.world)
    await desk.settled()
    model = desk.bench.sessions.model

    assert model.data(model.index(0, 2)) == "LIVE"
    assert model.data(model.index(0, 2), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(0, 2), Qt.ItemDataRole.ForegroundRole) == PALETTE.colour(Tone.BAD)
    assert "LIVE, real orders" in desk.bench.session.heading.text()
    assert PALETTE.css(Tone.BAD) in desk.bench.session.heading.styleSheet()
    await desk.world.manager.stop_session(session_id)


async def test_a_paused_session_shows_its_candles_read_back_from_the_broker(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    days_of_history(desk, 2)
    # A long tick: the runner reports no candle of its own before the chart is opened.
    session = await desk.world.manager.start_session(
        desk.world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    await desk.world.manager.pause_session(session.id)
    await desk.settled()
    desk.bench.sessions.table.clearSelection()

    desk.bench.sessions.select(session.id)
    await desk.settled()

    chart = desk.bench.session.chart
    chart.redraw()
    assert chart.pages.currentWidget() is chart.canvas
    assert chart.caption.text().endswith("one-minute candles")
    assert int(chart.caption.text().split()[0]) >= 60
    assert any(line.getData()[1] is not None for line in chart.lines.values())
    read_back = desk.trading.chart_history
    asked: list[str] = []

    async def counted(session_id: str) -> dict[str, list[BarSnapshot]]:
        asked.append(session_id)
        return await read_back(session_id)

    desk.trading.chart_history = counted  # type: ignore[method-assign]
    desk.bench.sessions.table.clearSelection()
    desk.bench.sessions.select(session.id)
    await desk.settled()
    assert asked == [], "read back once a session: later bars come as they close"
    await desk.world.manager.stop_session(session.id)
