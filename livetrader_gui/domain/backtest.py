"""Backtest results: the evidence the go-live gate reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import (
    aware,
    bounded_int,
    non_negative,
    positive,
    symbol_code,
    text,
    to_decimal,
)


def _optional(value: Decimal | None, field: str) -> Decimal | None:
    return None if value is None else to_decimal(value, field)


@dataclass(frozen=True, slots=True)
class BacktestMetrics:
    """Performance figures of one backtest; percentages are in percent.

    ``sharpe_ratio`` and ``sortino_ratio`` are annualized from daily returns and are ``None``
    when undefined (no variance, or no losing day for Sortino).
    """

    total_return_pct: Decimal
    cagr_pct: Decimal
    sharpe_ratio: Decimal | None
    sortino_ratio: Decimal | None
    max_drawdown_pct: Decimal
    win_rate_pct: Decimal
    num_trades: int
    exposure_pct: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "total_return_pct", to_decimal(self.total_return_pct, "total return")
        )
        object.__setattr__(self, "cagr_pct", to_decimal(self.cagr_pct, "CAGR"))
        object.__setattr__(self, "sharpe_ratio", _optional(self.sharpe_ratio, "Sharpe ratio"))
        object.__setattr__(self, "sortino_ratio", _optional(self.sortino_ratio, "Sortino ratio"))
        drawdown = non_negative(self.max_drawdown_pct, "max drawdown")
        win_rate = non_negative(self.win_rate_pct, "win rate")
        exposure = non_negative(self.exposure_pct, "exposure")
        for label, value in (
            ("max drawdown", drawdown),
            ("win rate", win_rate),
            ("exposure", exposure),
        ):
            if value > 100:
                raise InvalidValueError(f"{label} must be at most 100 %, got {value} %")
        object.__setattr__(self, "max_drawdown_pct", drawdown)
        object.__setattr__(self, "win_rate_pct", win_rate)
        object.__setattr__(self, "exposure_pct", exposure)
        bounded_int(self.num_trades, "number of trades", 0, 10_000_000)


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """A backtest of one strategy version (``rules_hash``) over ``start``..``end``."""

    id: str
    strategy_id: str
    rules_hash: str
    symbols: tuple[str, ...]
    start: datetime
    end: datetime
    initial_capital: Decimal
    final_equity: Decimal
    metrics: BacktestMetrics
    created_at: datetime
    # The equity at the end of each trading day, oldest first: the curve a trader sees again.
    curve: tuple[tuple[datetime, Decimal], ...] = ()
    # What the backtest charged (None: not recorded, before results kept it).
    costs: TradingCosts | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", text(self.id, "backtest id", max_length=64))
        object.__setattr__(self, "rules_hash", text(self.rules_hash, "rules hash", max_length=64))
        object.__setattr__(self, "symbols", tuple(symbol_code(s) for s in self.symbols))
        if not self.symbols:
            raise InvalidValueError("a backtest covers at least one symbol")
        if aware(self.end, "backtest end") <= aware(self.start, "backtest start"):
            raise InvalidValueError("a backtest must end after it starts")
        object.__setattr__(
            self, "initial_capital", positive(self.initial_capital, "initial capital")
        )
        object.__setattr__(self, "final_equity", non_negative(self.final_equity, "final equity"))
        aware(self.created_at, "backtest time")
        object.__setattr__(
            self,
            "curve",
            tuple(
                (aware(at, "backtest curve time"), non_negative(value, "backtest curve equity"))
                for at, value in self.curve
            ),
        )
