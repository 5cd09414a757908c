"""In-memory implementations of the repository ports, for runs that keep nothing: replays.

A replay is a simulation whose record is the journal it writes out at the end; keeping its
orders, signals and budgets in memory instead of a database makes it fast and deterministic
(every write finishes before the next step, in order). Fills are keyed and sequenced as the
database keys them. The stores are public: the tests' fakes build on these classes and look
into them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from livetrader_gui.application.ports import FillConflict
from livetrader_gui.domain import (
    AuditEntry,
    BacktestResult,
    DailyBudget,
    Fill,
    LiveTradingSession,
    Order,
    PaperTradingSession,
    SessionStatus,
    TradingSignal,
)


class MemorySessionRepository:
    """Sessions in memory (``ILiveTradingSessionRepository``)."""

    def __init__(self) -> None:
        self.sessions: dict[str, LiveTradingSession] = {}

    async def save(self, session: LiveTradingSession) -> None:
        self.sessions[session.id] = session

    async def get(self, session_id: str) -> LiveTradingSession | None:
        return self.sessions.get(session_id)

    async def list_by_status(self, *statuses: SessionStatus) -> list[LiveTradingSession]:
        return [s for s in self.sessions.values() if not statuses or s.status in statuses]


class MemoryOrderRepository:
    """Orders and fills in memory (``IOrderRepository``)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: dict[tuple[str, str, str], Fill] = {}  # insertion order is the sequence
        self.excluded: dict[tuple[str, str], str] = {}  # (client order id, fill id): why

    async def save(self, order: Order) -> None:
        self.orders[order.client_order_id] = order.copy()

    async def record(self, order: Order, fills: Sequence[Fill]) -> tuple[FillConflict, ...]:
        broker, broker_order = order.broker_id or "", order.broker_order_id or ""
        keys = [(broker, broker_order, fill.fill_id) for fill in fills]
        conflicts = tuple(
            FillConflict(fill, self.fills[key])
            for key, fill in zip(keys, fills, strict=True)
            if key in self.fills and self.fills[key] != fill
        )
        if not conflicts:
            await self.save(order)
            for key, fill in zip(keys, fills, strict=True):
                self.fills.setdefault(key, fill)
        return conflicts

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
                held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + fill.held_change
        return {symbol: quantity for symbol, quantity in held.items() if quantity != 0}


class MemorySignalRepository:
    """Signals in memory (``ISignalRepository``)."""

    def __init__(self) -> None:
        self.signals: dict[str, TradingSignal] = {}

    async def save(self, signal: TradingSignal) -> None:
        self.signals[signal.id] = signal

    async def get(self, signal_id: str) -> TradingSignal | None:
        return self.signals.get(signal_id)

    async def list_for_session(self, session_id: str) -> list[TradingSignal]:
        return [s for s in self.signals.values() if s.session_id == session_id]


class MemoryBudgetRepository:
    """Daily budgets in memory (``IDailyBudgetRepository``)."""

    def __init__(self) -> None:
        self.budgets: dict[tuple[str, date], DailyBudget] = {}

    async def save(self, budget: DailyBudget) -> None:
        self.budgets[(budget.session_id, budget.trading_day)] = budget

    async def get(self, session_id: str, trading_day: date) -> DailyBudget | None:
        return self.budgets.get((session_id, trading_day))


class MemoryJournal:
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


class MemoryBacktestRepository:
    """Backtest results in memory (``IBacktestRepository``)."""

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


class MemoryPaperRepository:
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
