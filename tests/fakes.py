"""Fakes that implement the ports, for tests: no real time passes, nothing leaves the process."""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import keyring.errors
from keyring.backend import KeyringBackend

from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.adapters.persistence.memory import (
    MemoryBacktestRepository,
    MemoryBudgetRepository,
    MemoryJournal,
    MemoryOrderRepository,
    MemoryPaperRepository,
    MemorySessionRepository,
    MemorySignalRepository,
)
from livetrader_gui.application.market_watch_board import WatchedBroker
from livetrader_gui.application.ports import (
    BrokerError,
    FillConflict,
    ITradingCalendar,
    StorageError,
)
from livetrader_gui.domain import (
    AuditEntry,
    Candle,
    DailyBudget,
    Fill,
    Instrument,
    LiveTradingSession,
    Order,
    OrderStatus,
    PaperTradingSession,
    Quote,
    SessionStatus,
    Strategy,
    TickTable,
    TradingSignal,
    TradingState,
)


class FakeClock(ManualClock):
    """A ``Clock`` that moves only when a test calls ``advance``.

    ``sleep`` and ``wait`` park until the test advances past their deadline, so code that waits
    minutes of market time runs in microseconds and deterministically.
    """

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self.advance_to(self.now() + timedelta(seconds=seconds))

    async def run_until(self, until: datetime, loops: int | Callable[[], int]) -> None:
        """Let time pass up to *until* as fast as the code allows, as if it were real time.

        Whenever at least *loops* waits are parked (each of the *loops* tasks that run
        forever is waiting, or sleeping inside a call), time jumps to the earliest deadline.
        Work that waits on threads (the database) gets real time to finish first: nothing
        waits for time to pass. *loops* may be counted afresh each time (tasks come and go).
        """
        count = loops if callable(loops) else lambda: loops
        while True:
            for spin in range(100_000):
                if self.sleepers >= count():
                    break
                await asyncio.sleep(0 if spin < 50 else 0.001)
            else:
                raise AssertionError(f"expected {count()} parked waits, found {self.sleepers}")
            if self.now() >= until:
                return
            deadline = self.next_deadline()
            self.advance_to(min(deadline, until) if deadline is not None else until)

    async def settle(self, sleepers: int = 1) -> None:
        """Let other tasks run until at least *sleepers* waits are parked on this clock."""
        for _ in range(1_000):
            if self.sleepers >= sleepers:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"expected {sleepers} parked waits, found {self.sleepers}")


class FakeBacktestRepository(MemoryBacktestRepository):
    """Backtest results in memory (implements ``IBacktestRepository``)."""


# --------------------------------------------------------------------------- repositories


class FakeStrategyRepository:
    """Strategies in memory (``IStrategyRepository``)."""

    def __init__(self) -> None:
        self.strategies: dict[str, Strategy] = {}

    async def save(self, strategy: Strategy) -> None:
        self.strategies[strategy.id] = strategy

    async def get(self, strategy_id: str) -> Strategy | None:
        return self.strategies.get(strategy_id)

    async def list_all(self) -> list[Strategy]:
        return list(self.strategies.values())

    async def delete(self, strategy_id: str) -> None:
        self.strategies.pop(strategy_id, None)


class FakeSessionRepository(MemorySessionRepository):
    """Sessions in memory (``ILiveTradingSessionRepository``).

    It keeps copies, as a database does: a change that is never saved is not in it, so a missing
    ``save()`` fails the test that reads the session back.
    """

    def __init__(self) -> None:
        super().__init__()
        self.saved_statuses: list[tuple[str, SessionStatus, TradingState]] = []

    async def save(self, session: LiveTradingSession) -> None:
        await super().save(copy.deepcopy(session))
        self.saved_statuses.append((session.id, session.status, session.trading_state))

    async def get(self, session_id: str) -> LiveTradingSession | None:
        return copy.deepcopy(await super().get(session_id))

    async def list_by_status(self, *statuses: SessionStatus) -> list[LiveTradingSession]:
        return copy.deepcopy(await super().list_by_status(*statuses))


