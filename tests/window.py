"""The main window attached to a world whose facts reach it through the Qt bridge."""

from __future__ import annotations

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from livetrader_gui.ui.workbench import Workbench
from tests.world import World


class Desk:
    """A window attached to a world whose facts reach it through the Qt bridge."""

    def __init__(self, calendar: ExchangeTradingCalendar) -> None:
        signals = EngineSignals()
        self.world = World(calendar, observer=QtSessionObserver(signals))
        self.window = MainWindow(signals)
        self.asked: list[str] = []
        self.answer = True
        self.window.confirm = self._confirm
        self.window.show_workspace(
            self.world.desk(), "Fake broker", {"005930": "Samsung"}, "Asia/Seoul", ":memory:"
        )

    def _confirm(self, title: str, question: str) -> bool:
        self.asked.append(title)
        return self.answer

    @property
    def bench(self) -> Workbench:
        assert self.window.workbench is not None
        return self.window.workbench

    async def settled(self) -> None:
        """Let the commands started by clicks finish and apply what they reported."""
        await self.window.commands.wait()
        self.bench.sessions.model.flush()
