"""Performance figures of an equity curve and its trades."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from livetrader_gui.domain.backtest import BacktestMetrics

TRADING_DAYS_PER_YEAR = 252


def daily_returns(equity: pd.Series, initial_capital: float, timezone: str) -> pd.Series:
    """Return the return of each trading day, from the last equity of the day before.

    Days are calendar dates in the exchange's *timezone*; the first day starts from the
    initial capital.
    """
    if equity.empty:
        return pd.Series(dtype=np.float64)
    index = pd.DatetimeIndex(equity.index)
    local_dates = index.tz_convert(timezone).date
    closes = equity.groupby(local_dates).last()
    previous = closes.shift(1)
    previous.iloc[0] = initial_capital
    return (closes / previous - 1.0).astype(np.float64)


@dataclass(frozen=True, slots=True)
class Figures:
    """The metrics at full precision, as fractions (0.05 is 5 %); None where undefined."""

    total_return: float
    cagr: float
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    win_rate: float
    trades: int
    exposure: float

    def rounded(self) -> BacktestMetrics:
        """Return the figures as they are stored and shown: percentages to six places, ratios
        to four."""
        return BacktestMetrics(
            total_return_pct=_decimal(self.total_return * 100),
            cagr_pct=round(Decimal(repr(self.cagr)) * 100, 6),
            sharpe_ratio=None if self.sharpe is None else _decimal(self.sharpe, 4),
            sortino_ratio=None if self.sortino is None else _decimal(self.sortino, 4),
            max_drawdown_pct=_decimal(self.max_drawdown * 100),
            win_rate_pct=_decimal(self.win_rate * 100),
            num_trades=self.trades,
            exposure_pct=_decimal(self.exposure * 100),
        )


def measure(
    equity: pd.Series,
    trade_pnls: Sequence[Decimal],
    *,
    initial_capital: float,
    timezone: str,
    risk_free_rate: float = 0.0,
    bars_in_market: int = 0,
) -> Figures:
    """Return the metrics of a backtest at full precision.

    Parameters
    ----------
    equity
        Mark-to-market equity after each bar, indexed by time (time-zone aware).
    trade_pnls
        Net profit or loss of each closed trade.
    initial_capital
        Equity before the first bar.
    timezone
        The exchange's time zone, which decides where a trading day ends.
    risk_free_rate
        Annual rate, as a fraction (0.03 for 3 %); it is spread evenly over 252 trading days.
    bars_in_market
        Bars on which at least one position was open, for the exposure.
    """
    final = float(equity.iloc[-1]) if not equity.empty else initial_capital
    returns = daily_returns(equity, initial_capital, timezone)
    excess = returns - risk_free_rate / TRADING_DAYS_PER_YEAR
    wins = sum(1 for pnl in trade_pnls if pnl > 0)
    return Figures(
        total_return=final / initial_capital - 1.0,
        cagr=_cagr(equity, initial_capital, final),
        sharpe=_ratio(excess, _deviation(excess)),
        sortino=_ratio(excess, _downside_deviation(excess)),
        max_drawdown=_max_drawdown(equity, initial_capital),
        win_rate=wins / len(trade_pnls) if trade_pnls else 0.0,
        trades=len(trade_pnls),
        exposure=bars_in_market / len(equity) if len(equity) else 0.0,
    )


def _decimal(value: float, places: int = 6) -> Decimal:
    return Decimal(repr(round(value, places)))


def _deviation(excess: pd.Series) -> float:
    return float(excess.std(ddof=1)) if len(excess) > 1 else 0.0


def _downside_deviation(excess: pd.Series) -> float:
    # Target downside deviation: the root mean square of the shortfalls below zero, over all days.
    if not len(excess):
        return 0.0
    shortfall = np.minimum(excess.to_numpy(), 0.0)
    return math.sqrt(float(np.mean(shortfall**2)))


def _ratio(excess: pd.Series, deviation: float) -> float | None:
    """Return the annualized mean excess return over *deviation*; None when it is undefined."""
    if len(excess) < 2 or not deviation > 1e-12:
        return None
    return float(excess.mean()) / deviation * math.sqrt(TRADING_DAYS_PER_YEAR)


def _max_drawdown(equity: pd.Series, initial_capital: float) -> float:
    if equity.empty:
        return 0.0
    values = np.concatenate(([initial_capital], equity.to_numpy(dtype=np.float64)))
    peaks = np.maximum.accumulate(values)
    return float(np.max((peaks - values) / peaks))


def _cagr(equity: pd.Series, initial_capital: float, final: float) -> float:
    """Return the compound annual growth rate, as a fraction, over the calendar span of the
    curve (at least a day).

    Computed in Decimal so that a short, lucky test annualizes to a large number instead of
    overflowing a float.
    """
    if equity.empty or final <= 0:
        return -1.0 if final <= 0 else 0.0
    span = equity.index[-1] - equity.index[0]
    years = Decimal(max(span.total_seconds(), 86_400)) / Decimal(365.25 * 86_400)
    growth = Decimal(repr(final)) / Decimal(repr(initial_capital))
    return float((growth.ln() / years).exp() - 1)
