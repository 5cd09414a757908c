"""Evaluate a program over whole columns at once (backtests, charts, a rule's full history).

Two modes give the same answer. The fast mode computes conditions as booleans and treats every bar
from the rule's lookback on as defined. That holds when the columns are finite and below 1e100 (one
dot product per column checks it) and every other value is either bounded by the analysis in
:meth:`Program.probes` or probed finite after the run. Otherwise the checked mode recomputes:
conditions are 1.0 / 0.0 / NaN floats there, NaN spreads through ``and``, ``or`` and ``not``,
indicators restart after a gap, and an undefined bar is False.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from livetrader_gui.processing import indicators as ind
from livetrader_gui.processing.indicators import BoolArray, FloatArray
from livetrader_gui.processing.program import COLUMN_LIMIT, Instruction, Program

Value = npt.NDArray[Any] | float
Step = Callable[[list[Value]], None]
_FLOAT64 = np.dtype(np.float64)
_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


class VectorProgram:
    """A program ready to run on float64 columns of equal length."""

    __slots__ = (
        "_checked",
        "_column_slots",
        "_fast",
        "_lookback",
        "_probes",
        "_program",
        "_result",
        "_template",
    )

    def __init__(self, program: Program) -> None:
        self._program = program
        self._lookback = program.lookback
        self._result = program.result
        computed = [
            (slot, instruction)
            for slot, instruction in enumerate(program.instructions)
            if instruction.op not in ("column", "number")
        ]
        self._fast = tuple(_step(slot, ins, checked=False) for slot, ins in computed)
        self._checked = tuple(_step(slot, ins, checked=True) for slot, ins in computed)
        self._column_slots = tuple(
            (slot, ins.name)
            for slot, ins in enumerate(program.instructions)
            if ins.op == "column" and ins.name in program.columns
        )
        self._probes = program.probes()
        # Every run starts from this: numbers in place, the rest NaN until computed.
        self._template: list[Value] = [
            ins.params[0] if ins.op == "number" else math.nan for ins in program.instructions
        ]

    def values(self, columns: Mapping[str, FloatArray]) -> list[FloatArray]:
        """Return the checked value of every slot (conditions as 1.0 / 0.0 / NaN)."""
        values, length = self._start(columns)
        with np.errstate(all="ignore"):  # overflow and inf - inf become NaN, which is handled
            for step in self._checked:
                step(values)
        return [np.broadcast_to(np.asarray(v, dtype=np.float64), (length,)) for v in values]

    def evaluate(self, columns: Mapping[str, FloatArray]) -> BoolArray:
        """Return the rule on every bar: True only where it is defined and true."""
        values, length = self._start(columns)
        for slot, _ in self._column_slots:
            column = values[slot]
            # The sum of squares is finite and small only when every value is finite and far
            # from overflowing: the fast mode's bounds on indicator values rest on it.
            if not column.dot(column) <= COLUMN_LIMIT:  # type: ignore[union-attr]
                return self._checked_result(columns)
        try:
            for step in self._fast:
                step(values)
        except (FloatingPointError, RuntimeWarning):  # raised only where warnings are errors
            return self._checked_result(columns)
        for slot, start in self._probes:
            probe = values[slot]
            if np.ndim(probe) == 0:
                finite = math.isfinite(probe)
            else:
                tail = probe[start:]  # type: ignore[index]
                finite = math.isfinite(tail.dot(np.zeros(tail.shape[0])))
            if not finite:
                return self._checked_result(columns)
        value = values[self._result]
        if isinstance(value, np.ndarray) and value.shape == (length,):
            # The root is the fresh output of the last step, shared with no other slot.
            result: BoolArray = value
        else:
            result = np.array(np.broadcast_to(value, (length,)), dtype=bool)
        result[: self._lookback] = False
        return result

    def evaluate_checked(self, columns: Mapping[str, FloatArray]) -> BoolArray:
        """Return the rule computed in checked mode only (for tests of the fast mode)."""
        return self._checked_result(columns)

    def _checked_result(self, columns: Mapping[str, FloatArray]) -> BoolArray:
        result: BoolArray = self.values(columns)[self._result] == 1.0
        return result

    def _start(self, columns: Mapping[str, FloatArray]) -> tuple[list[Value], int]:
        length = len(next(iter(columns.values())))
        values = self._template.copy()
        for slot, name in self._column_slots:
            column = columns[name]
            if column.dtype is not _FLOAT64:  # TA-Lib computes on float64 only
                column = column.astype(np.float64)
            values[slot] = column
        if self._column_slots[:1] != ((0, "open"),):
            # Steps read the number of bars from slot 0 (the open column), used or not.
            values[0] = values[self._column_slots[0][0]] if self._column_slots else np.empty(length)
        return values, length


def _divide(a: Value, b: Value) -> Value:
    if isinstance(b, float):
        return a / b if b != 0.0 else np.full(np.shape(a), np.nan) if np.ndim(a) else math.nan
    out = np.full(b.shape, np.nan)
    np.divide(a, b, out=out, where=b != 0.0)
    return out


def _fast_cross(up: bool) -> Callable[[Value, Value, int], BoolArray]:
    def cross(a: Value, b: Value, length: int) -> BoolArray:
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            a, b = np.broadcast_to(a, (length,)), np.broadcast_to(b, (length,))
        out = np.empty(length, dtype=bool)
        if length:
            out[0] = False
            now = out[1:]
            if up:
                np.greater(a[1:], b[1:], out=now)  # type: ignore[index]
                now &= a[:-1] <= b[:-1]  # type: ignore[index]
            else:
                np.less(a[1:], b[1:], out=now)  # type: ignore[index]
                now &= a[:-1] >= b[:-1]  # type: ignore[index]
        return out

    return cross


def _defined(*arrays: Value) -> Value:
    """Return 0.0 where every value is finite and NaN elsewhere (x - x is NaN for inf and NaN)."""
    total: Value = 0.0
    for array in arrays:
        total = total + (array - array)
    return total


def _checked_cross(up: bool) -> Callable[[Value, Value, int], FloatArray]:
    fast = _fast_cross(up)

    def cross(a: Value, b: Value, length: int) -> FloatArray:
        a, b = np.broadcast_to(a, (length,)), np.broadcast_to(b, (length,))
        before_a, before_b = (
            ind.ref(np.asarray(a, np.float64), 1),
            ind.ref(np.asarray(b, np.float64), 1),
        )
        return fast(a, b, length) + _defined(a, b, before_a, before_b)  # type: ignore[return-value]

    return cross


def _checked_compare(op: str) -> Callable[[Value, Value], Value]:
    compare = _COMPARE[op]
    return lambda a, b: compare(a, b) + _defined(a, b)


_FAST_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": _divide,
    **_COMPARE,
    "and": np.logical_and,
    "or": np.logical_or,
    "min": np.minimum,
    "max": np.maximum,
}
_CHECKED_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    **_FAST_BINARY,
    **{op: _checked_compare(op) for op in _COMPARE},
    # Three-valued logic on 1.0 / 0.0 / NaN: the product and the maximum keep NaN.
    "and": np.multiply,
    "or": np.maximum,
}
_ELEMENTWISE: dict[str, Callable[[Value], Value]] = {"neg": np.negative, "abs": np.abs}


def _step(slot: int, instruction: Instruction, *, checked: bool) -> Step:
    op, inputs, params = instruction.op, instruction.inputs, instruction.params
    binary_table = _CHECKED_BINARY if checked else _FAST_BINARY
    if op in binary_table:
        function = binary_table[op]
        left, right = inputs

        def binary(values: list[Value]) -> None:
            values[slot] = function(values[left], values[right])

        return binary
    if op in ("crossover", "crossunder"):
        cross = (_checked_cross if checked else _fast_cross)(op == "crossover")
        left, right = inputs

        def crossing(values: list[Value]) -> None:
            values[slot] = cross(values[left], values[right], len(values[0]))  # type: ignore[arg-type]

        return crossing
    if op == "atr":
        average_true_range = ind.checked_atr if checked else ind.atr
        period = int(params[0])

        def atr(values: list[Value]) -> None:
            values[slot] = average_true_range(values[1], values[2], values[3], period)  # type: ignore[arg-type]

        return atr
    (source,) = inputs
    if op == "not":
        negate: Callable[[Value], Value] = _three_valued_not if checked else np.logical_not
        return _unary(slot, source, negate)
    if op in _ELEMENTWISE:
        return _unary(slot, source, _ELEMENTWISE[op])
    series = ind.series_function(op, params)
    # ref() shifts values, undefined ones included; it has no state that a gap could poison.
    if checked and op != "ref":
        plain = series

        def series(x: FloatArray) -> FloatArray:
            return ind.by_runs(plain, x)

    def indicator(values: list[Value]) -> None:
        x = values[source]
        if not isinstance(x, np.ndarray):  # a literal, spread over the bars
            x = np.full(len(values[0]), x)  # type: ignore[arg-type]
        values[slot] = series(x)

    return indicator


def _three_valued_not(x: Value) -> Value:
    return 1.0 - x


def _unary(slot: int, source: int, function: Callable[[Value], Value]) -> Step:
    def unary(values: list[Value]) -> None:
        values[slot] = function(values[source])

    return unary
