"""The main window attached to a world whose facts reach it through the Qt bridge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.domain import Candle
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from livetrader_gui.ui.workbench import Workbench
from tests.world import World


class Desk:
    """A window attached to a world whose facts reach it through the Qt bridge."""

    def __init__(self, calendar: ExchangeTradingCalendar, last_view: Path | None = None) -> None:
        signals = EngineSignals()
        self.world = World(calendar, observer=QtSessionObserver(signals), streaming=True)
        self.window = MainWindow(signals, last_view=last_view)
        self.asked: list[str] = []
        self.answer = True
        self.window.confirm = self._confirm
        self.trading = self.world.desk()
        self.window.show_workspace(
            self.trading,
            "Fake broker",
            "FAKE",
            {"005930": "Samsung"},
            "Asia/Seoul",
            ":memory:",
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


def days_of_history(desk: Desk, days: int) -> None:
    """Give the fake broker the first hour of each of the *days* sessions before today."""
    broker, calendar = desk.world.h.broker, desk.world.h.calendar
    today = calendar.session_date(desk.world.h.clock.now())
    sessions = calendar.sessions_between(today - timedelta(days=3 * days), today)[-days - 1 : -1]
    for number, day in enumerate(sessions):
        opens, _ = calendar.session_bounds(day)
        for minute in range(60):
            close = Decimal(100 + (minute * 7 + number * 3) % 11)
            for symbol in ("005930", "000660"):
                broker.candles[symbol].append(
                    Candle(
                        symbol,
                        opens + timedelta(minutes=minute),
                        close,
                        close,
                        close,
                        close,
                        Decimal(1_000),
                    )
                )
