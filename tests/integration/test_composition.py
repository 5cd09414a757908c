"""The app is composed of what it is given: brokers, database, clock, calendars (issue 21)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.adapters.persistence.database import Database
from livetrader_gui.app.bootstrap import build_workspace
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.request_budget import BudgetedGateway, RequestGroup
from livetrader_gui.domain import SessionStatus
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0
from tests.workspaces import SAMSUNG, always, config, open_workspace, runner, tick


def venue(clock: FakeClock, broker_id: str) -> FakeBroker:
    broker = FakeBroker(clock, (SAMSUNG,), broker_id=broker_id)
    for price in (100, 101, 102):
        clock.advance(60)
        broker.close_minute(SAMSUNG, price)
    return broker


async def test_a_workspace_on_two_brokers_gives_each_its_budget_and_hub_and_closes_both(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    plain, upbit = venue(clock, "FAKE"), FakeBroker(clock, (SAMSUNG,), broker_id="UPBIT")
    upbit.candles, upbit.prices, upbit.quote_times = plain.candles, plain.prices, plain.quote_times
    workspace, _ = await open_workspace(tmp_path, calendars, clock, gateways=[plain, upbit])
    try:
        assert workspace.broker is plain, "the first broker is the one the market watch shows"
        assert workspace.registry.get("FAKE") is plain, "a venue without limits is not wrapped"
        budgeted = workspace.registry.get("UPBIT")
        assert isinstance(budgeted, BudgetedGateway)
        with pytest.raises(LookupError, match="no simulated market"):
            _ = workspace.simulator

        session = await workspace.manager.start_session(
            replace(config(always(SAMSUNG)), broker_id="UPBIT")
        )
        await tick(workspace, clock)

        assert runner(workspace, session.id).session.status is SessionStatus.RUNNING
        assert budgeted.budget.granted[RequestGroup.MARKET_DATA] > 0, "it asked within budget"
        assert budgeted.budget.granted[RequestGroup.ACCOUNT] > 0
        upbit_hub, plain_hub = workspace.hubs.get("UPBIT"), workspace.hubs.get("FAKE")
        assert upbit_hub is not None
        assert plain_hub is not None
        assert upbit_hub is not plain_hub
        assert SAMSUNG in upbit_hub.symbols
    finally:
        await workspace.shutdown()
    assert not plain.connected
    assert not upbit.connected


async def test_a_workspace_uses_the_database_it_is_given(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    settings = parse_settings(["--data-dir", str(tmp_path / "unused")], {})
    given = Database(f"sqlite+aiosqlite:///{tmp_path / 'given.db'}")

    workspace = await build_workspace(
        settings,
        ObserverHub(),
        clock=clock,
        calendars=calendars,
        gateways=[venue(clock, "FAKE")],
        database=given,
    )
    try:
        assert workspace.database is given
        assert workspace.database_info.path == tmp_path / "given.db"
        assert await workspace.journal.latest_of_kinds("app_started") is not None
    finally:
        await workspace.shutdown()
    assert not (tmp_path / "unused" / "livetrader.db").exists()
