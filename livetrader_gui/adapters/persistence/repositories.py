"""SQLAlchemy async implementations of the repository ports.

Each method is one transaction, committed before it returns: when ``save`` returns, the record
survives a crash. That is what lets the runner persist an order before it sends it.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, exc, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from livetrader_gui.adapters.persistence import mapping
from livetrader_gui.adapters.persistence.tables import (
    AuditRow,
    BacktestRow,
    DailyBudgetRow,
    FillRow,
    OrderRow,
    PaperDayRow,
    PaperSessionRow,
    SessionRow,
    SignalRow,
    StrategyRow,
)
from livetrader_gui.application.ports import FillConflict, StorageError
from livetrader_gui.domain import (
    AuditEntry,
    BacktestResult,
    DailyBudget,
    Fill,
    LiveTradingSession,
    Order,
    OrderStatus,
    PaperTradingSession,
    SessionStatus,
    Strategy,
    TradingSignal,
)

Sessions = async_sessionmaker[AsyncSession]
_OPEN_STATUSES = [status.value for status in OrderStatus if not status.is_terminal]
_DRIVER_ERRORS = (exc.SQLAlchemyError, sqlite3.Error, OSError)
_Repository = TypeVar("_Repository", bound=type)


def _database_name(sessions: Sessions) -> str:
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None:
        return "the database"
    return f"the database {url.database if url.get_backend_name() == 'sqlite' else url.host}"


def _storage_errors(what: str) -> Callable[[_Repository], _Repository]:
    """Turn the driver's errors of every public method into ``StorageError``s naming the
    database, the action and the driver's reason ("database is locked")."""

    def decorate(cls: _Repository) -> _Repository:
        for name, method in list(vars(cls).items()):
            if name.startswith("_") or not inspect.iscoroutinefunction(method):
                continue
            setattr(cls, name, _guard(method, f"{name.replace('_', ' ')} ({what})"))
        return cls

    return decorate


def _guard(method: Callable[..., Awaitable[Any]], action: str) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        except _DRIVER_ERRORS as error:
            raise StorageError(
                f"{_database_name(self._sessions)} could not {action}: {_reason(error)}"
            ) from error

    return guarded


def _reason(error: BaseException) -> str:
    """Return why a write or read failed, in words first, the driver's own words after."""
    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    if "disk is full" in lowered:
        # A transaction that cannot be written is rolled back whole: nothing half-written.
        return f"the disk is full ({text}): this write was not kept; all saved before is intact"
    if "database is locked" in lowered or "database is busy" in lowered:
        return f"another program holds the database's lock ({text})"
    return text


@_storage_errors("strategies")
class SqlStrategyRepository:
    """Strategies in the ``strategies`` table."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, strategy: Strategy) -> None:
        async with self._sessions.begin() as db:
            await db.merge(StrategyRow(**mapping.strategy_columns(strategy)))

    async def get(self, strategy_id: str) -> Strategy | None:
        async with self._sessions() as db:
            row = await db.get(StrategyRow, strategy_id)
            return None if row is None else _strategy(row)

    async def list_all(self) -> list[Strategy]:
        async with self._sessions() as db:
            rows = await db.scalars(select(StrategyRow).order_by(StrategyRow.name))
            return [_strategy(row) for row in rows]

    async def delete(self, strategy_id: str) -> None:
        async with self._sessions.begin() as db:
            row = await db.get(StrategyRow, strategy_id)
            if row is not None:
                await db.delete(row)


def _strategy(row: StrategyRow) -> Strategy:
    columns = {column.key: getattr(row, column.key) for column in StrategyRow.__table__.columns}
    return mapping.strategy_from(columns)


@_storage_errors("sessions")
class SqlSessionRepository:
    """Live and paper sessions in the ``live_sessions`` table."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, session: LiveTradingSession) -> None:
        async with self._sessions.begin() as db:
            await db.merge(mapping.session_row(session))

    async def get(self, session_id: str) -> LiveTradingSession | None:
        async with self._sessions() as db:
            row = await db.get(SessionRow, session_id)
            return None if row is None else mapping.session_from(row)

    async def list_by_status(self, *statuses: SessionStatus) -> list[LiveTradingSession]:
        query = select(SessionRow).order_by(SessionRow.created_at)
        if statuses:
            query = query.where(SessionRow.status.in_([s.value for s in statuses]))
        async with self._sessions() as db:
            return [mapping.session_from(row) for row in await db.scalars(query)]


