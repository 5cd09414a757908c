from decimal import Decimal

import pytest

from livetrader_gui.domain import InvalidValueError, RiskConfig
from tests.builders import T0, risk_controls, strategy


def test_the_rules_hash_is_a_stable_sha256_hex_digest() -> None:
    first = strategy().rules_hash
    assert len(first) == 64
    assert first == strategy().rules_hash


def test_the_rules_hash_is_pinned_so_that_an_accidental_scheme_change_is_caught() -> None:
    # Evidence is stored under this hash: changing how it is computed silently voids it.
    assert strategy().rules_hash == PINNED_HASH


def test_renaming_or_reformatting_a_rule_keeps_the_hash() -> None:
    base = strategy()
    assert base.revised(T0, name="Renamed").rules_hash == base.rules_hash
    spaced = base.revised(T0, entry_rule="close  >  sma(close, 20)\n and rsi(close, 14) < 30")
    assert spaced.rules_hash == base.rules_hash


def test_writing_a_number_differently_keeps_the_hash() -> None:
    assert strategy(position_pct=Decimal("10.0")).rules_hash == strategy().rules_hash


@pytest.mark.parametrize(
    "change",
    [
        {"entry_rule": "close > sma(close, 50)"},
        {"exit_rule": "rsi(close, 14) > 75"},
        {"position_pct": Decimal(11)},
        {"exchange": "XNYS"},
        {"risk_config": RiskConfig(risk_controls(max_positions=4))},
        {"risk_config": RiskConfig(risk_controls(stop_loss_pct=None))},
        {"risk_config": RiskConfig(risk_controls(), require_paper_trading_days=3)},
    ],
)
def test_changing_a_rule_sizing_or_risk_setting_changes_the_hash(change: dict[str, object]) -> None:
    assert strategy(**change).rules_hash != strategy().rules_hash


def test_a_strategy_needs_symbols_without_repeats() -> None:
    with pytest.raises(InvalidValueError, match="at least one symbol"):
        strategy(symbols=())
    with pytest.raises(InvalidValueError, match="lists a symbol twice"):
        strategy(symbols=("005930", "005930"))


def test_an_empty_rule_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="exit rule must not be empty"):
        strategy(exit_rule="  ")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_positions", 0, "max positions must be between 1 and 1000"),
        ("max_position_size_pct", Decimal(-1), "max position size must be above 0 %"),
        ("max_daily_loss_pct", Decimal(150), "max daily loss must be above 0 % and at most 100 %"),
        ("stop_loss_pct", Decimal(100), "stop-loss must be below 100 %"),
        ("stop_loss_pct", Decimal(-3), "stop-loss must be above 0 %"),
        ("take_profit_pct", Decimal(0), "take-profit must be above 0 %"),
    ],
)
def test_invalid_risk_controls_are_refused_with_a_clear_message(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        risk_controls(**{field: value})


def test_risk_config_checks_its_requirements() -> None:
    with pytest.raises(InvalidValueError, match="required paper-trading days"):
        RiskConfig(risk_controls(), require_paper_trading_days=-1)
    with pytest.raises(InvalidValueError, match="required backtest Sharpe ratio"):
        RiskConfig(risk_controls(), require_backtest_sharpe=Decimal("NaN"))


PINNED_HASH = "c7c837cb7241fba8fa82398f561bfdab3729717d08ac58005e7f7ed12cacea36"
