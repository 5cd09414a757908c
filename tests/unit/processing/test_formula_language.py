"""The grammar, its precedence, and the messages a trader sees for a bad rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from livetrader_gui.processing import FormulaError, ProcessingEngine
from tests.unit.processing.candles import random_candles

ENGINE = ProcessingEngine()


def frame(**columns: list[float]) -> pd.DataFrame:
    length = len(next(iter(columns.values())))
    base = {name: [1.0] * length for name in ("open", "high", "low", "close", "volume")}
    return pd.DataFrame({**base, **columns}, index=pd.RangeIndex(10, 10 + length))


def rule(formula: str, **columns: list[float]) -> list[bool]:
    return ENGINE.evaluate_formula(formula, frame(**columns)).tolist()


def test_the_result_has_one_bool_per_row_with_the_candles_index() -> None:
    candles = frame(close=[1.0, 2.0, 3.0])
    result = ENGINE.evaluate_formula("close > 1.5", candles)
    assert result.dtype == bool
    assert result.index.equals(candles.index)
    assert result.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("close > 1 + 2 * 3", [False, False, True]),  # * before +
        ("close > (1 + 2) * 3", [False, False, False]),
        ("close - 1 - 1 > 4", [False, False, True]),  # left to right
        ("close / 2 / 2 > 1.5", [False, False, True]),
        ("-close < -5", [False, False, True]),
        ("- -close > 6", [False, False, True]),
        ("not close > 5", [True, True, False]),  # not binds looser than a comparison
        ("close > 5 or close < 2 and close > 100", [False, False, True]),  # and before or
        ("(close > 5 or close < 2) and close > 100", [False, False, False]),
        ("not close > 5 and close > 2", [False, True, False]),  # not before and
        ("close == 4 or close != 4 and close >= 7", [False, True, True]),
        ("close <= 4", [True, True, False]),
        ("CLOSE > 3 AND Close < 7 Or NOT close > 0", [False, True, False]),  # case-insensitive
    ],
)
def test_operators_follow_the_usual_precedence(formula: str, expected: list[bool]) -> None:
    assert rule(formula, close=[1.0, 4.0, 8.0]) == expected


def test_open_is_the_open_column() -> None:
    assert rule("open < close", open=[2.0, 1.0], close=[1.0, 2.0]) == [False, True]


def test_a_rule_is_false_while_any_indicator_it_uses_warms_up() -> None:
    candles = pd.DataFrame(random_candles(60, 9))
    result = ENGINE.evaluate_formula("not (rsi(close, 14) > 70)", candles)
    assert not result.iloc[:14].any()
    assert result.iloc[14:].any()
    either = ENGINE.evaluate_formula("close > 0 or sma(close, 30) > 0", candles)
    assert not either.iloc[:29].any()
    assert either.iloc[29:].all()


def test_a_division_by_zero_makes_that_bar_false_whatever_surrounds_it() -> None:
    result = rule("not (close / (high - low) > 1)", high=[2.0, 1.0, 3.0], low=[1.0, 1.0, 1.0])
    assert result == [True, False, True]


def test_missing_prices_make_bars_false_and_indicators_warm_up_again() -> None:
    close = [1.0, 2.0, 3.0, float("nan"), 4.0, 5.0, 6.0]
    assert rule("close > 0", close=close) == [True, True, True, False, True, True, True]
    assert rule("sma(close, 2) > 0", close=close) == [False, True, True, False, False, True, True]


@pytest.mark.parametrize(
    ("formula", "position", "fragment"),
    [
        ("close > smaa(close, 20)", 8, "unknown function 'smaa' at column 9 — did you mean 'sma'?"),
        ("clsoe > 1", 0, "unknown name 'clsoe' at column 1 — did you mean 'close'?"),
        ("close + 1", 0, "must be a condition"),
        (
            "close > sma(close)",
            8,
            "'sma' at column 9 takes 2 arguments (sma(x, n)) but was given 1",
        ),
        ("close > sma(close, 0)", 19, "must be a whole number from 1 to 1000, got 0"),
        ("close > sma(close, 1001)", 19, "from 1 to 1000, got 1001"),
        ("close > sma(close, 2.5)", 19, "whole number"),
        ("close > sma(close, open)", 19, "must be a whole number written out"),
        ("close > bb_upper(close, 20, 0)", 28, "must be above 0 and at most 10"),
        ("close > bb_upper(close, 20, -2)", 28, "must be above 0"),
        ("rsi(close > 1, 14) > 3", 4, "Argument 1 (x) of rsi at column 5 needs a number"),
        ("close and open", 0, "'and' at column 7 needs a condition, but 'close' is a number"),
        ("not close", 4, "'not' at column 1 needs a condition"),
        (
            "(close > 1) + 2 > 3",
            1,
            "'+' at column 13 needs a number, but 'close > 1' is a condition",
        ),
        ("close > 1 < 2", 10, "comparisons cannot be chained"),
        ("close >", 7, "ends too early at column 8"),
        ("(close > 1", 10, "expected ')' to close the '(' at column 1"),
        ("close > 1)", 9, "unexpected ')' at column 10"),
        ("close = 1", 6, "use '=='"),
        ("close > 1 && open > 1", 10, "use 'and'"),
        ("close > 1e5", 8, "malformed number '1e5'"),
        ("close > 1.2.3", 8, "malformed number"),
        ("close > 99999999999999999", 8, "too large"),
        ("open(1) > 2", 0, "'open' at column 1 is a column, not a function"),
        ("sma > 2", 0, "'sma' at column 1 is a function: call it as sma(x, n)"),
        ("close ** 2 > 1", 6, "powers are not supported"),
        ("", None, "the formula is empty"),
        ("   ", None, "the formula is empty"),
    ],
)
def test_a_bad_rule_is_refused_with_its_position_and_a_plain_message(
    formula: str, position: int | None, fragment: str
) -> None:
    with pytest.raises(FormulaError) as caught:
        ENGINE.compile(formula)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_validate_lists_every_problem_for_the_editor() -> None:
    problems = ENGINE.validate("smaa(close, 20) > 1 and sma(close, 0) > foo")
    assert [p.position for p in problems] == [0, 35, 40]
    assert "did you mean 'sma'" in problems[0].message
    assert "from 1 to 1000" in problems[1].message
    assert "unknown name 'foo'" in problems[2].message


def test_validate_lists_every_stray_character() -> None:
    problems = ENGINE.validate("close > 1 ; open $ 2")
    assert [p.position for p in problems] == [10, 17]


def test_validate_is_empty_for_a_valid_rule() -> None:
    assert ENGINE.validate("close > sma(close, 20) and rsi(close, 14) < 30") == ()


def test_the_first_problem_is_raised_with_a_count_of_the_others() -> None:
    with pytest.raises(FormulaError, match=r"\(and 2 more problems\)"):
        ENGINE.compile("smaa(close, 20) > 1 and sma(close, 0) > foo")


def test_compiling_the_same_text_twice_reuses_the_first_compilation() -> None:
    engine = ProcessingEngine()
    assert engine.compile("close > open") is engine.compile("close > open")


def test_the_cache_forgets_the_least_recently_used_formula() -> None:
    engine = ProcessingEngine(cache_size=2)
    first = engine.compile("close > 1")
    engine.compile("close > 2")
    engine.compile("close > 1")
    engine.compile("close > 3")  # pushes out "close > 2", the least recently used
    assert engine.compile("close > 1") is first
    assert len(engine._cache) == 2


def test_a_subexpression_written_twice_is_computed_once() -> None:
    compiled = ENGINE.compile("close > sma(close, 20) and sma(close, 20) > open")
    assert list(compiled.indicators(random_candles(30, 1))) == ["sma(close, 20)"]


def test_the_lookback_says_how_many_bars_a_rule_needs() -> None:
    assert ENGINE.compile("close > open").lookback == 0
    assert ENGINE.compile("close > sma(close, 20)").lookback == 19
    assert ENGINE.compile("sma(rsi(close, 14), 5) > 50").lookback == 18
    assert ENGINE.compile("crossover(close, sma(close, 20))").lookback == 20
    assert ENGINE.compile("macd(close, 12, 26, 9) > 0").lookback == 33
    assert ENGINE.compile("atr(14) > 1 and ref(close, 30) > 0").lookback == 30
    assert ENGINE.compile("ema(close, 5) > 0").recursive
    assert not ENGINE.compile("sma(close, 5) > 0").recursive


def test_candles_without_a_column_the_rule_reads_are_refused_by_name() -> None:
    candles = frame(close=[1.0]).drop(columns=["volume"])
    with pytest.raises(ValueError, match="no 'volume' column"):
        ENGINE.evaluate_formula("volume > 1", candles)
    assert ENGINE.evaluate_formula("close > 0", candles).tolist() == [True]


def test_candles_with_text_in_a_column_are_refused_by_name() -> None:
    candles = frame(close=[1.0]).astype({"close": object})
    candles.loc[10, "close"] = "n/a"
    with pytest.raises(ValueError, match="'close' column of the candles holds values"):
        ENGINE.evaluate_formula("close > 1", candles)


def test_integer_columns_and_an_empty_frame_are_fine() -> None:
    candles = frame(close=[1.0, 5.0]).astype("int64")
    assert ENGINE.evaluate_formula("close > sma(close, 1) - 1", candles).tolist() == [True, True]
    assert ENGINE.evaluate_formula("close > 1", frame(close=[1.0]).iloc[:0]).tolist() == []


def test_a_rule_of_constants_gives_a_value_on_every_bar() -> None:
    assert rule("1 < 2", close=[1.0, 2.0]) == [True, True]
    assert rule("not (1 < 2) or sma(2, 1) > 3", close=[1.0, 2.0]) == [False, False]


def test_huge_values_take_the_checked_route_and_still_answer() -> None:
    close = [1e150, 2e150, np.inf]
    assert rule("close > 1", close=close) == [True, True, False]
    assert rule("close * close * close > 1", close=[1e120, 2.0, 3.0]) == [False, True, True]
