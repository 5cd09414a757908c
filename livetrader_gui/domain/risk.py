"""Risk status: where a session stands against its limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from livetrader_gui.domain.session import TradingState
from livetrader_gui.domain.values import aware, bounded_int, non_negative, to_decimal


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """A frozen picture of a session's risk, as the risk gauge shows it.

    ``daily_loss_limit`` is the (negative) P&L at which the session goes REDUCING, measured
    against ``start_of_day_equity``; ``daily_pnl`` counts realized and unrealized P&L.
    """

    session_id: str
    at: datetime
    trading_state: TradingState
    current_positions: int
    max_positions: int
    daily_pnl: Decimal
    daily_loss_limit: Decimal
    start_of_day_equity: Decimal
    exposure_pct: Decimal
    is_within_trading_hours: bool
    is_daily_limit_reached: bool

    def __post_init__(self) -> None:
        aware(self.at, "risk status time")
        bounded_int(self.current_positions, "current positions", 0, 1_000_000)
        bounded_int(self.max_positions, "max positions", 1, 1_000_000)
        object.__setattr__(self, "daily_pnl", to_decimal(self.daily_pnl, "daily P&L"))
        limit = to_decimal(self.daily_loss_limit, "daily loss limit")
        object.__setattr__(self, "daily_loss_limit", -abs(limit))
        object.__setattr__(
            self,
            "start_of_day_equity",
            non_negative(self.start_of_day_equity, "start-of-day equity"),
        )
        object.__setattr__(self, "exposure_pct", non_negative(self.exposure_pct, "exposure"))

    @property
    def loss_used_pct(self) -> Decimal:
        """Return how much of the daily loss budget is used, 0 to 100 (0 while in profit)."""
        if self.daily_loss_limit == 0 or self.daily_pnl >= 0:
            return Decimal(0)
        return min(Decimal(100), self.daily_pnl / self.daily_loss_limit * 100)


@dataclass(frozen=True, slots=True)
class DailyBudget:
    """A session's loss budget for one trading day, persisted so a restart does not reset it.

    The day's P&L is what the session realized since the start of the day plus the change of its
    unrealized P&L since then: ``realized_now - realized_at_start + unrealized_now -
    unrealized_at_start``.
    """

    session_id: str
    trading_day: date
    start_of_day_equity: Decimal
    realized_at_start: Decimal
    unrealized_at_start: Decimal
    limit_reached_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "start_of_day_equity", to_decimal(self.start_of_day_equity, "start-of-day equity")
        )
        object.__setattr__(
            self, "realized_at_start", to_decimal(self.realized_at_start, "realized P&L at start")
        )
        object.__setattr__(
            self,
            "unrealized_at_start",
            to_decimal(self.unrealized_at_start, "unrealized P&L at start"),
        )
        if self.limit_reached_at is not None:
            aware(self.limit_reached_at, "daily limit time")

    def daily_pnl(self, realized_now: Decimal, unrealized_now: Decimal) -> Decimal:
        """Return the P&L of the day so far, realized plus unrealized."""
        return realized_now - self.realized_at_start + unrealized_now - self.unrealized_at_start
