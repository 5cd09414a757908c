"""The repositories and sinks a runner writes to, passed as one value."""

from __future__ import annotations

from dataclasses import dataclass

from livetrader_gui.application.ports import (
    IAuditJournal,
    IDailyBudgetRepository,
    ILiveTradingSessionRepository,
    IOrderRepository,
    ISessionObserver,
    ISignalRepository,
)


@dataclass(frozen=True, slots=True)
class RunnerServices:
    """Where a runner persists what it does and whom it tells."""

    sessions: ILiveTradingSessionRepository
    orders: IOrderRepository
    signals: ISignalRepository
    budgets: IDailyBudgetRepository
    journal: IAuditJournal
    observer: ISessionObserver
