"""The trader's desk answers with frozen snapshots of what the manager and storage hold."""

from __future__ import annotations

from livetrader_gui.application.read_models import PositionSnapshot
from livetrader_gui.domain import SessionStatus
from tests.builders import strategy
from tests.world import World, started_with_a_position


async def test_a_strategy_saved_through_the_desk_is_listed(world: World) -> None:
    desk = world.desk()
    other = strategy(id="st-2", name="Breakout")

    await desk.save_strategy(other)

    assert [s.name for s in await desk.strategies()] == [world.h.strategy.name, "Breakout"]


async def test_the_desk_asks_the_gate_and_passes_only_with_the_evidence(world: World) -> None:
    desk = world.desk()

    before = await desk.check_prerequisites(world.h.strategy, "FAKE")
    await world.ready()
    after = await desk.check_prerequisites(world.h.strategy, "FAKE")

    assert not before.all_passed
    assert after.all_passed


async def test_the_view_of_a_session_holds_its_position_orders_and_state(world: World) -> None:
    session_id = await started_with_a_position(world)

    view = await world.desk().view(session_id)

    assert view.session.status is SessionStatus.RUNNING
    assert [(p.symbol, p.quantity) for p in view.positions] == [("005930", 9_090)]
    assert isinstance(view.positions[0], PositionSnapshot)
    assert [o.symbol for o in view.orders] == ["005930"]
    assert view.risk.current_positions == 1
    await world.manager.stop_session(session_id)
