"""Fakes that implement the ports, for tests: no real time passes, nothing leaves the process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.application.ports import FillConflict, ITradingCalendar, StorageError
from livetrader_gui.domain import (
    AuditEntry,
    DailyBudget,
    Fill,
    LiveTradingSession,
    Order,
    OrderStatus,
    PaperTradingSession,
    SessionStatus,
    Strategy,
    TradingSignal,
    TradingState,
)
from livetrader_gui.domain.backtest import BacktestResult


class FakeClock(ManualClock):
    """A ``Clock`` that moves only when a test calls ``advance``.

    ``sleep`` and ``wait`` park until the test advances past their deadline, so code that waits
    minutes of market time runs in microseconds and deterministically.
    """

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self.advance_to(self.now() + timedelta(seconds=seconds))

    async def run_until(self, until: datetime, loops: int) -> None:
        """Let time pass up to *until* as fast as the code allows, as if it were real time.

        Whenever at least *loops* waits are parked (each of the *loops* tasks that run
        forever is waiting, or sleeping inside a call), time jumps to the earliest deadline.
        Work that waits on threads (the database) gets real time to finish first: nothing
        waits for time to pass.
        """
        while True:
            for spin in range(100_000):
                if self.sleepers >= loops:
                    break
                await asyncio.sleep(0 if spin < 50 else 0.001)
            else:
                raise AssertionError(f"expected {loops} parked waits, found {self.sleepers}")
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


class FakeBacktestRepository:
    """Backtest results in memory (implements ``IBacktestRepository``)."""

    def __init__(self) -> None:
        self.results: list[BacktestResult] = []

    async def add(self, result: BacktestResult) -> None:
        self.results.append(result)

    async def get_latest_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> BacktestResult | None:
        matching = [
            r
            for r in self.results
            if r.strategy_id == strategy_id and rules_hash in (None, r.rules_hash)
        ]
        return max(matching, key=lambda r: r.created_at, default=None)


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


class FakeSessionRepository:
    """Sessions in memory (``ILiveTradingSessionRepository``); stores copies of the status."""

    def __init__(self) -> None:
        self.sessions: dict[str, LiveTradingSession] = {}
        self.saved_statuses: list[tuple[str, SessionStatus, TradingState]] = []

    async def save(self, session: LiveTradingSession) -> None:
        self.sessions[session.id] = session
        self.saved_statuses.append((session.id, session.status, session.trading_state))

    async def get(self, session_id: str) -> LiveTradingSession | None:
        return self.sessions.get(session_id)

    async def list_by_status(self, *statuses: SessionStatus) -> list[LiveTradingSession]:
        return [s for s in self.sessions.values() if not statuses or s.status in statuses]


class FakeOrderRepository:
    """Orders and fills in memory (``IOrderRepository``), recording each save in order.

    Fills are keyed as the database keys them, by (broker, broker order, fill id), and kept
    in the order they were recorded. ``failing`` makes every write raise ``StorageError``.
    """

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: dict[tuple[str, str, str], Fill] = {}
        self.saved: list[tuple[str, OrderStatus]] = []
        self.failing: str | None = None
        self.excluded: dict[tuple[str, str], str] = {}

    def _write(self) -> None:
        if self.failing is not None:
            raise StorageError(self.failing)

    async def save(self, order: Order) -> None:
        self._write()
        self.orders[order.client_order_id] = order.copy()
        self.saved.append((order.client_order_id, order.status))

    async def record(self, order: Order, fills: Sequence[Fill]) -> tuple[FillConflict, ...]:
        self._write()
        keys = [(order.broker_id or "", order.broker_order_id or "", f.fill_id) for f in fills]
        conflicts = tuple(
            FillConflict(fill, self.fills[key])
            for key, fill in zip(keys, fills, strict=True)
            if key in self.fills and self.fills[key] != fill
        )
        if conflicts:
            return conflicts
        for key, fill in zip(keys, fills, strict=True):
            self.fills.setdefault(key, fill)
        await self.save(order)
        return ()

    async def get(self, client_order_id: str) -> Order | None:
        order = self.orders.get(client_order_id)
        return None if order is None else order.copy()

    async def list_for_session(self, session_id: str) -> list[Order]:
        return [o.copy() for o in self.orders.values() if o.session_id == session_id]

    async def list_open(
        self, session_id: str | None = None, *, broker_id: str | None = None
    ) -> list[Order]:
        return [
            o.copy()
            for o in self.orders.values()
            if not o.status.is_terminal
            and session_id in (None, o.session_id)
            and broker_id in (None, o.broker_id)
        ]

    async def list_fills(self, client_order_id: str) -> list[Fill]:
        return [f for f in self.fills.values() if f.client_order_id == client_order_id]

    async def list_session_fills(self, session_id: str) -> list[Fill]:
        ours = {cid for cid, o in self.orders.items() if o.session_id == session_id}
        return [
            f
            for f in self.fills.values()
            if f.client_order_id in ours and (f.client_order_id, f.fill_id) not in self.excluded
        ]

    async def exclude_fill(self, client_order_id: str, fill_id: str, reason: str) -> None:
        self.excluded[(client_order_id, fill_id)] = reason

    async def net_positions(self, broker_id: str) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}
        for (broker, _, _), fill in self.fills.items():
            if broker == broker_id and (fill.client_order_id, fill.fill_id) not in self.excluded:
                held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + (
                    fill.direction.sign * fill.quantity
                )
        return {symbol: quantity for symbol, quantity in held.items() if quantity != 0}


class FakeSignalRepository:
    """Signals in memory (``ISignalRepository``)."""

    def __init__(self) -> None:
        self.signals: dict[str, TradingSignal] = {}

    async def save(self, signal: TradingSignal) -> None:
        self.signals[signal.id] = signal

    async def get(self, signal_id: str) -> TradingSignal | None:
        return self.signals.get(signal_id)

    async def list_for_session(self, session_id: str) -> list[TradingSignal]:
        return [s for s in self.signals.values() if s.session_id == session_id]


class FakeBudgetRepository:
    """Daily budgets in memory (``IDailyBudgetRepository``)."""

    def __init__(self) -> None:
        self.budgets: dict[tuple[str, date], DailyBudget] = {}

    async def save(self, budget: DailyBudget) -> None:
        self.budgets[(budget.session_id, budget.trading_day)] = budget

    async def get(self, session_id: str, trading_day: date) -> DailyBudget | None:
        return self.budgets.get((session_id, trading_day))


class FakePaperRepository:
    """Paper sessions in memory (``IPaperTradingSessionRepository``)."""

    def __init__(self) -> None:
        self.sessions: dict[str, PaperTradingSession] = {}

    async def save(self, session: PaperTradingSession) -> None:
        self.sessions[session.id] = session

    async def get_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> list[PaperTradingSession]:
        return [
            s
            for s in self.sessions.values()
            if s.strategy_id == strategy_id and rules_hash in (None, s.rules_hash)
        ]

    async def get_by_live_session(self, live_session_id: str) -> PaperTradingSession | None:
        return next(
            (s for s in self.sessions.values() if s.live_session_id == live_session_id), None
        )


class FakeJournal:
    """The audit journal in memory (``IAuditJournal``)."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    async def list_entries(
        self, session_id: str | None = None, limit: int = 1_000
    ) -> list[AuditEntry]:
        chosen = [e for e in self.entries if session_id in (None, e.session_id)]
        return chosen[-limit:]

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
