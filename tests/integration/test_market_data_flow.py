"""The app's sessions on one broker share its market data and its link (through the hub)."""

from __future__ import annotations

from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.domain import SessionStatus
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0
from tests.workspaces import HYNIX, SAMSUNG, always, config, open_workspace, runner, tick


async def test_a_dropped_broker_pauses_its_sessions_once_and_they_resume_once_it_answers(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, observer = await open_workspace(tmp_path, calendars, clock)
    try:
        started = [
            await workspace.manager.start_session(config(always(SAMSUNG), paper=True)),
            await workspace.manager.start_session(config(always(SAMSUNG, HYNIX), paper=True)),
        ]
        await tick(workspace, clock)
        hub = workspace.hubs.get("SIM")
        assert hub is not None
        assert hub.symbols == {SAMSUNG, HYNIX}, "one subscription for both sessions"

        await workspace.simulator.disconnect()
        await tick(workspace, clock, seconds=1)  # the next round of the feed
        statuses = {runner(workspace, s.id).session.status for s in started}
        assert statuses == {SessionStatus.PAUSED}
        assert any("market data from SIM stopped" in m for m in observer.logs())

        await tick(workspace, clock, seconds=5)  # the hub reconnects the broker by itself

        assert hub.connected
        assert hub.reconnects == 1, "one reconnection for both sessions"
        statuses = {runner(workspace, s.id).session.status for s in started}
        assert statuses == {SessionStatus.RUNNING}
    finally:
        await workspace.shutdown()
