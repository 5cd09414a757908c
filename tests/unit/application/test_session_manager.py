"""The session manager: the go-live gate with its evidence, the life cycle, kill switch, restart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.live_trading.exceptions import (
    BrokerNotFoundError,
    PreRequisiteNotMetError,
    SessionNotFoundError,
)
from livetrader_gui.application.ports import BrokerPosition
from livetrader_gui.domain import (
    AccountStatus,
    Fill,
    OrderRequest,
    OrderStatus,
    OrderType,
    PrerequisiteKind,
    SessionStatus,
    TradeDirection,
    TradingState,
)
from tests.runner_harness import OPEN, trading_strategy
from tests.world import World, left_resting_at_a_restart, started_with_a_position, trade

SAMSUNG = "005930"


async def test_the_gate_passes_with_every_check_and_shows_its_evidence(world: World) -> None:
    await world.ready()

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert check.all_passed
    evidence = {item.kind: item.evidence for item in check.items}
    assert evidence[PrerequisiteKind.BACKTEST] == "Sharpe 1.34 ≥ 1.00"
    assert evidence[PrerequisiteKind.PAPER_TRADING] == "5 of 5 paper days"
    assert evidence[PrerequisiteKind.RISK_PARAMETERS] == (
        "max 3 positions, 20 % per position, 2 % daily loss"
    )
    assert evidence[PrerequisiteKind.BROKER_CONNECTED] == "Fake broker (FAKE): answering"
    assert evidence[PrerequisiteKind.ACCOUNT_VERIFIED] == (
        "account FAKE-1 active, buying power 10,000,000 KRW"
    )


async def test_paper_days_count_distinct_trading_days_not_sessions(world: World) -> None:
    await world.add_paper_days(17, 18)
    await world.add_paper_days(18)
    await world.add_paper_days(18, 19)

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert check.paper_trading_days == 3
    assert check.item(PrerequisiteKind.PAPER_TRADING).evidence == "3 of 5 paper days"
    assert not check.paper_trading_passed


async def test_evidence_of_older_rules_does_not_count(world: World) -> None:
    older = world.h.strategy.revised(OPEN, entry_rule="close > sma(close, 50)")
    await world.add_backtest("2.5", strategy=older)
    await world.add_paper_days(17, 18, 19, 20, 23, strategy=older)

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert check.item(PrerequisiteKind.BACKTEST).evidence == "no backtest of the current rules"
    assert check.paper_trading_days == 0


async def test_a_low_or_missing_sharpe_fails_the_backtest_check(world: World) -> None:
    await world.add_backtest("0.8")
    low = await world.manager.check_prerequisites(world.h.strategy, "FAKE")
    await world.add_backtest(None)
    undefined = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert low.item(PrerequisiteKind.BACKTEST).evidence == "Sharpe 0.80 < 1.00"
    assert not undefined.backtest_passed
    assert "no Sharpe ratio" in undefined.item(PrerequisiteKind.BACKTEST).evidence


async def test_the_account_check_really_asks_the_broker(world: World) -> None:
    world.h.broker.account_status = AccountStatus.SUSPENDED

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert not check.account_verified
    assert check.item(PrerequisiteKind.ACCOUNT_VERIFIED).evidence == "account FAKE-1 is suspended"


async def test_a_disconnected_broker_fails_both_broker_checks(world: World) -> None:
    world.h.broker.connected = False

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")

    assert not check.broker_connected
    assert not check.account_verified
    assert "disconnected" in check.item(PrerequisiteKind.ACCOUNT_VERIFIED).evidence


async def test_an_entry_larger_than_the_position_limit_fails_the_risk_check(world: World) -> None:
    greedy = trading_strategy(max_position_size_pct=Decimal(5))

    check = await world.manager.check_prerequisites(greedy, "FAKE")

    assert check.item(PrerequisiteKind.RISK_PARAMETERS).evidence == (
        "each entry asks for 10 % of equity, above the 5 % position limit"
    )


async def test_start_is_refused_when_the_gate_fails_and_nothing_is_saved(world: World) -> None:
    with pytest.raises(PreRequisiteNotMetError, match="0 of 5 paper days") as refused:
        await world.manager.start_session(world.config())

    assert not refused.value.check.all_passed
    assert world.h.sessions.sessions == {}
    assert world.manager.get_active_sessions() == []


async def test_an_unknown_broker_is_named_in_the_error(world: World) -> None:
    with pytest.raises(BrokerNotFoundError, match=r"no broker 'KIWOOM'.*known: FAKE"):
        await world.manager.start_session(
            LiveSessionConfig(strategy=world.h.strategy, broker_id="KIWOOM")
        )


async def test_a_started_session_runs_and_its_status_changes_are_saved_and_told(
    world: World,
) -> None:
    await world.ready()

    session = await world.manager.start_session(world.config())
    await world.manager.pause_session(session.id)
    await world.manager.resume_session(session.id)
    await world.manager.stop_session(session.id)

    assert [status for _, status, _ in world.h.sessions.saved_statuses] == [
        SessionStatus.CREATED,
        SessionStatus.RUNNING,
        SessionStatus.PAUSED,
        SessionStatus.RUNNING,
        SessionStatus.STOPPED,
    ]
    told = [s.status for s in world.h.observer.facts["on_session_status_changed"]]  # type: ignore[attr-defined]
    assert told == [
        SessionStatus.RUNNING,
        SessionStatus.PAUSED,
        SessionStatus.RUNNING,
        SessionStatus.STOPPED,
    ]
    assert world.manager.get_active_sessions() == []
    with pytest.raises(SessionNotFoundError):
        await world.manager.pause_session(session.id)


async def test_a_replay_skips_the_gate_and_the_journal_says_so(world: World) -> None:
    session = await world.manager.start_session(world.config(skip_prerequisites=True))

    assert [e.kind for e in world.h.journal.entries][:1] == ["gate_skipped"]
    await world.manager.stop_session(session.id)


async def test_the_kill_switch_halts_cancels_and_flattens(world: World) -> None:
    session_id = await started_with_a_position(world)
    world.h.broker.fill_orders = False  # the next order rests at the broker
    await trade(world, session_id, s005930=110, s000660=110)
    runner = world.manager.runner(session_id)
    (resting,) = runner.book.open_orders.values()
    world.h.broker.fill_orders = True

    report = await world.manager.kill_switch()

    assert (report.sessions_halted, report.orders_cancelled, report.positions_flattened) == (
        1,
        1,
        1,
    )
    assert report.summary == (
        "1 session(s) halted, 1 order(s) cancelled, 1 position(s) sent to close"
    )
    cancelled = await world.h.orders.get(resting.client_order_id)
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELLED
    assert runner.book.open_orders == {}
    assert runner.book.held(SAMSUNG) == 0
    assert runner.session.trading_state is TradingState.HALTED
    assert [e.kind for e in world.h.journal.kinds("kill_switch")] == ["kill_switch"]
    await world.manager.stop_session(session_id)


async def test_sessions_come_back_paused_after_a_restart_with_their_positions(
    world: World,
) -> None:
    session_id = await started_with_a_position(world)
    await world.manager.shutdown()  # the loop ends; the session stays RUNNING, as after a crash
    assert world.h.sessions.sessions[session_id].status is SessionStatus.RUNNING

    restarted = world.restarted()
    differences = await restarted.restore_sessions()

    (back,) = restarted.get_active_sessions()
    assert back.status is SessionStatus.PAUSED
    assert back.status_reason == "the application restarted"
    assert restarted.runner(session_id).book.held(SAMSUNG) == 9_090
    assert differences == []
    await restarted.stop_session(session_id)


async def test_a_restart_reports_a_position_the_broker_no_longer_holds(world: World) -> None:
    session_id = await started_with_a_position(world)
    await world.manager.shutdown()
    world.h.broker.holdings[SAMSUNG] = Decimal(0)  # sold elsewhere while the app was down

    restarted = world.restarted()
    differences = await restarted.restore_sessions()

    assert differences == ["005930: the sessions hold 9090, Fake broker (FAKE) holds 0"]
    assert restarted.get_active_sessions()[0].status is SessionStatus.PAUSED
    await restarted.stop_session(session_id)


# ---------------------------------------------------------------------------- paper trading


async def started_on_paper(world: World, capital: int = 10_000_000) -> str:
    # Ticking, the test runs each tick; streaming, the runner ticks on its own once a minute
    # (a paper day counts the minutes its session ticked), between the pushed facts.
    tick_interval = 60 if world.streaming else 3_600
    session = await world.manager.start_session(
        world.config(is_paper=True, tick_interval=tick_interval, paper_capital=Decimal(capital))
    )
    return session.id


async def test_a_paper_session_needs_no_gate_and_fills_on_its_own_account(world: World) -> None:
    session_id = await started_on_paper(world, capital=5_000_000)

    for _ in range(3):
        await trade(world, session_id, s005930=100, s000660=100)
    await trade(world, session_id, s005930=110, s000660=100)

    runner = world.manager.runner(session_id)
    assert runner.session.is_paper
    assert runner.book.held(SAMSUNG) == 4_545  # 10 % of 5,000,000 at 110
    assert world.h.broker.placed == []  # the real broker only gave its quotes
    (paper,) = world.paper.sessions.values()
    assert (paper.live_session_id, paper.capital, paper.ended_at) == (
        session_id,
        Decimal(5_000_000),
        None,
    )
    await world.manager.stop_session(session_id)
    (stored,) = world.paper.sessions.values()  # read back: the end is saved, not only set
    assert stored.ended_at == world.h.clock.now()


async def test_a_paper_session_records_the_days_the_gate_counts(world: World) -> None:
    session_id = await started_on_paper(world)

    for _ in range(195):  # half of XKRX's 390-minute session
        await trade(world, session_id, s005930=100, s000660=100)

    check = await world.manager.check_prerequisites(world.h.strategy, "FAKE")
    assert check.item(PrerequisiteKind.PAPER_TRADING).evidence == "1 of 5 paper days"
    assert [e.data["day"] for e in world.h.journal.kinds("paper_day")] == ["2026-11-24"]
    await world.manager.stop_session(session_id)


async def test_a_paper_account_comes_back_from_its_fills_after_a_restart(world: World) -> None:
    session_id = await started_on_paper(world)
    for _ in range(3):
        await trade(world, session_id, s005930=100, s000660=100)
    await trade(world, session_id, s005930=110, s000660=100)
    before = await world.manager.runner(session_id).broker.get_account()
    await world.manager.shutdown()

    restarted = world.restarted()
    differences = await restarted.restore_sessions()

    assert differences == []
    runner = restarted.runner(session_id)
    assert runner.book.held(SAMSUNG) == 9_090
    assert await runner.broker.get_account() == before
    await restarted.stop_session(session_id)


async def test_a_paper_session_without_its_paper_record_comes_back_in_error(
    world: World,
) -> None:
    session_id = await started_on_paper(world)
    await world.manager.shutdown()
    world.paper.sessions.clear()

    restarted = world.restarted()
    await restarted.restore_sessions()

    session = world.h.sessions.sessions[session_id]
    assert (session.status, session.status_reason) == (
        SessionStatus.ERROR,
        "its paper account record is missing",
    )
    assert restarted.get_active_sessions() == []


# ---------------------------------------------------------------------------- restarts that start


async def test_a_history_that_cannot_be_replayed_fails_its_session_and_the_others_start(
    world: World,
) -> None:
    broken = await started_with_a_position(world)
    healthy = (await world.manager.start_session(world.config(skip_prerequisites=True))).id
    await world.manager.shutdown()
    # Damage the broken session's history: its only buy fill is gone, its sells stay.
    orders = world.h.orders
    (buy_key,) = [
        key
        for key, fill in orders.fills.items()
        if orders.orders[fill.client_order_id].session_id == broken
    ]
    bought = orders.fills.pop(buy_key)
    orders.fills[("FAKE", "B-99", "B-99-F1")] = Fill(
        "B-99-F1",
        bought.client_order_id,
        bought.symbol,
        TradeDirection.SELL,
        bought.quantity,
        bought.price,
        bought.at,
    )

    restarted = world.restarted()
    await restarted.restore_sessions()

    failed = world.h.sessions.sessions[broken]
    assert failed.status is SessionStatus.ERROR
    assert failed.status_reason.startswith("its history cannot be restored: fill B-99-F1 of order ")
    assert "exceeds the 0 held" in failed.status_reason
    assert [s.id for s in restarted.get_active_sessions()] == [healthy]
    assert [s.id for s in await restarted.failed_sessions()] == [broken]

    stopped = await restarted.stop_failed_session(broken)

    assert stopped.status is SessionStatus.STOPPED
    assert await restarted.failed_sessions() == []
    await restarted.stop_session(healthy)


async def test_a_restart_reports_what_the_broker_holds_beyond_the_sessions_and_open_orders_alone(
    world: World,
) -> None:
    session_id = await started_with_a_position(world)
    await world.manager.shutdown()
    world.h.broker.holdings["000660"] = Decimal(7)  # bought by hand while the app was down
    world.h.broker.fill_orders = False
    await world.h.broker.place_order(  # an order placed elsewhere on the account
        OrderRequest("ELSEWHERE-1", "000660", TradeDirection.SELL, OrderType.MARKET, Decimal(1))
    )

    restarted = world.restarted()
    differences = await restarted.restore_sessions()

    assert differences == [
        "000660: the sessions hold 0, Fake broker (FAKE) holds 7",
        "Fake broker (FAKE) has an open order ELSEWHERE-1 (SELL 1 000660) that no session placed",
    ]
    assert [e.kind for e in world.h.journal.kinds("reconcile")] == ["reconcile"]
    await restarted.stop_session(session_id)


async def test_the_trader_re_arms_a_halted_session(world: World) -> None:
    session_id = await started_with_a_position(world)
    await world.manager.kill_switch()

    session = await world.manager.rearm_session(session_id)

    assert session.trading_state is TradingState.ACTIVE
    await world.manager.stop_session(session_id)


async def test_an_order_that_fills_while_the_restart_reconciles_is_not_taken_for_a_difference(
    world: World,
) -> None:
    session_id, resting = await left_resting_at_a_restart(world)
    broker = world.h.broker
    read_positions = broker.get_positions

    async def filled_just_before_the_account_is_read() -> list[BrokerPosition]:
        # The order fills after the restart asked after it and before the account is read.
        state = broker.orders[resting.client_order_id]
        if not state.fills:
            broker.orders[resting.client_order_id] = broker.fill_now(state)
        return await read_positions()

    broker.get_positions = filled_just_before_the_account_is_read  # type: ignore[method-assign]
    restarted = world.restarted()

    differences = await restarted.restore_sessions()

    assert differences == []
    order = await world.h.orders.get(resting.client_order_id)
    assert order is not None
    assert order.status is OrderStatus.FILLED, "asked again, the fill is recorded"
    await restarted.stop_session(session_id)
