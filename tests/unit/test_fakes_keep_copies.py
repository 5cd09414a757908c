"""The tests' repositories keep copies, as a database does: an unsaved change is not in them."""

from __future__ import annotations

from datetime import timedelta

from livetrader_gui.domain import SessionStatus
from tests.builders import T0, session
from tests.fakes import FakeSessionRepository


async def test_a_session_changed_after_its_save_is_stored_as_it_was_saved() -> None:
    repository = FakeSessionRepository()
    live = session(id="S-1")
    await repository.save(live)

    live.start(T0 + timedelta(seconds=1))  # changed, never saved again

    stored = await repository.get("S-1")
    assert stored is not None
    assert stored is not live
    assert stored.status is SessionStatus.CREATED
    assert [s.status for s in await repository.list_by_status()] == [SessionStatus.CREATED]
    await repository.save(live)
    stored = await repository.get("S-1")
    assert stored is not None
    assert stored.status is SessionStatus.RUNNING
