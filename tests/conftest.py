"""Test set-up shared by every suite.

Qt runs offscreen. Asyncio tests that touch Qt (marked ``qasync`` or under ``tests/ui`` and
``tests/e2e``) get a qasync loop inside the one QApplication, so QTimers and queued signals run;
the others get a plain asyncio loop.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="livetrader-xdg-"))
# Calendars kept between runs go to a folder of this test run, not the user's cache.
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="livetrader-cache-"))

import asyncio
import decimal
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider, ExchangeTradingCalendar
from tests.fakes import MemoryKeyring

_QT_DIRS = ("tests/ui/", "tests/e2e/")


def _wants_qasync(item: pytest.Item) -> bool:
    path = Path(str(item.path)).as_posix()
    return item.get_closest_marker("qasync") is not None or any(d in path for d in _QT_DIRS)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    if not _wants_qasync(item):
        return {"asyncio": asyncio.new_event_loop}
    import qasync
    from PySide6.QtWidgets import QApplication

    def factory() -> asyncio.AbstractEventLoop:
        app = QApplication.instance() or QApplication([])
        loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
        return loop

    return {"qasync": factory}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("asyncio") is not None:
            item.fixturenames.append("_no_leaked_tasks")  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def _no_leaked_tasks() -> AsyncIterator[None]:
    """Fail an asyncio test that leaves tasks running behind it."""
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    leaked = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in leaked:
        task.cancel()
    assert not leaked, f"test left tasks running: {leaked}"


@pytest.fixture(scope="session")
def calendars() -> ExchangeCalendarProvider:
    """One provider for the run, reading the shipped XKRX (building it takes seconds)."""
    shipped = Path(__file__).resolve().parents[1] / "resources" / "calendars"
    return ExchangeCalendarProvider(
        start=date(2025, 1, 1), end=date(2027, 6, 30), shipped=(shipped,)
    )


@pytest.fixture(scope="session")
def xkrx(calendars: ExchangeCalendarProvider) -> ExchangeTradingCalendar:
    return calendars.load("XKRX")


def _decimal_settings() -> tuple[object, ...]:
    context = decimal.getcontext()
    traps = tuple(sorted((t.__name__, on) for t, on in context.traps.items()))
    return context.prec, context.rounding, context.Emin, context.Emax, traps


@pytest.fixture(autouse=True)
def _decimal_context_kept() -> Iterator[None]:
    """Fail a test after which money rounds differently: a library that changes the process's
    decimal context (ccxt sets ROUND_HALF_UP on it) would change every later P&L."""
    before = _decimal_settings()
    yield
    after = _decimal_settings()
    if after != before:
        decimal.setcontext(decimal.Context())
    assert after == before, f"the decimal context changed: {before} -> {after}"


@pytest.fixture(autouse=True)
def _no_leaked_top_level_widgets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a Qt test that leaves a visible top-level widget behind."""
    yield
    if not _wants_qasync(request.node):
        return
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        return
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for widget in leaked:
        widget.close()
    assert not leaked, f"test left top-level widgets open: {leaked}"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The system's keyring, in memory for the test (headless machines have none)."""
    import keyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)
