"""The backtest's figures equal an independent computation of the same formulas, to 1e-9.

The reference below is written from the definitions (``docs/backtest.md``) with plain Python,
``statistics`` and ``math`` — no pandas, no numpy — so that a mistake in grouping days,
annualizing or the drawdown's starting point shows as a difference.
"""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrader_gui.processing.metrics import TRADING_DAYS_PER_YEAR, Figures, measure

SEOUL = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Seoul


def reference(
    times: list[datetime],
    values: list[float],
    pnls: list[Decimal],
    capital: float,
    risk_free: float,
    in_market: int,
) -> Figures:
    closes: dict[object, float] = {}
    for moment, value in zip(times, values, strict=True):
        closes[moment.astimezone(SEOUL).date()] = value  # the day's last value wins
    previous, returns = capital, []
    for close in closes.values():
        returns.append(close / previous - 1.0)
        previous = close
    excess = [r - risk_free / TRADING_DAYS_PER_YEAR for r in returns]
    mean = math.fsum(excess) / len(excess)
    deviation = statistics.stdev(excess) if len(excess) > 1 else 0.0
    downside = math.sqrt(math.fsum(min(x, 0.0) ** 2 for x in excess) / len(excess))
    root = math.sqrt(TRADING_DAYS_PER_YEAR)

    def ratio(spread: float) -> float | None:
        return mean / spread * root if len(excess) > 1 and spread > 1e-12 else None

    peak, drawdown = capital, 0.0
    for value in [capital, *values]:
        peak = max(peak, value)
        drawdown = max(drawdown, (peak - value) / peak)
    years = max((times[-1] - times[0]).total_seconds(), 86_400) / (365.25 * 86_400)
    final = values[-1]
    return Figures(
        total_return=final / capital - 1.0,
        cagr=(final / capital) ** (1.0 / years) - 1.0,
        sharpe=ratio(deviation),
        sortino=ratio(downside),
        max_drawdown=drawdown,
        win_rate=sum(1 for p in pnls if p > 0) / len(pnls) if pnls else 0.0,
        trades=len(pnls),
        exposure=in_market / len(values),
    )


@st.composite
def curves(draw: st.DrawFn) -> tuple[list[datetime], list[float]]:
    """Equity after each minute of several sessions (six and a half hours a day, gaps at night
    and at weekends), moving by up to 2 % a minute."""
    days = draw(st.integers(1, 12))
    minutes = draw(st.integers(1, 40))
    steps = draw(
        st.lists(
            st.floats(-0.02, 0.02, allow_nan=False),
            min_size=days * minutes,
            max_size=days * minutes,
        )
    )
    times, values, value = [], [], 10_000_000.0
    for day in range(days):
        opens = START + timedelta(days=day + 2 * (day // 5))  # skip weekends
        for minute in range(minutes):
            value *= 1.0 + steps[day * minutes + minute]
            times.append(opens + timedelta(minutes=minute * (390 // minutes)))
            values.append(value)
    return times, values


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    curve=curves(),
    pnls=st.lists(st.decimals(-100_000, 100_000, places=0), max_size=30),
    risk_free=st.sampled_from([0.0, 0.03]),
    in_market=st.integers(0, 10),
)
def test_every_figure_equals_the_independent_computation(
    curve: tuple[list[datetime], list[float]],
    pnls: list[Decimal],
    risk_free: float,
    in_market: int,
) -> None:
    times, values = curve
    in_market = min(in_market, len(values))
    equity = pd.Series(values, index=pd.DatetimeIndex(times))

    figures = measure(
        equity,
        pnls,
        initial_capital=10_000_000.0,
        timezone="Asia/Seoul",
        risk_free_rate=risk_free,
        bars_in_market=in_market,
    )

    expected = reference(times, values, pnls, 10_000_000.0, risk_free, in_market)
    for name in Figures.__slots__:
        assert _close(getattr(figures, name), getattr(expected, name)), name


def test_a_known_curve_gives_the_figures_worked_out_by_hand() -> None:
    # Three days: +1 %, −2 %, +3 % (closing at 10,100,000, 9,898,000 and 10,194,940).
    times = [START + timedelta(days=d, hours=6) for d in range(3)]
    equity = pd.Series([10_100_000.0, 9_898_000.0, 10_194_940.0], index=pd.DatetimeIndex(times))

    figures = measure(
        equity, [Decimal(5), Decimal(-3)], initial_capital=10_000_000.0, timezone="Asia/Seoul"
    )

    mean, deviation = 0.02 / 3, statistics.stdev([0.01, -0.02, 0.03])
    assert figures.total_return == pytest.approx(0.019494, abs=1e-12)
    assert figures.sharpe == pytest.approx(mean / deviation * math.sqrt(252), rel=1e-12)
    assert figures.sortino == pytest.approx(mean / math.sqrt(0.0004 / 3) * math.sqrt(252))
    assert figures.max_drawdown == pytest.approx(0.02, abs=1e-12)
    assert (figures.win_rate, figures.trades) == (0.5, 2)
