"""The Activity log tells a session's story: every journal entry is a line, at its level."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from livetrader_gui.application.journal import level_of
from livetrader_gui.application.read_models import LogEntry, LogLevel
from livetrader_gui.domain import AuditEntry, ExecutionMode
from tests.world import World, trade

AT = datetime(2026, 11, 24, 1, tzinfo=UTC)


def lines(world: World, session_id: str) -> list[LogEntry]:
    told = [e for e in world.h.observer.facts["on_log"] if isinstance(e, LogEntry)]
    return [e for e in told if e.session_id in (None, session_id)]


def said(world: World, session_id: str, *words: str) -> list[LogEntry]:
    return [e for e in lines(world, session_id) if all(w in e.message for w in words)]


async def test_an_auto_session_s_start_signals_orders_fills_pause_resume_and_stop_are_told(
    world: World,
) -> None:
    session = await world.manager.start_session(
        world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    for _ in range(3):
        await trade(world, session.id, s005930=100, s000660=100)
    await trade(world, session.id, s005930=110, s000660=100)
    await world.manager.pause_session(session.id)
    await world.manager.resume_session(session.id)
    await world.manager.stop_session(session.id)

    assert said(world, session.id, "session running", "started")
    assert said(world, session.id, "signal: BUY", "005930")
    assert said(world, session.id, "005930 BUY: approved")
    assert said(world, session.id, "order", "005930", "FILLED")
    assert said(world, session.id, "BUY 9090 005930 at")  # the fill
    (paused,) = said(world, session.id, "session paused")
    assert paused.level is LogLevel.WARNING
    assert len(said(world, session.id, "session running (ACTIVE)")) == 2, "started, resumed"
    assert said(world, session.id, "session stopped")
    journal = [e.message for e in world.h.journal.entries if e.session_id == session.id]
    told = [e.message for e in lines(world, session.id) if e.session_id == session.id]
    assert all(message in told for message in journal), "every journal line is told"


async def test_execute_and_dismiss_of_manual_signals_are_told(world: World) -> None:
    session = await world.manager.start_session(
        world.config(
            skip_prerequisites=True, tick_interval=3_600, execution_mode=ExecutionMode.MANUAL
        )
    )
    for _ in range(3):
        await trade(world, session.id, s005930=100, s000660=100)
    await trade(world, session.id, s005930=110, s000660=110)
    runner = world.manager.runner(session.id)
    first, second = runner.pending_signals()

    await runner.execute_signal(first.id)
    await runner.dismiss_signal(second.id)

    assert said(world, session.id, "Execute by the trader", first.symbol, first.id)
    assert said(world, session.id, "Dismiss by the trader", second.symbol, second.id)
    await world.manager.stop_session(session.id)


async def test_the_kill_switch_is_told_to_every_session_as_a_warning(world: World) -> None:
    session = await world.manager.start_session(
        world.config(skip_prerequisites=True, tick_interval=3_600)
    )

    report = await world.manager.kill_switch()

    (line,) = said(world, session.id, report.summary)
    assert line.level is LogLevel.WARNING
    assert line.session_id is None, "shown with every session"
    await world.manager.stop_session(session.id)


@pytest.mark.parametrize(
    ("kind", "data", "level"),
    [
        ("signal", {}, LogLevel.INFO),
        ("risk_decision", {"approved": True}, LogLevel.INFO),
        ("risk_decision", {"approved": False}, LogLevel.WARNING),
        ("order", {"status": "FILLED"}, LogLevel.INFO),
        ("order", {"status": "REJECTED"}, LogLevel.ERROR),
        ("session", {"status": "RUNNING", "trading_state": "ACTIVE"}, LogLevel.INFO),
        ("session", {"status": "PAUSED", "trading_state": "ACTIVE"}, LogLevel.WARNING),
        ("session", {"status": "RUNNING", "trading_state": "HALTED"}, LogLevel.WARNING),
        ("session", {"status": "ERROR", "trading_state": "HALTED"}, LogLevel.ERROR),
        ("fill_conflict", {}, LogLevel.ERROR),
        ("reconcile", {}, LogLevel.WARNING),
        ("kill_switch", {}, LogLevel.WARNING),
        ("restore", {"differences": ()}, LogLevel.INFO),
        ("restore", {"differences": ("SIM holds 5 005930, records say 0",)}, LogLevel.WARNING),
    ],
)
def test_each_kind_of_journal_entry_is_told_at_the_level_it_deserves(
    kind: str, data: dict[str, object], level: LogLevel
) -> None:
    entry = AuditEntry(kind, "what happened", AT, "S-1", data)  # type: ignore[arg-type]
    assert level_of(entry) is level
