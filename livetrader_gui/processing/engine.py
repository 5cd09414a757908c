"""The processing engine: compile formulas once, evaluate them over candles or bar by bar."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import pandas as pd

from livetrader_gui.domain.strategy import MAX_RULE_LENGTH
from livetrader_gui.processing.errors import FormulaError
from livetrader_gui.processing.formula.checker import check_rule
from livetrader_gui.processing.formula.lexer import tokenize
from livetrader_gui.processing.formula.parser import parse
from livetrader_gui.processing.formula.syntax import COLUMNS
from livetrader_gui.processing.indicators import BoolArray, FloatArray
from livetrader_gui.processing.native import STREAM
from livetrader_gui.processing.program import Program, lower
from livetrader_gui.processing.scales import IndicatorScale, indicator_scales
from livetrader_gui.processing.stream import FormulaStream
from livetrader_gui.processing.vector import VectorProgram


class CandleDataError(ValueError):
    """Candles handed to the engine lack a column or hold something that is not a number."""


class CompiledFormula:
    """A checked rule, ready to evaluate over arrays or to stream bar by bar.

    Attributes
    ----------
    source
        The text the rule was compiled from.
    lookback
        Index of the first bar on which the rule can be defined: it needs ``lookback + 1`` bars.
    recursive
        Whether an indicator of the rule depends on all earlier bars (EMA, RSI, MACD, ATR); such a
        rule needs a longer history than ``lookback`` to settle on the numbers of a long run.
    columns
        The candle columns the rule reads.
    """

    __slots__ = ("_program", "_vector", "columns", "lookback", "recursive", "source")

    def __init__(self, source: str, program: Program) -> None:
        self.source = source
        self._program = program
        self._vector = VectorProgram(program)
        self.lookback = program.lookback
        self.recursive = program.recursive
        self.columns = program.columns

    def evaluate(self, columns: Mapping[str, FloatArray]) -> BoolArray:
        """Return the rule on every bar of float64 *columns* (missing unused columns are fine)."""
        return self._vector.evaluate(columns)

    def indicators(self, columns: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
        """Return each numeric function the rule calls, by its text, for chart overlays."""
        values = self._vector.values(columns)
        return {
            instruction.label: values[slot]
            for slot, instruction in enumerate(self._program.instructions)
            if instruction.label and instruction.op not in ("crossover", "crossunder")
        }

    def indicator_scales(self) -> dict[str, IndicatorScale]:
        """Return the axis each function the rule calls is drawn on, by its text."""
        return indicator_scales(self._program)

    def stream(self, implementation: type[FormulaStream] = STREAM) -> FormulaStream:
        """Return a fresh incremental evaluator: feed it each closed bar in order.

        *implementation* is the compiled build when there is one (:mod:`.native`); the tests
        pass each implementation in turn to hold them to the same answers.
        """
        return implementation(self._program)


class ProcessingEngine:
    """Compile, validate and evaluate entry and exit rules.

    Compiled rules are cached (least recently used first out), so evaluating the same text again
    costs no parsing. The engine is safe to share between the GUI thread and backtest workers.
    """

    def __init__(self, cache_size: int = 512) -> None:
        self._cache: OrderedDict[str, CompiledFormula | tuple[FormulaError, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def validate(self, formula: str) -> tuple[FormulaError, ...]:
        """Return every problem of *formula* with its position; empty when the rule is valid."""
        result = self._lookup(formula)
        return result if isinstance(result, tuple) else ()

    def compile(self, formula: str) -> CompiledFormula:
        """Return the compiled rule or raise its first problem as a :class:`FormulaError`."""
        result = self._lookup(formula)
        if isinstance(result, CompiledFormula):
            return result
        first = result[0]
        if len(result) == 1:
            raise first
        more = len(result) - 1
        raise FormulaError(
            f"{first.message} (and {more} more problem{'s' if more > 1 else ''})", first.position
        )

    def evaluate_formula(self, formula: str, candles: pd.DataFrame) -> pd.Series:
        """Return the rule on every row of *candles* as booleans with the same index.

        A row where an indicator of the rule is still warming up, or where a value is undefined
        (a missing price, a division by zero), is False.

        Raises
        ------
        FormulaError
            The formula is not a valid rule.
        CandleDataError
            A column the rule reads is missing or not numeric.
        """
        compiled = self.compile(formula)
        result = compiled.evaluate(candle_columns(candles, compiled.columns))
        return pd.Series(result, index=candles.index, dtype=bool, name=formula)

    def _lookup(self, formula: str) -> CompiledFormula | tuple[FormulaError, ...]:
        if not isinstance(formula, str):
            return (FormulaError(f"a formula must be text, got {type(formula).__name__}"),)
        with self._lock:
            cached = self._cache.get(formula)
            if cached is not None:
                self._cache.move_to_end(formula)
                return cached
        result = _compile(formula)
        with self._lock:
            self._cache[formula] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result


def _compile(formula: str) -> CompiledFormula | tuple[FormulaError, ...]:
    if len(formula) > MAX_RULE_LENGTH:
        return (
            FormulaError(
                f"the formula is {len(formula):,} characters long; the limit is {MAX_RULE_LENGTH:,}"
            ),
        )
    tokens, problems = tokenize(formula)
    if problems:
        return tuple(problems)
    try:
        tree = parse(tokens)
    except FormulaError as error:
        return (error,)
    problems = check_rule(tree, formula)
    if problems:
        return tuple(problems)
    return CompiledFormula(formula, lower(tree, formula))


def candle_columns(
    candles: pd.DataFrame, needed: tuple[str, ...] = COLUMNS
) -> dict[str, FloatArray]:
    """Return the *needed* columns of *candles* as float64 arrays, or say which one is unusable."""
    columns: dict[str, FloatArray] = {}
    for name in needed:
        if name not in candles.columns:
            raise CandleDataError(f"the candles have no '{name}' column, which the rule reads")
        try:
            columns[name] = np.asarray(candles[name].to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            raise CandleDataError(
                f"the '{name}' column of the candles holds values that are not numbers"
            ) from None
    if not columns:
        columns["close"] = np.full(len(candles), np.nan)
    return columns
