"""MANUAL mode in the window: the queue, its countdown, Execute and Dismiss with their shortcuts."""

from __future__ import annotations

import re

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.domain import ExecutionMode, SignalStatus
from livetrader_gui.ui.widgets.manual_queue import ManualQueue, countdown
from tests.window import Desk
from tests.world import World, trade


async def a_signal_waiting(world: World) -> str:
    """Start a MANUAL session whose entry rule fires on 005930; return the session id."""
    session = await world.manager.start_session(
        world.config(
            skip_prerequisites=True,
            tick_interval=3_600,  # the test drives the ticks
            execution_mode=ExecutionMode.MANUAL,
            signal_ttl=60,
        )
    )
    for _ in range(3):
        await trade(world, session.id, s005930=100, s000660=100)
    await trade(world, session.id, s005930=110, s000660=100)
    assert len(world.manager.runner(session.id).pending_signals()) == 1
    return session.id


async def queue_of(desk: Desk) -> ManualQueue:
    await desk.settled()
    queue = desk.bench.queue
    queue.model.flush()
    return queue


async def test_a_manual_signal_executed_by_a_click_places_exactly_one_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await a_signal_waiting(desk.world)
    queue = await queue_of(desk)
    assert queue.model.rowCount() == 1
    assert desk.world.h.broker.placed == []
    desk.world.h.broker.suspends = True  # the broker answers later, as a real one does

    queue.execute_button.click()
    queue.execute_button.click()  # a double click
    queue.execute_action.trigger()  # and the shortcut on top
    assert not queue.execute_button.isEnabled()
    await desk.settled()

    assert len(desk.world.h.broker.placed) == 1
    queue.model.flush()
    assert queue.model.rowCount() == 0
    assert re.fullmatch(r"BUY [\d,]+ 005930: order LT-\w+ FILLED", desk.window.notice.text())
    signals = desk.bench.session.signals
    signals.flush()
    assert signals.rowCount() == 1
    assert signals.data(signals.index(0, 6)) == SignalStatus.EXECUTED.value
    await desk.world.manager.stop_session(session_id)


async def test_dismiss_lets_the_signal_go_without_an_order(xkrx: ExchangeTradingCalendar) -> None:
    desk = Desk(xkrx)
    session_id = await a_signal_waiting(desk.world)
    queue = await queue_of(desk)
    assert queue.dismiss_action.shortcut().toString() == "Ctrl+D"
    assert queue.execute_action.shortcut().toString() == "Ctrl+E"

    queue.dismiss_action.trigger()
    await desk.settled()

    queue.model.flush()
    assert queue.model.rowCount() == 0
    assert desk.world.h.broker.placed == []
    assert desk.window.notice.text().endswith("005930 dismissed")
    assert desk.world.manager.runner(session_id).pending_signals() == []
    await desk.world.manager.stop_session(session_id)


async def test_the_queue_counts_each_signal_down_on_the_sessions_clock(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await a_signal_waiting(desk.world)
    queue = await queue_of(desk)
    expires = queue.model.index(0, 5)

    queue.tick()
    assert queue.model.data(expires) == "1:00"
    desk.world.h.clock.advance(20.5)
    queue.tick()
    assert queue.model.data(expires) == "0:40"
    desk.world.h.clock.advance(40)
    queue.tick()
    assert queue.model.data(expires) == "expired"
    assert desk.bench.session.tabs.tabText(0) == "Queue (1)"
    await desk.world.manager.stop_session(session_id)


async def test_a_signal_the_fresh_risk_check_refuses_is_not_sent_and_the_trader_is_told(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await a_signal_waiting(desk.world)
    queue = await queue_of(desk)
    desk.world.h.broker.cash = 0  # type: ignore[assignment]  # the account emptied meanwhile

    queue.execute_button.click()
    await desk.settled()

    assert desk.world.h.broker.placed == []
    assert "not executed: the fresh risk check refused it" in desk.window.notice.text()
    await desk.world.manager.stop_session(session_id)


def test_the_countdown_reads_minutes_and_seconds_and_then_expired() -> None:
    from datetime import UTC, datetime, timedelta

    at = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert countdown(at + timedelta(seconds=125), at) == "2:05"
    assert countdown(at + timedelta(seconds=0.2), at) == "0:01"
    assert countdown(at, at) == "expired"
    assert countdown(None, at) == ""


async def test_execute_is_unavailable_while_the_session_is_paused_and_says_why(
    xkrx: ExchangeTradingCalendar,
) -> None:
    desk = Desk(xkrx)
    session_id = await a_signal_waiting(desk.world)
    desk.bench.sessions.select(session_id)
    queue = await queue_of(desk)
    assert queue.execute_button.isEnabled()

    desk.bench.sessions.pause_button.click()
    await desk.settled()

    assert not queue.execute_button.isEnabled()
    assert not queue.execute_action.isEnabled()  # Ctrl+E does nothing either
    assert queue.dismiss_button.isEnabled()
    assert "Execute is unavailable: the session is paused, not running" in queue.hint.text()
    queue.execute_action.trigger()
    await desk.settled()
    assert desk.world.h.broker.placed == []

    desk.bench.sessions.resume_button.click()
    await desk.settled()
    assert queue.execute_button.isEnabled()
    await desk.world.manager.stop_session(session_id)
