"""Nothing lost, nothing stuck: where the order path broke for a trader (issue 18).

Each test runs the app's own workspace (SQLite, SIM keeping its books, the session manager) and
does what a trader did when the bug showed: a paper session after the demo, sessions side by
side in one database, restarts after a crash, a locked database in the middle of an order.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import event

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.app.bootstrap import Workspace
from livetrader_gui.domain import OrderStatus, SessionStatus, TradeDirection, TradingState
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0
from tests.workspaces import (
    HYNIX,
    SAMSUNG,
    always,
    config,
    fills_of,
    kill,
    open_workspace,
    runner,
    stuck,
    tick,
)


async def broker_matches_the_records(workspace: Workspace) -> None:
    """Assert that SIM holds exactly what the stored fills of its live orders add up to."""
    held = {p.symbol: p.quantity for p in await workspace.simulator.get_positions()}
    assert held == await workspace.orders.net_positions("SIM")


async def test_a_paper_session_after_the_demo_fills_every_order(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock, demo=True)
    try:
        assert workspace.demo is not None
        await workspace.demo  # its paper session numbered its orders P-000001, P-000002, ...
        session = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))

        for _ in range(6):
            await tick(workspace, clock)

        orders = await workspace.orders.list_for_session(session.id)
        assert len(orders) >= 6
        assert {o.status for o in orders} == {OrderStatus.FILLED}
        assert await fills_of(workspace, session.id) == len(orders)
        assert runner(workspace, session.id).book.open_orders == {}
    finally:
        await workspace.shutdown()


async def test_two_paper_sessions_and_a_live_one_share_a_database_without_losing_a_fill(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    try:
        manager = workspace.manager
        first = await manager.start_session(config(always(SAMSUNG), paper=True))
        second = await manager.start_session(config(always(SAMSUNG, HYNIX), paper=True))
        live = await manager.start_session(config(always(SAMSUNG)))
        ids = (first.id, second.id, live.id)

        for _ in range(6):
            await tick(workspace, clock)
        await tick(workspace, clock)  # SIM's last orders may fill over a few seconds

        for session_id in ids:
            # Whatever the broker has not finished yet, the session still tracks.
            unfinished = {o.client_order_id for o in await stuck(workspace, session_id)}
            assert unfinished == set(runner(workspace, session_id).book.open_orders)
        assert await stuck(workspace, first.id) == []
        assert await stuck(workspace, second.id) == []
        for session_id in ids:
            assert await runner(workspace, session_id).reconcile() == []
        await broker_matches_the_records(workspace)
    finally:
        await workspace.shutdown()


async def test_sessions_killed_and_restarted_again_and_again_come_back_and_trade_on(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    # At 60 times real time the market's clock is hours ahead of the real one after a while:
    # a simulator that restarted its clock would stamp new fills before the old ones.
    workspace, _ = await open_workspace(tmp_path, calendars, clock, speed=60)
    paper = await workspace.manager.start_session(config(always(SAMSUNG), paper=True))
    live = await workspace.manager.start_session(config(always(HYNIX)))
    ids = (paper.id, live.id)
    for _ in range(3):
        await tick(workspace, clock)

    for restart in range(5):
        await kill(workspace)
        clock.advance(30)
        workspace, _ = await open_workspace(tmp_path, calendars, clock, speed=60)
        assert workspace.database_info.revision_before is not None
        back = {s.id: s for s in workspace.manager.get_active_sessions()}
        assert set(back) == set(ids), f"restart {restart}: {back}"
        assert {s.status for s in back.values()} == {SessionStatus.PAUSED}
        assert workspace.differences == [], f"restart {restart}"
        for session_id in ids:
            await workspace.manager.resume_session(session_id)
        await tick(workspace, clock, seconds=4)  # a trade a second at 60 times real time

    try:
        await tick(workspace, clock, seconds=2)
        assert await stuck(workspace, paper.id) == []
        for session_id in ids:
            orders = await workspace.orders.list_for_session(session_id)
            assert len(orders) >= 3 + 5 * 4, "the sessions traded after every restart"
            fills = await workspace.orders.list_session_fills(session_id)
            assert sum(f.quantity for f in fills) == sum(o.filled_quantity for o in orders)
        await broker_matches_the_records(workspace)
        entries = await workspace.journal.list_entries(live.id, limit=10_000)
        times = [e.at for e in entries]
        assert times == sorted(times), "journal times never go backwards"
    finally:
        await workspace.shutdown()


@contextmanager
def locked(database: Path) -> Iterator[None]:
    """Hold the database's write lock from another connection, as another program would."""
    other = sqlite3.connect(database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.rollback()
        other.close()


async def test_a_database_locked_while_an_order_is_answered_halts_and_loses_nothing(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    # Another program holds the lock for as long as the test likes: fail fast meanwhile.
    workspace, observer = await open_workspace(tmp_path, calendars, clock, busy_timeout_ms=50)
    try:
        # Buy once and hold: a second buy of the same symbol would be a double.
        buy_and_hold = always(SAMSUNG, exit_="close < 0")
        session = await workspace.manager.start_session(config(buy_and_hold))
        path = workspace.database_info.path
        assert path is not None
        placed = workspace.simulator.place_order
        lock = locked(path)

        async def place_then_lock(request):  # type: ignore[no-untyped-def]
            state = await placed(request)
            lock.__enter__()  # the broker has the order; now nothing can be written
            return state

        workspace.simulator.place_order = place_then_lock  # type: ignore[method-assign]
        the_runner = runner(workspace, session.id)

        await tick(workspace, clock)

        workspace.simulator.place_order = placed  # type: ignore[method-assign]
        assert the_runner.session.trading_state is TradingState.HALTED
        assert "could not be saved" in the_runner.session.status_reason
        assert the_runner.book.held(SAMSUNG) > 0  # the session knows what the broker did
        for _ in range(2):  # still locked: nothing else goes out
            await tick(workspace, clock)
        assert await workspace.simulator.get_open_orders() == []

        lock.__exit__(None, None, None)
        await tick(workspace, clock)

        assert the_runner.session.trading_state is TradingState.ACTIVE, observer.logs()
        (order,) = await workspace.orders.list_for_session(session.id)
        assert order.status is OrderStatus.FILLED
        assert order.request.direction is TradeDirection.BUY
        assert await fills_of(workspace, session.id) >= 1
        await broker_matches_the_records(workspace)
        logs = observer.logs()
        assert any("could not be saved" in m for m in logs)
        assert any("reconciles" in m for m in logs)
    finally:
        await workspace.shutdown()


class FullDisk:
    """A disk that fills up under the app's database: from ``fill_up`` on, every statement
    that adds a row fails as SQLite fails on a full disk (a row updated in place still fits,
    as on a real disk, so a transaction can fail half-way), until ``free``."""

    def __init__(self, workspace: Workspace) -> None:
        self._engine = workspace.database.engine.sync_engine
        self.full = False
        event.listen(self._engine, "before_cursor_execute", self._write)

    def _write(self, *args: object) -> None:
        statement = str(args[2])
        if self.full and statement.lstrip().upper().startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")

    def fill_up(self) -> None:
        self.full = True

    def free(self) -> None:
        self.full = False


def stored_rows(database: Path, client_order_id: str) -> tuple[str, int]:
    """Return an order's stored status and how many fills are stored for it (read as any
    other program would read the file)."""
    with closing(sqlite3.connect(database)) as db:
        (status,) = db.execute(
            "SELECT status FROM orders WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
        (fills,) = db.execute(
            "SELECT COUNT(*) FROM fills WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
    return str(status), int(fills)


async def test_a_disk_that_fills_up_while_an_order_is_answered_halts_and_writes_nothing_half(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, observer = await open_workspace(tmp_path, calendars, clock)
    try:
        session = await workspace.manager.start_session(config(always(SAMSUNG, exit_="close < 0")))
        path = workspace.database_info.path
        assert path is not None
        disk = FullDisk(workspace)
        placed = workspace.simulator.place_order
        sent: list[str] = []

        async def place_then_the_disk_fills(request):  # type: ignore[no-untyped-def]
            sent.append(request.client_order_id)
            state = await placed(request)
            disk.fill_up()  # the broker has the order and its fill; nothing more fits
            return state

        workspace.simulator.place_order = place_then_the_disk_fills  # type: ignore[method-assign]
        the_runner = runner(workspace, session.id)

        await tick(workspace, clock)

        workspace.simulator.place_order = placed  # type: ignore[method-assign]
        reason = the_runner.session.status_reason
        assert the_runner.session.trading_state is TradingState.HALTED
        assert "the disk is full (database or disk is full)" in reason
        assert "damaged" not in reason
        assert "backup" not in reason
        (order_id,) = sent
        # The order's new status and its fill are one transaction: neither was kept.
        assert stored_rows(path, order_id) == ("PENDING_SUBMIT", 0)
        for _ in range(2):  # still full: nothing else goes out
            await tick(workspace, clock)
        assert len(sent) == 1

        disk.free()
        await tick(workspace, clock)

        assert the_runner.session.trading_state is TradingState.ACTIVE, observer.logs()
        status, fills = stored_rows(path, order_id)
        assert (status, fills >= 1) == ("FILLED", True)
        await broker_matches_the_records(workspace)
    finally:
        await workspace.shutdown()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


async def test_five_days_at_sixty_times_real_time_trade_on_every_day(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, observer = await open_workspace(tmp_path, calendars, clock, speed=60)
    try:
        # A broker that answers in half a second of real time: 30 s on a market clock that
        # runs 60 times as fast. Its answers must not be timed out on the market's clock.
        workspace.simulator.faults.latency = 30
        momentum = always(SAMSUNG, entry="close > ref(close, 1)", exit_="close < ref(close, 1)")
        session = await workspace.manager.start_session(
            config(momentum, paper=True, tick_interval=1)
        )
        market = workspace.simulator.clock
        first_day = workspace.calendar.session_date(market.now())

        # Five trading days of 390 minutes at 60 times real time, nights and a weekend skipped.
        await tick(workspace, clock, seconds=5 * 390 + 60)

        days = workspace.calendar.sessions_between(first_day, market.now().date())
        assert len(days) >= 5
        fills = await workspace.orders.list_session_fills(session.id)
        traded = {workspace.calendar.session_date(f.at) for f in fills}
        assert set(days[:5]) <= traded, f"traded on {sorted(traded)} of {days}"
        assert await stuck(workspace, session.id) == []
        assert runner(workspace, session.id).session.status is SessionStatus.RUNNING
        assert not [m for m in observer.logs() if "no answer within" in m]
    finally:
        await workspace.shutdown()


async def test_a_session_whose_history_cannot_be_replayed_waits_in_error_and_can_be_recovered(
    tmp_path: Path, calendars: ExchangeCalendarProvider
) -> None:
    clock = FakeClock(MARKET_OPEN_T0)
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    buy_and_hold = always(SAMSUNG, exit_="close < 0")
    damaged = await workspace.manager.start_session(config(buy_and_hold))
    healthy = await workspace.manager.start_session(config(always(HYNIX), paper=True))
    await tick(workspace, clock)
    held = {p.symbol: p.quantity for p in await workspace.simulator.get_positions()}
    await kill(workspace)
    path = tmp_path / "livetrader.db"
    with sqlite3.connect(path) as db:  # a damaged record: the buy now reads as a sale
        db.execute(
            "UPDATE fills SET direction = 'SELL' WHERE client_order_id IN "
            "(SELECT client_order_id FROM orders WHERE session_id = ?)",
            (damaged.id,),
        )

    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    try:
        assert [s.id for s in workspace.manager.get_active_sessions()] == [healthy.id]
        (failed,) = await workspace.desk.failed_sessions()
        assert failed.status is SessionStatus.ERROR
        assert failed.status_reason.startswith("its history cannot be restored: fill SIM-")

        recovered = await workspace.desk.recover_session(damaged.id)

        assert recovered.status is SessionStatus.PAUSED
        assert re.fullmatch(
            r"recovered by the trader: \d+ fill\(s\) left out, 1 position\(s\) set to the "
            r"broker's",
            recovered.status_reason,
        )
        the_runner = runner(workspace, damaged.id)
        assert the_runner.book.held(SAMSUNG) == held[SAMSUNG]
        await broker_matches_the_records(workspace)
        kinds = [e.kind for e in await workspace.journal.list_entries(damaged.id)]
        assert {"fill_excluded", "position_adjusted"} <= set(kinds)
        await workspace.manager.resume_session(damaged.id)
        await tick(workspace, clock)
        assert the_runner.session.status is SessionStatus.RUNNING
    finally:
        await workspace.shutdown()

    # The recovery holds across the next restart: the history now replays.
    workspace, _ = await open_workspace(tmp_path, calendars, clock)
    try:
        assert {s.id for s in workspace.manager.get_active_sessions()} == {damaged.id, healthy.id}
        assert workspace.differences == []
    finally:
        await workspace.shutdown()
