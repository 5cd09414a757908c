"""Every repository stores and returns domain objects exactly, Decimals and time zones included."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from livetrader_gui.adapters.persistence.database import Database
from livetrader_gui.adapters.persistence.repositories import (
    SqlAuditJournal,
    SqlBacktestRepository,
    SqlDailyBudgetRepository,
    SqlOrderRepository,
    SqlPaperTradingSessionRepository,
    SqlSessionRepository,
    SqlSignalRepository,
    SqlStrategyRepository,
)
from livetrader_gui.domain import (
    AuditEntry,
    BacktestMetrics,
    BacktestResult,
    DailyBudget,
    Fill,
    Order,
    OrderStatus,
    PaperTradingSession,
    SessionStatus,
    SignalReason,
    SignalStatus,
    TradeDirection,
    TradingSignal,
)
from tests.builders import T0, fill_for, order, session, strategy


async def test_a_strategy_round_trips_with_its_rules_hash(database: Database) -> None:
    repo = SqlStrategyRepository(database.sessions)
    original = strategy(position_pct=Decimal("12.3456789"))

    await repo.save(original)
    loaded = await repo.get(original.id)

    assert loaded == original
    assert loaded is not None
    assert loaded.rules_hash == original.rules_hash
    assert loaded.created_at == T0
    assert loaded.created_at.tzinfo is not None


async def test_saving_a_strategy_again_updates_it_in_place(database: Database) -> None:
    repo = SqlStrategyRepository(database.sessions)
    await repo.save(strategy())
    await repo.save(strategy().revised(T0 + timedelta(hours=1), entry_rule="close > 1"))

    stored = await repo.list_all()

    assert [s.entry_rule for s in stored] == ["close > 1"]
    assert await repo.get("missing") is None


async def test_a_session_keeps_the_strategy_version_it_was_started_with(database: Database) -> None:
    strategies = SqlStrategyRepository(database.sessions)
    sessions = SqlSessionRepository(database.sessions)
    live = session()
    live.start(T0)
    await strategies.save(live.strategy)
    await sessions.save(live)

    await strategies.save(live.strategy.revised(T0, exit_rule="close < 1"))
    loaded = await sessions.get(live.id)

    assert loaded is not None
    assert loaded.strategy.exit_rule == live.strategy.exit_rule
    assert loaded.rules_hash == live.rules_hash
    assert (loaded.status, loaded.started_at) == (SessionStatus.RUNNING, T0)
    assert loaded.risk_controls == live.risk_controls


async def test_sessions_are_listed_by_status(database: Database) -> None:
    repo = SqlSessionRepository(database.sessions)
    running, stopped = session(id="a"), session(id="b")
    running.start(T0)
    stopped.stop("trader", T0)
    await repo.save(running)
    await repo.save(stopped)

    assert [
        s.id for s in await repo.list_by_status(SessionStatus.RUNNING, SessionStatus.PAUSED)
    ] == ["a"]
    assert {s.id for s in await repo.list_by_status()} == {"a", "b"}
    assert await repo.get("missing") is None


async def test_an_order_round_trips_with_its_fills_and_counts_each_fill_once(
    database: Database,
) -> None:
    repo = SqlOrderRepository(database.sessions)
    placed = order(quantity=10, session_id="sess-1", limit=Decimal(72_100), broker_id="SIM")
    await repo.save(placed)  # persisted before it is sent
    first = fill_for(placed, 4, price=72_100, fill_id="F1", commission=Decimal("10.8"))
    placed.mark_submitted("B-1", T0)
    placed.apply_fill(first)

    assert await repo.record(placed, [first]) == ()
    assert await repo.record(placed, [first]) == (), "the same fill again is no conflict"
    loaded = await repo.get(placed.client_order_id)

    assert loaded is not None
    assert loaded.status is OrderStatus.PARTIALLY_FILLED
    assert loaded.broker_id == "SIM"
    assert loaded.fill_ids == {"F1"}
    assert loaded.apply_fill(first) is False, "a stored fill must not apply twice after reload"
    assert loaded.average_fill_price == Decimal(72_100)
    assert loaded.request == placed.request
    assert await repo.list_fills(placed.client_order_id) == [first]


async def submitted_with_a_fill(
    repo: SqlOrderRepository, broker_id: str, broker_order_id: str, **fill: Any
) -> tuple[Order, Fill]:
    placed = order(quantity=10, session_id="sess-1", broker_id=broker_id)
    await repo.save(placed)
    placed.mark_submitted(broker_order_id, T0)
    executed = fill_for(placed, 10, fill_id=f"{broker_order_id}-F1", **fill)
    placed.apply_fill(executed)
    return placed, executed


async def test_two_brokers_may_number_their_orders_and_fills_alike(database: Database) -> None:
    repo = SqlOrderRepository(database.sessions)
    one, first = await submitted_with_a_fill(repo, "PAPER-S-1", "P-000001")
    two, second = await submitted_with_a_fill(repo, "PAPER-S-2", "P-000001")

    assert await repo.record(one, [first]) == ()
    assert await repo.record(two, [second]) == ()

    assert await repo.list_fills(two.client_order_id) == [second]


async def test_a_fill_id_the_broker_gave_twice_is_a_conflict_and_nothing_is_written(
    database: Database,
) -> None:
    repo = SqlOrderRepository(database.sessions)
    one, first = await submitted_with_a_fill(repo, "SIM", "SIM-00000001")
    await repo.record(one, [first])
    # The broker forgot its numbering (a restart) and gave a new order the same ids.
    two, reused = await submitted_with_a_fill(repo, "SIM", "SIM-00000001", price=71_000)

    (conflict,) = await repo.record(two, [reused])

    assert conflict.stored == first
    assert conflict.explanation == (
        f"the broker reported fill SIM-00000001-F1 for order {two.client_order_id}, but a "
        f"fill with that id is stored for order {one.client_order_id}"
    )
    stored = await repo.get(two.client_order_id)
    assert stored is not None
    assert stored.status is OrderStatus.PENDING_SUBMIT  # the order's new state was not written
    assert await repo.list_fills(two.client_order_id) == []


async def test_the_same_fill_with_other_figures_is_a_conflict(database: Database) -> None:
    repo = SqlOrderRepository(database.sessions)
    placed, executed = await submitted_with_a_fill(repo, "SIM", "SIM-7")
    await repo.record(placed, [executed])

    (conflict,) = await repo.record(placed, [replace(executed, price=Decimal(1))])

    assert "with different figures" in conflict.explanation


async def test_fills_come_back_in_the_order_they_were_recorded_not_by_time(
    database: Database,
) -> None:
    repo = SqlOrderRepository(database.sessions)
    buy, bought = await submitted_with_a_fill(repo, "SIM", "SIM-1")
    # A simulated clock restarted between the two: the later fill carries the earlier time.
    sell = order(quantity=10, session_id="sess-1", broker_id="SIM", direction=TradeDirection.SELL)
    await repo.save(sell)
    sell.mark_submitted("SIM-2", T0)
    sold = fill_for(sell, 10, fill_id="SIM-2-F1", at=T0 - timedelta(hours=5))
    sell.apply_fill(sold)
    await repo.record(buy, [bought])
    await repo.record(sell, [sold])

    assert await repo.list_session_fills("sess-1") == [bought, sold]
    assert await repo.net_positions("SIM") == {}


async def test_net_positions_add_up_every_fill_of_one_broker(database: Database) -> None:
    repo = SqlOrderRepository(database.sessions)
    on_sim, bought = await submitted_with_a_fill(repo, "SIM", "SIM-1")
    on_paper, paper_fill = await submitted_with_a_fill(repo, "PAPER-S-1", "P-000001")
    await repo.record(on_sim, [bought])
    await repo.record(on_paper, [paper_fill])

    assert await repo.net_positions("SIM") == {"005930": Decimal(10)}
    assert await repo.list_open(broker_id="SIM") == []


async def test_a_fee_kept_in_the_coin_bought_is_stored_and_held_positions_leave_it_out(
    database: Database,
) -> None:
    repo = SqlOrderRepository(database.sessions)
    placed, bought = await submitted_with_a_fill(repo, "BINANCE", "7", fee_quantity=Decimal("0.01"))
    await repo.record(placed, [bought])

    assert await repo.list_fills(placed.client_order_id) == [bought]
    assert await repo.net_positions("BINANCE") == {"005930": Decimal("9.99")}


async def test_open_orders_include_pending_submit_and_exclude_terminal_ones(
    database: Database,
) -> None:
    repo = SqlOrderRepository(database.sessions)
    pending = order(session_id="s1")
    filled = order(session_id="s1", quantity=1)
    filled.apply_fill(fill_for(filled, 1))
    other_session = order(session_id="s2", direction=TradeDirection.SELL)
    for each in (pending, filled, other_session):
        await repo.save(each)

    assert {o.client_order_id for o in await repo.list_open()} == {
        pending.client_order_id,
        other_session.client_order_id,
    }
    assert [o.client_order_id for o in await repo.list_open("s1")] == [pending.client_order_id]
    assert len(await repo.list_for_session("s1")) == 2
    assert await repo.get("missing") is None


def backtest(result_id: str, rules_hash: str, hours: int, sharpe: str | None) -> BacktestResult:
    return BacktestResult(
        id=result_id,
        strategy_id="strat-1",
        rules_hash=rules_hash,
        symbols=("005930",),
        start=T0 - timedelta(days=365),
        end=T0,
        initial_capital=Decimal(10_000_000),
        final_equity=Decimal("11234567.89"),
        metrics=BacktestMetrics(
            total_return_pct=Decimal("12.3456789"),
            cagr_pct=Decimal("12.3"),
            sharpe_ratio=None if sharpe is None else Decimal(sharpe),
            sortino_ratio=None,
            max_drawdown_pct=Decimal("4.5"),
            win_rate_pct=Decimal(60),
            num_trades=25,
            exposure_pct=Decimal(40),
        ),
        created_at=T0 + timedelta(hours=hours),
    )


async def test_the_latest_backtest_is_found_for_a_given_rules_hash(database: Database) -> None:
    repo = SqlBacktestRepository(database.sessions)
    await repo.add(backtest("old", "h1", 1, "0.8"))
    await repo.add(backtest("new", "h1", 2, "1.34"))
    await repo.add(backtest("other-rules", "h2", 3, None))

    latest_for_h1 = await repo.get_latest_by_strategy("strat-1", "h1")
    latest_any = await repo.get_latest_by_strategy("strat-1")

    assert latest_for_h1 == backtest("new", "h1", 2, "1.34")
    assert latest_any is not None
    assert latest_any.id == "other-rules"
    assert latest_any.metrics.sharpe_ratio is None
    assert await repo.get_latest_by_strategy("strat-1", "h3") is None


async def test_paper_days_are_stored_per_session_and_never_lost(database: Database) -> None:
    repo = SqlPaperTradingSessionRepository(database.sessions)
    paper = PaperTradingSession("p1", "strat-1", "h1", T0)
    paper.record_activity(date(2026, 11, 24))
    await repo.save(paper)
    paper.record_activity(date(2026, 11, 25))
    paper.end(T0 + timedelta(days=1))
    await repo.save(paper)
    await repo.save(PaperTradingSession("p2", "strat-1", "h2", T0))

    sessions = await repo.get_by_strategy("strat-1", "h1")

    assert [(p.id, p.trading_days, p.ended_at) for p in sessions] == [
        ("p1", {date(2026, 11, 24), date(2026, 11, 25)}, T0 + timedelta(days=1))
    ]
    assert len(await repo.get_by_strategy("strat-1")) == 2
    assert await repo.get_by_strategy("nobody") == []


async def test_a_paper_session_is_found_by_its_live_session_with_its_exact_capital(
    database: Database,
) -> None:
    repo = SqlPaperTradingSessionRepository(database.sessions)
    await repo.save(
        PaperTradingSession(
            "p1", "strat-1", "h1", T0, live_session_id="S-1", capital=Decimal("12345678.5")
        )
    )

    found = await repo.get_by_live_session("S-1")

    assert found is not None
    assert (found.id, found.capital) == ("p1", Decimal("12345678.5"))
    assert await repo.get_by_live_session("S-2") is None


async def test_the_journal_returns_the_newest_entries_oldest_first(database: Database) -> None:
    journal = SqlAuditJournal(database.sessions)
    for n in range(5):
        await journal.append(
            AuditEntry(
                "risk_decision",
                f"decision {n}",
                T0,
                session_id="s1" if n % 2 else None,
                data={"n": n},
            )
        )

    newest_three = await journal.list_entries(limit=3)
    of_session = await journal.list_entries(session_id="s1")

    assert [e.message for e in newest_three] == ["decision 2", "decision 3", "decision 4"]
    assert [e.data["n"] for e in of_session] == [1, 3]


async def test_non_finite_decimals_never_reach_the_database(database: Database) -> None:
    from livetrader_gui.adapters.persistence.types import DecimalText

    with pytest.raises(ValueError, match="only finite Decimals"):
        DecimalText().process_bind_param(Decimal("NaN"), database.engine.dialect)


async def test_a_strategy_row_edited_so_its_hash_no_longer_matches_refuses_to_load(
    database: Database,
) -> None:
    from sqlalchemy import text

    repo = SqlStrategyRepository(database.sessions)
    await repo.save(strategy())
    async with database.sessions.begin() as db:
        await db.execute(text("UPDATE strategies SET entry_rule = 'close > 0'"))

    with pytest.raises(ValueError, match=r"stored rules hash .* does not match its rules"):
        await repo.get("strat-1")


async def test_a_signal_round_trips_with_its_outcome(database: Database) -> None:
    repo = SqlSignalRepository(database.sessions)
    signal = TradingSignal(
        session_id="S-1",
        symbol="005930",
        direction=TradeDirection.BUY,
        price=Decimal("71900"),
        quantity=Decimal(0),
        reason=SignalReason.ENTRY_RULE,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=1),
    )
    await repo.save(signal)
    signal.reject("the position budget buys less than one lot")
    await repo.save(signal)

    (loaded,) = await repo.list_for_session("S-1")

    assert loaded.id == signal.id
    assert loaded.status is SignalStatus.REJECTED
    assert loaded.status_detail == "the position budget buys less than one lot"
    assert (loaded.price, loaded.quantity, loaded.expires_at) == (
        Decimal("71900"),
        Decimal(0),
        T0 + timedelta(minutes=1),
    )
    assert await repo.get("missing") is None


async def test_a_daily_budget_survives_a_restart_with_its_limit_time(database: Database) -> None:
    repo = SqlDailyBudgetRepository(database.sessions)
    day = date(2026, 11, 24)
    budget = DailyBudget("S-1", day, Decimal("10000000.5"), Decimal(-3), Decimal(7))
    await repo.save(budget)
    reached = DailyBudget("S-1", day, Decimal("10000000.5"), Decimal(-3), Decimal(7), T0)
    await repo.save(reached)

    loaded = await repo.get("S-1", day)

    assert loaded == reached
    assert await repo.get("S-1", date(2026, 11, 25)) is None
