"""The review after a restart: what reconciling found is a line for the trader to decide
(adopt, flatten, ignore), each decision is carried out and journalled, and no session resumes
while a line waits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from livetrader_gui.application.live_trading.restart_review import (
    Decision,
    ReviewKind,
    ReviewPendingError,
)
from livetrader_gui.application.live_trading.session_manager import LiveTradingSessionManager
from livetrader_gui.domain import (
    OrderRequest,
    OrderStatus,
    OrderType,
    SessionStatus,
    TradeDirection,
)
from tests.world import World, left_resting_at_a_restart, started_with_a_position, trade

HYNIX = "000660"
BY_HAND = "Fake broker (FAKE)"


async def bought_by_hand_while_down(world: World) -> tuple[str, LiveTradingSessionManager]:
    """A session holds SAMSUNG; while the app is down, 7 HYNIX are bought by hand."""
    session_id = await started_with_a_position(world)
    await world.manager.shutdown()
    world.h.broker.holdings[HYNIX] = Decimal(7)
    restarted = world.restarted()
    assert await restarted.restore_sessions() == [
        f"{HYNIX}: the sessions hold 0, {BY_HAND} holds 7"
    ]
    return session_id, restarted


async def test_coins_bought_by_hand_are_a_line_to_decide_and_no_session_resumes_before(
    world: World,
) -> None:
    session_id, restarted = await bought_by_hand_while_down(world)

    (line,) = restarted.restart_review
    assert (line.number, line.kind, line.symbol) == (1, ReviewKind.POSITION, HYNIX)
    assert line.text == f"{HYNIX}: the sessions hold 0, {BY_HAND} holds 7"
    assert line.choices == (Decision.ADOPT, Decision.FLATTEN, Decision.IGNORE)
    assert line.waiting
    with pytest.raises(ReviewPendingError, match="1 line\\(s\\) of the review after the restart"):
        await restarted.resume_session(session_id)
    with pytest.raises(ReviewPendingError):
        await restarted.resume_restarted("unattended")
    assert restarted.runner(session_id).session.status is SessionStatus.PAUSED
    await restarted.stop_session(session_id)


async def test_adopting_a_position_records_it_in_the_session_that_trades_it_and_journals_it(
    world: World,
) -> None:
    session_id, restarted = await bought_by_hand_while_down(world)

    line = await restarted.decide(1, Decision.ADOPT)

    assert line.decision is Decision.ADOPT
    assert line.outcome.startswith(f"the records now hold 7 (session {session_id}, at ")
    assert await world.h.orders.net_positions("FAKE") == {"005930": Decimal(9_090), HYNIX: 7}
    assert restarted.runner(session_id).book.held(HYNIX) == 7, "its book knows it at once"
    (entry,) = world.h.journal.kinds("review_decision")
    assert entry.session_id == session_id
    assert entry.message.startswith(
        f"after the restart, {HYNIX}: the sessions hold 0, {BY_HAND} holds 7 — adopt: "
    )
    assert entry.data["decision"] == "adopt"
    await restarted.resume_session(session_id)  # nothing waits any more
    assert restarted.runner(session_id).session.status is SessionStatus.RUNNING
    await restarted.stop_session(session_id)


async def test_flattening_a_position_sells_what_the_broker_holds_beyond_the_records(
    world: World,
) -> None:
    session_id, restarted = await bought_by_hand_while_down(world)

    line = await restarted.decide(1, Decision.FLATTEN)

    sale = world.h.broker.placed[-1]
    assert (sale.symbol, sale.direction, sale.quantity) == (HYNIX, TradeDirection.SELL, 7)
    assert line.outcome.startswith("sold 7 at market (order ")
    assert world.h.broker.holdings[HYNIX] == 0
    records = await world.h.orders.net_positions("FAKE")
    assert records.get(HYNIX, Decimal(0)) == 0, "found, then sold: the records match the broker"
    stored = await world.h.orders.get(sale.client_order_id)
    assert stored is not None
    assert stored.session_id is None, "the account's own order, no session's"
    assert stored.status is OrderStatus.FILLED
    assert restarted.runner(session_id).book.held(HYNIX) == 0
    await restarted.stop_session(session_id)


async def test_ignoring_a_line_changes_nothing_but_is_journalled_and_lets_sessions_resume(
    world: World,
) -> None:
    session_id, restarted = await bought_by_hand_while_down(world)
    placed = len(world.h.broker.placed)

    line = await restarted.decide(1, Decision.IGNORE)

    assert line.outcome == "left as it is: the records and the broker still differ"
    assert len(world.h.broker.placed) == placed
    assert world.h.broker.holdings[HYNIX] == 7
    assert [e.data["decision"] for e in world.h.journal.kinds("review_decision")] == ["ignore"]
    with pytest.raises(ReviewPendingError, match="decided already"):
        await restarted.decide(1, Decision.ADOPT)
    assert await restarted.resume_restarted("the trader decided") == [session_id]
    await restarted.stop_session(session_id)


async def test_an_order_placed_elsewhere_can_be_cancelled_never_adopted(world: World) -> None:
    session_id = await started_with_a_position(world)
    await world.manager.shutdown()
    world.h.broker.fill_orders = False
    await world.h.broker.place_order(
        OrderRequest("ELSEWHERE-1", HYNIX, TradeDirection.BUY, OrderType.MARKET, Decimal(1))
    )
    restarted = world.restarted()
    await restarted.restore_sessions()
    (line,) = restarted.restart_review

    assert line.kind is ReviewKind.FOREIGN_ORDER
    assert line.choices == (Decision.FLATTEN, Decision.IGNORE)
    with pytest.raises(Exception, match="can be decided as flatten, ignore, not adopt"):
        await restarted.decide(1, Decision.ADOPT)
    decided = await restarted.decide(1, Decision.FLATTEN)

    assert world.h.broker.orders["ELSEWHERE-1"].status is OrderStatus.CANCELLED
    assert decided.outcome.startswith("cancelled at the broker (CANCELLED")
    assert await world.h.orders.get("ELSEWHERE-1") is None, "not recorded as a session's"
    await restarted.stop_session(session_id)


async def test_a_fill_made_while_down_is_adopted_listed_and_can_still_be_sold(
    world: World,
) -> None:
    session_id, resting = await left_resting_at_a_restart(world)
    broker = world.h.broker
    broker.orders[resting.client_order_id] = broker.fill_now(broker.orders[resting.client_order_id])
    broker.fill_orders = True

    restarted = world.restarted()
    assert await restarted.restore_sessions() == []
    (line,) = restarted.restart_review

    assert line.kind is ReviewKind.FILL_WHILE_DOWN
    assert (line.decision, line.outcome) == (
        Decision.ADOPT,
        "recorded under the venue's own fill id",
    )
    assert "while LiveTrader was down" in line.text
    assert resting.client_order_id in line.text
    assert not line.waiting, "a recorded fill holds no session back"
    assert resting.request.direction is TradeDirection.BUY
    sold = await restarted.decide(1, Decision.FLATTEN)
    assert sold.outcome.startswith(f"sold {resting.request.quantity} at market")
    assert restarted.runner(session_id).book.held(resting.symbol) == 0
    await restarted.resume_session(session_id)
    await restarted.stop_session(session_id)


async def test_adopting_less_than_two_sessions_hold_takes_it_from_each_in_turn(
    world: World,
) -> None:
    first = await world.manager.start_session(
        world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    second = await world.manager.start_session(
        world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    for close in (100, 100, 100, 110):
        await trade(world, first.id, s005930=close, s000660=100)
        if not world.streaming:  # a tick of the other session too
            await world.manager.runner(second.id).run_once()
    held = {s: world.manager.runner(s).book.held("005930") for s in (first.id, second.id)}
    await world.manager.shutdown()
    total = sum(held.values())
    assert all(q > 0 for q in held.values())
    world.h.broker.holdings["005930"] = total - max(held.values()) - 1  # sold by hand
    restarted = world.restarted()
    await restarted.restore_sessions()
    (line,) = restarted.restart_review

    decided = await restarted.decide(line.number, Decision.ADOPT)

    after = {s: restarted.runner(s).book.held("005930") for s in (first.id, second.id)}
    records = await world.h.orders.net_positions("FAKE")
    assert records["005930"] == world.h.broker.holdings["005930"]
    assert sum(after.values()) == world.h.broker.holdings["005930"]
    assert all(q >= 0 for q in after.values()), "no session gives up more than it holds"
    assert decided.outcome.startswith(f"the records now hold {total - max(held.values()) - 1}")
    for session_id in (first.id, second.id):
        await restarted.stop_session(session_id)
