"""Hostile text is refused quickly with a FormulaError and has no other effect."""

from __future__ import annotations

import builtins

import pytest

from livetrader_gui.processing import FormulaError, ProcessingEngine

HOSTILE = [
    "__import__('os').system('echo owned')",
    "close.__class__.__mro__",
    "open.__globals__",
    "(lambda: 1)() > 0",
    "lambda x: x",
    "[x for x in range(10**9)] > 0",
    "{c: 1 for c in 'ab'}",
    "close ** 99999999 > 1",
    "9 ** 9 ** 9 ** 9 > 1",
    "close > 1e999999",
    "close > " + "9" * 5000,
    "eval('1') > 0",
    "exec('x = 1')",
    "print(close)",
    "getattr(close, 'real') > 0",
    "close if True else open",
    "close; import os",
    "\x00close > 1",
    "close > 1 # comment",
    "'close' > 1",
    "close @ open",
    "not " * 10_000 + "close > 1",
    "(" * 10_000 + "close > 1" + ")" * 10_000,
    "-" * 10_000 + "close > 1",
    "sma(" * 10_000 + "close" + ", 2)" * 10_000 + " > 1",
    " + ".join(["close"] * 1_000) + " > 1",
    "close > 1 and " * 100_000 + "close > 1",
    "x" * 1_000_000,
    "close > " + "1" * 1_000_000,
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:40]))
def test_hostile_text_raises_a_formula_error_and_nothing_else(text: str) -> None:
    engine = ProcessingEngine()
    with pytest.raises(FormulaError) as caught:
        engine.compile(text)
    assert caught.value.message
    assert engine.validate(text)


def test_the_formula_text_never_reaches_eval_exec_or_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the formula text reached a Python evaluator")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    engine = ProcessingEngine()
    engine.compile("close > sma(close, 20) and rsi(close, 14) < 30")
    with pytest.raises(FormulaError):
        engine.compile("__import__('os') > 1")


def test_a_megabyte_formula_is_refused_for_its_length_without_being_read() -> None:
    problems = ProcessingEngine().validate("close > 1 or " * 100_000)
    assert len(problems) == 1
    assert problems[0].position is None
    assert "1,300,000 characters long; the limit is 4,000" in problems[0].message


@pytest.mark.parametrize(
    "text",
    ["(" * 1_500 + "close > 1" + ")" * 1_500, "not " * 900 + "close > 1", "-" * 3_000 + "1 > 0"],
)
def test_deep_nesting_within_the_length_limit_is_refused_by_name(text: str) -> None:
    with pytest.raises(FormulaError, match="too deeply nested"):
        ProcessingEngine().compile(text)


def test_text_that_is_not_a_string_is_a_formula_error() -> None:
    with pytest.raises(FormulaError, match="must be text, got int"):
        ProcessingEngine().compile(42)  # type: ignore[arg-type]