@_storage_errors("orders")
class SqlOrderRepository:
    """Orders in ``orders``, their executions in ``fills``."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, order: Order) -> None:
        async with self._sessions.begin() as db:
            await db.merge(mapping.order_row(order))

    async def get(self, client_order_id: str) -> Order | None:
        async with self._sessions() as db:
            row = await db.get(OrderRow, client_order_id)
            if row is None:
                return None
            return (await self._with_fills(db, [row]))[0]

    async def list_for_session(self, session_id: str) -> list[Order]:
        query = select(OrderRow).where(OrderRow.session_id == session_id)
        return await self._load(query)

    async def list_open(
        self, session_id: str | None = None, *, broker_id: str | None = None
    ) -> list[Order]:
        query = select(OrderRow).where(OrderRow.status.in_(_OPEN_STATUSES))
        if session_id is not None:
            query = query.where(OrderRow.session_id == session_id)
        if broker_id is not None:
            query = query.where(OrderRow.broker_id == broker_id)
        return await self._load(query)

    async def _load(self, query: Select[OrderRow]) -> list[Order]:
        async with self._sessions() as db:
            rows = list(await db.scalars(query.order_by(OrderRow.created_at)))
            return await self._with_fills(db, rows)

    @staticmethod
    async def _with_fills(db: AsyncSession, rows: list[OrderRow]) -> list[Order]:
        ids = [row.client_order_id for row in rows]
        fill_ids: dict[str, set[str]] = {order_id: set() for order_id in ids}
        if ids:
            pairs = await db.execute(
                select(FillRow.client_order_id, FillRow.fill_id).where(
                    FillRow.client_order_id.in_(ids)
                )
            )
            for order_id, fill_id in pairs:
                fill_ids[order_id].add(fill_id)
        return [mapping.order_from(row, fill_ids[row.client_order_id]) for row in rows]

    async def record(self, order: Order, fills: Sequence[Fill]) -> tuple[FillConflict, ...]:
        if fills and (order.broker_id is None or order.broker_order_id is None):
            raise ValueError(
                f"order {order.client_order_id} has fills but no broker and broker order id"
            )
        async with self._sessions.begin() as db:
            new: list[Fill] = []
            conflicts: list[FillConflict] = []
            for fill in fills:
                stored = await db.scalar(
                    select(FillRow).where(
                        FillRow.broker_id == order.broker_id,
                        FillRow.broker_order_id == order.broker_order_id,
                        FillRow.fill_id == fill.fill_id,
                    )
                )
                if stored is None:
                    new.append(fill)
                elif (known := mapping.fill_from(stored)) != fill:
                    conflicts.append(FillConflict(fill, known))
            if conflicts:
                return tuple(conflicts)  # nothing added: the transaction commits no change
            # The order first: its fills refer to it (the tables know no relationship that
            # would make the session insert them in that order by itself).
            await db.merge(mapping.order_row(order))
            await db.flush()
            for fill in new:
                db.add(mapping.fill_row(fill, order.broker_id or "", order.broker_order_id or ""))
        return ()

    async def list_fills(self, client_order_id: str) -> list[Fill]:
        query = (
            select(FillRow).where(FillRow.client_order_id == client_order_id).order_by(FillRow.seq)
        )
        async with self._sessions() as db:
            return [mapping.fill_from(row) for row in await db.scalars(query)]

    async def list_session_fills(self, session_id: str) -> list[Fill]:
        query = (
            select(FillRow)
            .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
            .where(OrderRow.session_id == session_id, FillRow.excluded.is_(None))
            .order_by(FillRow.seq)
        )
        async with self._sessions() as db:
            return [mapping.fill_from(row) for row in await db.scalars(query)]

    async def exclude_fill(self, client_order_id: str, fill_id: str, reason: str) -> None:
        async with self._sessions.begin() as db:
            row = await db.scalar(
                select(FillRow).where(
                    FillRow.client_order_id == client_order_id, FillRow.fill_id == fill_id
                )
            )
            if row is None:
                raise ValueError(f"no fill {fill_id} of order {client_order_id} is stored")
            row.excluded = reason

    async def net_positions(self, broker_id: str) -> dict[str, Decimal]:
        query = select(FillRow).where(FillRow.broker_id == broker_id, FillRow.excluded.is_(None))
        held: dict[str, Decimal] = {}
        async with self._sessions() as db:
            for row in await db.scalars(query):
                fill = mapping.fill_from(row)
                held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + fill.held_change
        return {symbol: quantity for symbol, quantity in held.items() if quantity != 0}


@_storage_errors("backtests")
class SqlBacktestRepository:
    """Backtest results in ``backtest_results``."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def add(self, result: BacktestResult) -> None:
        async with self._sessions.begin() as db:
            db.add(mapping.backtest_row(result))

    async def get_latest_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> BacktestResult | None:
        query = select(BacktestRow).where(BacktestRow.strategy_id == strategy_id)
        if rules_hash is not None:
            query = query.where(BacktestRow.rules_hash == rules_hash)
        query = query.order_by(BacktestRow.created_at.desc()).limit(1)
        async with self._sessions() as db:
            row = await db.scalar(query)
            return None if row is None else mapping.backtest_from(row)


