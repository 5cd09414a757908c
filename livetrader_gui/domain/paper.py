"""Paper-trading sessions: the second kind of evidence for the go-live gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import aware, positive, text

# The capital of a paper account unless the trader sets another (and the replay's default).
DEFAULT_PAPER_CAPITAL = Decimal(10_000_000)


@dataclass(eq=False, slots=True)
class PaperTradingSession:
    """A run of a strategy version on simulated fills, and the trading days it was active on.

    ``capital`` is the simulated account's starting cash; with the session's fills it rebuilds
    the account after a restart.

    The gate counts distinct trading days with paper activity, across sessions, for the
    strategy's current ``rules_hash`` — not the number of sessions.
    """

    id: str
    strategy_id: str
    rules_hash: str
    started_at: datetime
    live_session_id: str | None = None
    capital: Decimal = DEFAULT_PAPER_CAPITAL
    ended_at: datetime | None = None
    trading_days: set[date] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.id = text(self.id, "paper session id", max_length=64)
        self.rules_hash = text(self.rules_hash, "rules hash", max_length=64)
        aware(self.started_at, "paper session start")
        self.capital = positive(self.capital, "paper capital")

    def record_activity(self, trading_day: date) -> bool:
        """Record activity on *trading_day* (an exchange session date); True if it is new."""
        if self.ended_at is not None:
            raise InvalidValueError(f"paper session {self.id} has ended")
        if trading_day in self.trading_days:
            return False
        self.trading_days.add(trading_day)
        return True

    def end(self, at: datetime) -> None:
        """Close the session."""
        if self.ended_at is not None:
            raise InvalidValueError(f"paper session {self.id} has already ended")
        if aware(at, "paper session end") < self.started_at:
            raise InvalidValueError("a paper session cannot end before it starts")
        self.ended_at = at
