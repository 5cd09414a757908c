"""Evaluate a program one bar at a time: the per-tick path of a live session.

A new candle costs a few microseconds whatever the history: every indicator keeps its running
state, so nothing is recomputed. A stream fed a whole history yields, bar by bar, what the array
evaluation yields for that history (the tests hold the two together). Conditions are 1.0, 0.0 or
NaN (undefined), combined as the checked array mode combines them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from livetrader_gui.processing.formula.syntax import COLUMNS
from livetrader_gui.processing.program import Instruction, Program

# Relative, so that the compiled build of this module (packaging/native.py) runs the compiled
# build of its indicators, and the pure module the pure ones.
from . import stream_indicators as si

NAN = math.nan
Step = Callable[[list[float]], None]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class FormulaStream:
    """The running state of one rule for one symbol.

    Every numeric step (columns' arithmetic, indicators, crossings) runs on every bar, because
    indicators carry state. Conditions then take one of two routes. While the rule warms up, or
    after a bar with a value that is not finite, they run as 1.0 / 0.0 / NaN steps like the checked
    array mode. Once every indicator is defined and the bars are clean, and when the program can
    prove its values finite (see :meth:`Program.probes`), they run as plain booleans that stop at
    the first false ``and`` operand: the common case costs the least.

    Attributes
    ----------
    update
        ``update(open, high, low, close, volume) -> bool``: feed the next closed bar and return
        whether the rule holds on it. A closure rather than a method, because it runs for every
        symbol on every bar and closure variables are cheaper to reach than attributes.
    """

    __slots__ = ("_labels", "_values", "update")

    def __init__(self, program: Program) -> None:
        self._values: list[float] = [NAN] * len(program.instructions)
        numeric: list[Step] = []
        conditions: list[Step] = []
        for slot, instruction in enumerate(program.instructions):
            if instruction.op == "number":
                self._values[slot] = instruction.params[0]
            elif instruction.op in _CONDITIONS:
                conditions.append(_step(slot, instruction))
            elif instruction.op != "column":
                numeric.append(_step(slot, instruction))
        fast = None if program.probes() else _fast(program, program.result)
        guard = _guard(tuple(COLUMNS.index(name) for name in program.columns))
        self.update: Update = _update(
            self._values, tuple(numeric), tuple(conditions), fast, guard, program
        )
        self._labels = {
            ins.label: slot
            for slot, ins in enumerate(program.instructions)
            if ins.label and ins.op not in ("crossover", "crossunder")
        }

    def indicator_values(self) -> dict[str, float]:
        """Return each function the rule calls, by its text, on the last bar (NaN if undefined)."""
        return {label: self._values[slot] for label, slot in self._labels.items()}


Update = Callable[[float, float, float, float, float], bool]


def _update(
    values: list[float],
    numeric: tuple[Step, ...],
    conditions: tuple[Step, ...],
    fast: Condition | None,
    guard: Callable[[list[float]], bool],
    program: Program,
) -> Update:
    result = program.result
    restart = program.lookback + 1
    warm = restart  # clean bars still needed before the fast route may run
    run = _sequence(numeric)

    def conditions_route(values: list[float]) -> bool:
        nonlocal warm
        if fast is not None:
            if guard(values):
                if warm <= 1:
                    warm = 0
                    return fast(values)
                warm -= 1
            else:
                warm = restart
        for step in conditions:
            step(values)
        return values[result] == 1.0

    def update(open_: float, high: float, low: float, close: float, volume: float) -> bool:
        values[0] = open_
        values[1] = high
        values[2] = low
        values[3] = close
        values[4] = volume
        run(values)
        # Warm and clean, the common case: nothing else on its way.
        if not warm and guard(values):
            return fast(values)  # type: ignore[misc]  # warm reaches 0 only with a fast route
        return conditions_route(values)

    return update


def _sequence(steps: tuple[Step, ...]) -> Step:
    """Return one step that runs *steps* in order; a loop costs more than calls for 1 to 3."""
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps

        def two(values: list[float]) -> None:
            first(values)
            second(values)

        return two
    if len(steps) == 3:
        first, second, third = steps

        def three(values: list[float]) -> None:
            first(values)
            second(values)
            third(values)

        return three

    def many(values: list[float]) -> None:
        for step in steps:
            step(values)

    return many


# The array mode's column check bounds values by 1e100; a bar inside it keeps the proof valid.
_LIMIT = 1e100
_CONDITIONS = frozenset({*_COMPARE, "and", "or", "not"})


def _guard(slots: tuple[int, ...]) -> Callable[[list[float]], bool]:
    """Return a check that the bar's columns the rule reads are finite and below 1e100.

    The comparisons are false for NaN as well. Bound to locals: this runs on every bar.
    """
    high, low = _LIMIT, -_LIMIT
    if len(slots) == 1:
        (only,) = slots
        return lambda values: low < values[only] < high
    if len(slots) == 2:
        first, second = slots
        return lambda values: low < values[first] < high and low < values[second] < high
    return lambda values: all(low < values[slot] < high for slot in slots)


Condition = Callable[[list[float]], bool]


def _fast(program: Program, slot: int) -> Condition:
    """Return the condition in *slot* as a boolean function of finite slot values."""
    instruction = program.instructions[slot]
    op, inputs = instruction.op, instruction.inputs
    if op in _COMPARE:
        return _FAST_COMPARE[op](*inputs)
    if op == "not":
        operand = _fast(program, inputs[0])
        return lambda values: not operand(values)
    if op in ("and", "or"):
        parts = [_fast(program, source) for source in _chain(program, slot, op)]
        return _all(parts) if op == "and" else _any(parts)
    # A crossing: its step always runs (it remembers the previous bar) and wrote 1.0 or 0.0.
    return lambda values: values[slot] == 1.0


# One closure per operator with the comparison inline: the cheapest call for the hottest code.
_FAST_COMPARE: dict[str, Callable[[int, int], Condition]] = {
    "<": lambda a, b: lambda values: values[a] < values[b],
    "<=": lambda a, b: lambda values: values[a] <= values[b],
    ">": lambda a, b: lambda values: values[a] > values[b],
    ">=": lambda a, b: lambda values: values[a] >= values[b],
    "==": lambda a, b: lambda values: values[a] == values[b],
    "!=": lambda a, b: lambda values: values[a] != values[b],
}


def _chain(program: Program, slot: int, op: str) -> list[int]:
    """Return the operands of a run of the same operator: ``a and b and c`` has three."""
    instruction = program.instructions[slot]
    if instruction.op != op:
        return [slot]
    return [part for source in instruction.inputs for part in _chain(program, source, op)]


def _all(parts: list[Condition]) -> Condition:
    if len(parts) == 2:
        first, second = parts
        return lambda values: first(values) and second(values)
    if len(parts) == 3:
        first, second, third = parts
        return lambda values: first(values) and second(values) and third(values)
    return lambda values: all(part(values) for part in parts)


def _any(parts: list[Condition]) -> Condition:
    if len(parts) == 2:
        first, second = parts
        return lambda values: first(values) or second(values)
    return lambda values: any(part(values) for part in parts)


def _step(slot: int, instruction: Instruction) -> Step:
    op, inputs, params = instruction.op, instruction.inputs, instruction.params
    if op in _COMPARE:
        return _comparison(slot, inputs, _COMPARE[op])
    if op in _BINARY:
        return _binary(slot, inputs, _BINARY[op])
    if op in ("crossover", "crossunder"):
        return _cross(slot, inputs, up=op == "crossover")
    if op == "atr":
        return si.atr(int(params[0]), slot)
    (source,) = inputs
    if op in _UNARY:
        return _unary(slot, source, _UNARY[op])
    return _indicator(op, params, source, slot)


def _indicator(op: str, params: tuple[float, ...], source: int, slot: int) -> Step:
    n = int(params[0])
    if op in _PERIOD:
        return _PERIOD[op](n, source, slot)
    if op in ("highest", "lowest"):
        return si.extreme(n, source, slot, highest=op == "highest")
    if op.startswith("macd"):
        part = ("macd", "macd_signal", "macd_hist").index(op)
        return si.macd(n, int(params[1]), int(params[2]), part, source, slot)
    part = ("bb_upper", "bb_middle", "bb_lower").index(op)
    return si.bbands(n, params[1] if len(params) > 1 else 2.0, part, source, slot)


_PERIOD: dict[str, Callable[[int, int, int], Step]] = {
    "sma": si.sma,
    "ema": si.ema,
    "wma": si.wma,
    "rsi": si.rsi,
    "stddev": si.stddev,
    "roc": si.roc,
    "ref": si.ref,
}


def _comparison(
    slot: int, inputs: tuple[int, ...], compare: Callable[[float, float], bool]
) -> Step:
    left, right = inputs

    def comparison(values: list[float]) -> None:
        a = values[left]
        b = values[right]
        # x - x is 0.0 for a finite x and NaN otherwise: an undefined side makes the result NaN.
        values[slot] = (1.0 if compare(a, b) else 0.0) + (a - a) + (b - b)

    return comparison


def _binary(slot: int, inputs: tuple[int, ...], function: Callable[[float, float], float]) -> Step:
    left, right = inputs

    def binary(values: list[float]) -> None:
        values[slot] = function(values[left], values[right])

    return binary


def _unary(slot: int, source: int, function: Callable[[float], float]) -> Step:
    def unary(values: list[float]) -> None:
        values[slot] = function(values[source])

    return unary


def _cross(slot: int, inputs: tuple[int, ...], *, up: bool) -> Step:
    left, right = inputs
    before = [NAN, NAN]

    def cross(values: list[float]) -> None:
        a = values[left]
        b = values[right]
        before_a, before_b = before
        before[0] = a
        before[1] = b
        crossed = (a > b and before_a <= before_b) if up else (a < b and before_a >= before_b)
        values[slot] = (
            (1.0 if crossed else 0.0)
            + (a - a)
            + (b - b)
            + (before_a - before_a)
            + (before_b - before_b)
        )

    return cross


def _divide(a: float, b: float) -> float:
    return a / b if b != 0.0 else NAN


def _minimum(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    return a if a <= b else b


def _maximum(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    return a if a >= b else b


_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    # Three-valued logic on 1.0 / 0.0 / NaN, as the checked array mode does it.
    "and": operator.mul,
    "or": _maximum,
    "min": _minimum,
    "max": _maximum,
}
_UNARY: dict[str, Callable[[float], float]] = {
    "neg": operator.neg,
    "not": lambda x: 1.0 - x,
    "abs": abs,
}
