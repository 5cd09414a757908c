"""Risk status, backtest results, paper sessions and journal entries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    AuditEntry,
    BacktestMetrics,
    BacktestResult,
    InvalidValueError,
    PaperTradingSession,
    RiskStatus,
    TradingState,
)
from tests.builders import T0


def risk(**overrides: object) -> RiskStatus:
    values: dict[str, object] = {
        "session_id": "s",
        "at": T0,
        "trading_state": TradingState.ACTIVE,
        "current_positions": 1,
        "max_positions": 3,
        "daily_pnl": Decimal(-100_000),
        "daily_loss_limit": Decimal(200_000),
        "start_of_day_equity": Decimal(10_000_000),
        "exposure_pct": Decimal(7),
        "is_within_trading_hours": True,
        "is_daily_limit_reached": False,
    }
    values.update(overrides)
    return RiskStatus(**values)  # type: ignore[arg-type]


def test_the_daily_loss_limit_is_stored_as_a_negative_amount() -> None:
    assert risk().daily_loss_limit == -200_000


def test_loss_used_is_the_share_of_the_loss_budget_spent() -> None:
    assert risk().loss_used_pct == 50
    assert risk(daily_pnl=Decimal(5)).loss_used_pct == 0
    assert risk(daily_pnl=Decimal(-900_000)).loss_used_pct == 100
    assert risk(daily_loss_limit=Decimal(0)).loss_used_pct == 0


def metrics(**overrides: object) -> BacktestMetrics:
    values: dict[str, object] = {
        "total_return_pct": Decimal("12.5"),
        "cagr_pct": Decimal("8.1"),
        "sharpe_ratio": Decimal("1.34"),
        "sortino_ratio": None,
        "max_drawdown_pct": Decimal("6.2"),
        "win_rate_pct": Decimal(55),
        "num_trades": 42,
        "exposure_pct": Decimal(30),
    }
    values.update(overrides)
    return BacktestMetrics(**values)  # type: ignore[arg-type]


def test_backtest_metrics_refuse_percentages_above_100() -> None:
    assert metrics().sortino_ratio is None
    with pytest.raises(InvalidValueError, match="win rate must be at most 100 %"):
        metrics(win_rate_pct=Decimal(101))
    with pytest.raises(InvalidValueError, match="Sharpe ratio must be a finite number"):
        metrics(sharpe_ratio=Decimal("NaN"))


def test_a_backtest_must_end_after_it_starts_and_cover_a_symbol() -> None:
    def result(**overrides: object) -> BacktestResult:
        values: dict[str, object] = {
            "id": "b",
            "strategy_id": "s",
            "rules_hash": "h",
            "symbols": ("005930",),
            "start": T0,
            "end": T0 + timedelta(days=30),
            "initial_capital": Decimal(10_000_000),
            "final_equity": Decimal(11_250_000),
            "metrics": metrics(),
            "created_at": T0,
        }
        values.update(overrides)
        return BacktestResult(**values)  # type: ignore[arg-type]

    assert result().final_equity == 11_250_000
    with pytest.raises(InvalidValueError, match="end after it starts"):
        result(end=T0)
    with pytest.raises(InvalidValueError, match="at least one symbol"):
        result(symbols=())


def test_paper_days_are_distinct_trading_days() -> None:
    paper = PaperTradingSession("p", "s", "h", T0)
    assert paper.record_activity(date(2026, 11, 24)) is True
    assert paper.record_activity(date(2026, 11, 24)) is False
    assert paper.record_activity(date(2026, 11, 25)) is True
    assert paper.trading_days == {date(2026, 11, 24), date(2026, 11, 25)}


def test_an_ended_paper_session_records_nothing_more_and_cannot_end_twice() -> None:
    paper = PaperTradingSession("p", "s", "h", T0)
    with pytest.raises(InvalidValueError, match="cannot end before it starts"):
        paper.end(T0 - timedelta(seconds=1))
    paper.end(T0 + timedelta(hours=6))
    with pytest.raises(InvalidValueError, match="has ended"):
        paper.record_activity(date(2026, 11, 26))
    with pytest.raises(InvalidValueError, match="already ended"):
        paper.end(T0 + timedelta(hours=7))


def test_journal_entries_get_an_id_and_immutable_data() -> None:
    entry = AuditEntry(
        "risk_decision", "entry refused: max positions", T0, data={"code": "MAX_POSITIONS"}
    )
    assert len(entry.id) == 32
    with pytest.raises(TypeError):
        entry.data["code"] = "x"  # type: ignore[index]
