"""After a run that ended without recording its stop, the next start says so, once."""

from __future__ import annotations

from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.application.read_models import LogEntry, LogLevel
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0
from tests.workspaces import SAMSUNG, always, config, kill, open_workspace, tick


async def test_a_start_after_a_kill_says_the_last_run_did_not_stop_and_what_was_found(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    assert workspace.unclean is None, "a first start follows no run"
    session = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    await tick(workspace, clock)
    await kill(workspace)

    clock.advance(30)
    workspace, observer = await open_workspace(tmp_path, calendars, clock)
    try:
        assert workspace.unclean is not None
        assert workspace.unclean.kind == "app_started"
        (entry,) = [
            e for e in await workspace.journal.list_entries() if e.kind == "unclean_shutdown"
        ]
        assert "did not stop cleanly" in entry.message
        assert "no difference from the brokers' records" in entry.message
        told = [
            e
            for e in observer.facts["on_log"]
            if isinstance(e, LogEntry) and "did not stop cleanly" in e.message
        ]
        assert [e.level for e in told] == [LogLevel.WARNING]
        (restore,) = [
            e
            for e in observer.facts["on_log"]
            if isinstance(e, LogEntry) and "back after the restart" in e.message
        ]
        assert restore.message == (
            "1 session(s) back after the restart, paused; reconciled with PAPER-"
            f"{session.id}: no difference"
        )
        assert restore.level is LogLevel.INFO
        assert workspace.manager.runner(session.id).session.status.value == "PAUSED"
    finally:
        await workspace.shutdown()

    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    try:
        assert workspace.unclean is None, "the run before stopped cleanly"
    finally:
        await workspace.shutdown()