@_storage_errors("paper sessions")
class SqlPaperTradingSessionRepository:
    """Paper sessions in ``paper_sessions``, their active days in ``paper_trading_days``."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, session: PaperTradingSession) -> None:
        async with self._sessions.begin() as db:
            await db.merge(
                PaperSessionRow(
                    id=session.id,
                    strategy_id=session.strategy_id,
                    rules_hash=session.rules_hash,
                    live_session_id=session.live_session_id,
                    started_at=session.started_at,
                    ended_at=session.ended_at,
                    capital=session.capital,
                )
            )
            stored = set(
                await db.scalars(
                    select(PaperDayRow.day).where(PaperDayRow.paper_session_id == session.id)
                )
            )
            # Days are evidence: they are added, never removed.
            for day in sorted(session.trading_days - stored):
                db.add(PaperDayRow(paper_session_id=session.id, day=day))

    async def get_by_strategy(
        self, strategy_id: str, rules_hash: str | None = None
    ) -> list[PaperTradingSession]:
        query = select(PaperSessionRow).where(PaperSessionRow.strategy_id == strategy_id)
        if rules_hash is not None:
            query = query.where(PaperSessionRow.rules_hash == rules_hash)
        return await self._load(query.order_by(PaperSessionRow.started_at))

    async def get_by_live_session(self, live_session_id: str) -> PaperTradingSession | None:
        query = select(PaperSessionRow).where(PaperSessionRow.live_session_id == live_session_id)
        found = await self._load(query)
        return found[0] if found else None

    async def _load(self, query: Select[PaperSessionRow]) -> list[PaperTradingSession]:
        async with self._sessions() as db:
            rows = list(await db.scalars(query))
            days: dict[str, set[date]] = {row.id: set() for row in rows}
            if rows:
                pairs = await db.execute(
                    select(PaperDayRow.paper_session_id, PaperDayRow.day).where(
                        PaperDayRow.paper_session_id.in_(list(days))
                    )
                )
                for session_id, day in pairs:
                    days[session_id].add(day)
        return [
            PaperTradingSession(
                id=row.id,
                strategy_id=row.strategy_id,
                rules_hash=row.rules_hash,
                started_at=row.started_at,
                live_session_id=row.live_session_id,
                capital=row.capital,
                ended_at=row.ended_at,
                trading_days=days[row.id],
            )
            for row in rows
        ]


@_storage_errors("journal")
class SqlAuditJournal:
    """The append-only ``audit_journal`` table."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def append(self, entry: AuditEntry) -> None:
        async with self._sessions.begin() as db:
            db.add(mapping.audit_row(entry))

    async def latest_time_of_broker(self, broker_id: str) -> datetime | None:
        """Return the latest time any session on *broker_id* wrote in the journal (a simulated
        market's clock must not restart before it)."""
        query = select(func.max(AuditRow.at)).where(
            AuditRow.session_id.in_(select(SessionRow.id).where(SessionRow.broker_id == broker_id))
        )
        async with self._sessions() as db:
            latest: datetime | None = await db.scalar(query)
            return latest

    async def latest_of_kinds(self, *kinds: str) -> AuditEntry | None:
        """Return the newest entry of one of *kinds*, or None if there is none."""
        query = (
            select(AuditRow).where(AuditRow.kind.in_(kinds)).order_by(AuditRow.seq.desc()).limit(1)
        )
        async with self._sessions() as db:
            row = await db.scalar(query)
        return None if row is None else mapping.audit_from(row)

    async def list_entries(
        self, session_id: str | None = None, limit: int = 1_000
    ) -> list[AuditEntry]:
        query = select(AuditRow)
        if session_id is not None:
            query = query.where(AuditRow.session_id == session_id)
        query = query.order_by(AuditRow.seq.desc()).limit(limit)
        async with self._sessions() as db:
            rows = list(await db.scalars(query))
        return [mapping.audit_from(row) for row in reversed(rows)]


@_storage_errors("signals")
class SqlSignalRepository:
    """Signals in the ``signals`` table."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, signal: TradingSignal) -> None:
        async with self._sessions.begin() as db:
            await db.merge(mapping.signal_row(signal))

    async def get(self, signal_id: str) -> TradingSignal | None:
        async with self._sessions() as db:
            row = await db.get(SignalRow, signal_id)
            return None if row is None else mapping.signal_from(row)

    async def list_for_session(self, session_id: str) -> list[TradingSignal]:
        query = (
            select(SignalRow)
            .where(SignalRow.session_id == session_id)
            .order_by(SignalRow.created_at)
        )
        async with self._sessions() as db:
            return [mapping.signal_from(row) for row in await db.scalars(query)]


@_storage_errors("daily budgets")
class SqlDailyBudgetRepository:
    """Daily loss budgets in the ``daily_budgets`` table."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def save(self, budget: DailyBudget) -> None:
        async with self._sessions.begin() as db:
            await db.merge(mapping.budget_row(budget))

    async def get(self, session_id: str, trading_day: date) -> DailyBudget | None:
        async with self._sessions() as db:
            row = await db.get(DailyBudgetRow, (session_id, trading_day))
            return None if row is None else mapping.budget_from(row)
