"""``--resume-when-clean``: an unattended run resumes after a restart only what the restart
paused, and only when reconciling finds nothing different; every pause and resume is in the
journal of its session."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.domain import AuditEntry, SessionStatus
from tests.fake_broker import FakeBroker
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0
from tests.workspaces import SAMSUNG, always, config, kill, open_workspace, runner, tick

RESUME = ("--resume-when-clean",)


def of_session(entries: list[AuditEntry], session_id: str) -> list[str]:
    return [e.message for e in entries if e.session_id == session_id and e.kind == "session"]


async def test_a_restart_pauses_each_session_in_its_own_journal_and_a_clean_one_resumes_them(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    first = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    second = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    by_hand = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    await workspace.manager.pause_session(by_hand.id)
    await tick(workspace, clock)
    await kill(workspace)

    clock.advance(30)
    workspace, _ = await open_workspace(tmp_path, calendars, clock, flags=RESUME)
    try:
        entries = await workspace.journal.list_entries()
        statuses = {s: runner(workspace, s).session.status for s in (first.id, second.id)}
        trader_paused = runner(workspace, by_hand.id).session
    finally:
        await workspace.shutdown()

    assert workspace.differences == []
    assert statuses == {first.id: SessionStatus.RUNNING, second.id: SessionStatus.RUNNING}
    for session_id in (first.id, second.id):
        assert of_session(entries, session_id)[-2:] == [
            "session paused (ACTIVE): the application restarted",
            "session running (ACTIVE): resumed after the restart: reconciling found no "
            "difference (--resume-when-clean)",
        ]
    assert trader_paused.status is SessionStatus.PAUSED, "the trader's pause is the trader's"
    assert trader_paused.status_reason == "paused by the trader"


async def test_without_the_policy_the_restarted_sessions_wait_for_the_trader(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    session = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    await tick(workspace, clock)
    await kill(workspace)

    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    try:
        back = runner(workspace, session.id).session
        entries = await workspace.journal.list_entries()
    finally:
        await workspace.shutdown()

    assert back.status is SessionStatus.PAUSED
    assert of_session(entries, session.id)[-1] == (
        "session paused (ACTIVE): the application restarted"
    )


async def test_a_restart_that_finds_a_difference_resumes_nothing_and_says_why(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    broker = FakeBroker(clock, (SAMSUNG,))
    for price in (100, 101, 102):
        clock.advance(60)
        broker.close_minute(SAMSUNG, price)
    workspace, _ = await open_workspace(tmp_path, calendars, clock, gateways=[broker])
    session = await workspace.manager.start_session(
        replace(config(always(SAMSUNG)), broker_id="FAKE")
    )
    await tick(workspace, clock)
    await kill(workspace)
    broker.holdings["000660"] = Decimal(7)  # bought by hand while the app was down

    workspace, _ = await open_workspace(tmp_path, calendars, clock, gateways=[broker], flags=RESUME)
    try:
        back = runner(workspace, session.id).session
        (withheld,) = [
            e for e in await workspace.journal.list_entries() if e.kind == "resume_withheld"
        ]
    finally:
        await workspace.shutdown()

    assert workspace.differences == ["000660: the sessions hold 0, Fake broker (FAKE) holds 7"]
    assert back.status is SessionStatus.PAUSED
    assert withheld.message == (
        "the sessions stay paused although LiveTrader runs with --resume-when-clean: "
        "reconciling found 1 difference(s); resume them once you have checked"
    )
    assert withheld.data["differences"] == tuple(workspace.differences)
