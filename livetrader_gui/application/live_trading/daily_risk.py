"""A session's daily loss budget: opened at each trading day, persisted, and watched every tick."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.ports import IDailyBudgetRepository, ITradingCalendar
from livetrader_gui.domain import DailyBudget, LiveTradingSession, RiskStatus, TradingState
from livetrader_gui.domain.risk_rules import (
    daily_loss_limit,
    is_daily_limit_reached,
    next_trading_state,
)

MoveState = Callable[[TradingState, str], Awaitable[None]]


class DailyRisk:
    """Tracks the day's P&L of one session against its loss limit.

    The budget of a trading day is stored when the day is first seen, so a restart finds it
    again; reaching the limit is stored too. *move_state* applies a trading-state change (the
    runner persists and announces it).
    """

    def __init__(
        self,
        session: LiveTradingSession,
        book: SessionBook,
        budgets: IDailyBudgetRepository,
        calendar: ITradingCalendar,
        move_state: MoveState,
    ) -> None:
        self._session = session
        self._book = book
        self._budgets = budgets
        self._calendar = calendar
        self._move_state = move_state
        self.budget: DailyBudget | None = None

    @property
    def start_of_day_equity(self) -> Decimal:
        """Return the equity the day's limit is measured against (0 before the first tick)."""
        return self.budget.start_of_day_equity if self.budget is not None else Decimal(0)

    def daily_pnl(self) -> Decimal:
        """Return the day's realized plus unrealized P&L so far."""
        return self.pnl_of(self._book.realized_pnl, self._book.unrealized_pnl)

    def pnl_of(self, realized: Decimal, unrealized: Decimal) -> Decimal:
        """Return the day's P&L for a book that has realized and holds *unrealized*."""
        if self.budget is None:
            return Decimal(0)
        return self.budget.daily_pnl(realized, unrealized)

    async def roll(self, now: datetime, equity: Decimal) -> None:
        """Open (or reload) the budget of the trading day *now* belongs to."""
        day = self._calendar.session_date(now)
        if self.budget is not None and self.budget.trading_day == day:
            return
        budget = await self._budgets.get(self._session.id, day)
        if budget is None:
            budget = DailyBudget(
                self._session.id,
                day,
                equity,
                self._book.realized_pnl,
                self._book.unrealized_pnl,
            )
            await self._budgets.save(budget)
        self.budget = budget
        target = next_trading_state(
            self._session.trading_state,
            limit_reached=budget.limit_reached_at is not None,
            new_trading_day=True,
        )
        await self._move_state(target, f"trading day {day.isoformat()}")

    async def check(self, now: datetime) -> None:
        """Turn the session to exits only once the day's loss reaches the limit."""
        budget = self.budget
        if budget is None or budget.limit_reached_at is not None:
            return
        controls = self._session.risk_controls
        pnl = self.daily_pnl()
        if not is_daily_limit_reached(pnl, budget.start_of_day_equity, controls.max_daily_loss_pct):
            return
        reached = replace(budget, limit_reached_at=now)
        await self._budgets.save(reached)  # if this fails, the next tick checks again
        self.budget = budget = reached
        limit = daily_loss_limit(budget.start_of_day_equity, controls.max_daily_loss_pct)
        target = next_trading_state(
            self._session.trading_state, limit_reached=True, new_trading_day=False
        )
        await self._move_state(
            target, f"daily loss limit reached: P&L {pnl:.0f} ≤ -{limit:.0f}; exits only"
        )

    def status(self, now: datetime, equity: Decimal) -> RiskStatus:
        """Return where the session stands against its limits, for the risk gauge."""
        controls = self._session.risk_controls
        start = max(self.start_of_day_equity, Decimal(0))
        exposure = self._book.market_value / equity * 100 if equity > 0 else Decimal(0)
        return RiskStatus(
            session_id=self._session.id,
            at=now,
            trading_state=self._session.trading_state,
            current_positions=sum(1 for p in self._book.positions.values() if not p.is_flat),
            max_positions=controls.max_positions,
            daily_pnl=self.daily_pnl(),
            daily_loss_limit=daily_loss_limit(start, controls.max_daily_loss_pct),
            start_of_day_equity=start,
            exposure_pct=max(exposure, Decimal(0)),
            is_within_trading_hours=self._calendar.is_open(now),
            is_daily_limit_reached=(
                self.budget is not None and self.budget.limit_reached_at is not None
            ),
        )