class FakeOrderRepository(MemoryOrderRepository):
    """Orders and fills in memory (``IOrderRepository``), recording each save in order.

    ``failing`` makes every write raise ``StorageError``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[tuple[str, OrderStatus]] = []
        self.failing: str | None = None

    def _write(self) -> None:
        if self.failing is not None:
            raise StorageError(self.failing)

    async def save(self, order: Order) -> None:
        self._write()
        await super().save(order)
        self.saved.append((order.client_order_id, order.status))

    async def record(self, order: Order, fills: Sequence[Fill]) -> tuple[FillConflict, ...]:
        self._write()
        return await super().record(order, fills)


class FakeSignalRepository(MemorySignalRepository):
    """Signals in memory (``ISignalRepository``), kept as copies (see the sessions')."""

    async def save(self, signal: TradingSignal) -> None:
        await super().save(copy.deepcopy(signal))

    async def get(self, signal_id: str) -> TradingSignal | None:
        return copy.deepcopy(await super().get(signal_id))

    async def list_for_session(self, session_id: str) -> list[TradingSignal]:
        return copy.deepcopy(await super().list_for_session(session_id))


class FakeBudgetRepository(MemoryBudgetRepository):
    """Daily budgets in memory (``IDailyBudgetRepository``), kept as copies."""

    async def save(self, budget: DailyBudget) -> None:
        await super().save(copy.deepcopy(budget))

    async def get(self, session_id: str, trading_day: date) -> DailyBudget | None:
        return copy.deepcopy(await super().get(session_id, trading_day))


class FakePaperRepository(MemoryPaperRepository):
    """Paper sessions in memory (``IPaperTradingSessionRepository``), kept as copies."""

    async def save(self, session: PaperTradingSession) -> None:
        await super().save(copy.deepcopy(session))

    async def get_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> list[PaperTradingSession]:
        return copy.deepcopy(await super().get_by_strategy(strategy_id, rules_hash))

    async def get_by_live_session(self, live_session_id: str) -> PaperTradingSession | None:
        return copy.deepcopy(await super().get_by_live_session(live_session_id))


class FakeJournal(MemoryJournal):
    """The audit journal in memory (``IAuditJournal``)."""

    def kinds(self, *kinds: str) -> list[AuditEntry]:
        """Return the entries of the given kinds, in order."""
        return [e for e in self.entries if e.kind in kinds]


class RecordingObserver:
    """An ``ISessionObserver`` that keeps every fact it is told, by method name."""

    listening = True

    def __init__(self) -> None:
        self.facts: dict[str, list[object]] = defaultdict(list)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def record(*args: object) -> None:
            self.facts[name].append(args[-1] if args else None)

        return record

    def logs(self) -> list[str]:
        """Return the messages of the activity log."""
        return [entry.message for entry in self.facts["on_log"]]  # type: ignore[attr-defined]


class FakeCalendars:
    """An ``ICalendarProvider`` that hands out calendars it was given."""

    def __init__(self, *calendars: ITradingCalendar) -> None:
        self._calendars = {c.code: c for c in calendars}

    def put(self, calendar: ITradingCalendar) -> None:
        """Hand out *calendar* for its code from now on."""
        self._calendars[calendar.code] = calendar

    async def get(self, code: str) -> ITradingCalendar:
        return self._calendars[code]


class HolidayOn:
    """A calendar with one extra holiday, as when an exchange closes at short notice (an
    election day): the market data may still run, the session must not trade."""

    def __init__(self, calendar: ITradingCalendar, day: date) -> None:
        self._calendar = calendar
        self._day = day

    def __getattr__(self, name: str) -> Any:
        if name in ("open_mask", "session_days"):
            # The whole-table answers would not know the holiday: ask one minute at a time.
            raise AttributeError(name)
        return getattr(self._calendar, name)

    @property
    def code(self) -> str:
        return self._calendar.code

    def is_open(self, at: datetime) -> bool:
        return self._calendar.session_date(at) != self._day and self._calendar.is_open(at)

    def is_session(self, day: date) -> bool:
        return day != self._day and self._calendar.is_session(day)


class ScriptedFeed:
    """An ``IMarketDataFeed`` whose facts the test sends; it records every subscription."""

    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, ...]] = []
        self.open = 0
        self._queue: asyncio.Queue[Quote | Candle | BrokerError] = asyncio.Queue()

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        self.subscriptions.append(tuple(symbols))
        self.open += 1
        try:
            while True:
                fact = await self._queue.get()
                if isinstance(fact, BrokerError):
                    raise fact
                yield fact
        finally:
            self.open -= 1

    def send(self, fact: Quote | Candle | BrokerError) -> None:
        self._queue.put_nowait(fact)


class MemoryKeyring(KeyringBackend):
    """A keyring in memory, as the tests' system keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.kept.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


def _coin(symbol: str, name: str) -> Instrument:
    return Instrument(symbol, name, "24/7", "KRW", TickTable.fixed("1"))


@dataclass
class FakeMarketWatchBoard:
    """An ``IMarketWatchBoard`` that answers as told."""

    lists: dict[str, list[str]] = field(default_factory=lambda: {"SIM": ["005930"], "UPBIT": []})
    problems: dict[str, str] = field(default_factory=dict)
    listed: dict[str, list[Instrument]] = field(
        default_factory=lambda: {
            "SIM": [_coin("005930", "Samsung Electronics")],
            "UPBIT": [_coin("KRW-BTC", "Bitcoin"), _coin("KRW-ETH", "Ethereum")],
        }
    )

    def brokers(self) -> list[WatchedBroker]:
        names = {"SIM": "Simulated KRX", "UPBIT": "Upbit"}
        return [WatchedBroker(b, names[b], tuple(s), self.problems.get(b))
                for b, s in self.lists.items()]  # fmt: skip

    def symbols(self, broker_id: str) -> list[str]:
        return list(self.lists[broker_id])

    def latest(self, broker_id: str | None = None) -> list[Quote]:
        return []

    async def instruments(self, broker_id: str) -> list[Instrument]:
        if broker_id in self.problems:
            raise ValueError(self.problems[broker_id])
        return self.listed[broker_id]

    async def watch(self, broker_id: str, symbol: str) -> str:
        if symbol not in {i.symbol for i in self.listed[broker_id]}:
            raise ValueError(f"Upbit does not list '{symbol}'")
        self.lists[broker_id].append(symbol)
        return f"Watching {symbol} on Upbit"

    async def unwatch(self, broker_id: str, symbol: str) -> str:
        self.lists[broker_id].remove(symbol)
        return f"{symbol} is no longer watched"
