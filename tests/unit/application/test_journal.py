"""The buffered journal: an entry the store refuses waits, in order, and is never dropped."""

from __future__ import annotations

import asyncio

from livetrader_gui.application.journal import BufferedJournal, NarratedJournal
from livetrader_gui.application.ports import StorageError
from livetrader_gui.domain import AuditEntry
from tests.builders import T0
from tests.fakes import FakeJournal, RecordingObserver


class FailingJournal(FakeJournal):
    """A journal whose store refuses writes while ``failing`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    async def append(self, entry: AuditEntry) -> None:
        if self.failing:
            raise StorageError("the database could not append (journal): database is locked")
        await asyncio.sleep(0)  # a real store lets other tasks run while it writes
        await super().append(entry)


def entry(number: int) -> AuditEntry:
    return AuditEntry("note", f"entry {number}", T0, "S-1")


async def test_entries_the_store_refuses_wait_and_are_written_in_order_with_the_next() -> None:
    store = FailingJournal()
    journal = BufferedJournal(store)
    store.failing = True

    await journal.append(entry(1))
    await journal.append(entry(2))

    assert journal.backlog == 2
    assert [e.message for e in await journal.list_entries("S-1")] == ["entry 1", "entry 2"]
    store.failing = False
    await journal.append(entry(3))
    assert [e.message for e in store.entries] == ["entry 1", "entry 2", "entry 3"]
    assert journal.backlog == 0
    assert journal.last_error is None


async def test_appends_at_the_same_time_write_each_entry_once() -> None:
    store = FailingJournal()
    journal = BufferedJournal(store)

    await asyncio.gather(*(journal.append(entry(n)) for n in range(20)))

    assert [e.message for e in store.entries] == [f"entry {n}" for n in range(20)]


async def test_a_narrated_journal_tells_each_entry_once_when_the_store_has_written_it() -> None:
    store = FailingJournal()
    observer = RecordingObserver()
    journal = BufferedJournal(NarratedJournal(store, observer))
    store.failing = True

    await journal.append(entry(1))
    assert observer.logs() == [], "not told before it is written"
    await journal.flush()
    store.failing = False
    await journal.append(entry(2))
    await journal.flush()

    assert observer.logs() == ["entry 1", "entry 2"]
    assert [e.session_id for e in observer.facts["on_log"]] == ["S-1", "S-1"]  # type: ignore[attr-defined]
    assert [e.message for e in await NarratedJournal(store, observer).list_entries("S-1")] == [
        "entry 1",
        "entry 2",
    ]


async def test_a_narrated_journal_builds_no_log_line_when_nobody_listens() -> None:
    store = FailingJournal()
    observer = RecordingObserver()
    observer.listening = False

    await NarratedJournal(store, observer).append(entry(1))

    assert [e.message for e in store.entries] == ["entry 1"]
    assert observer.logs() == []
