"""Lower a checked syntax tree to a flat program of instructions, one per distinct subexpression.

A flat program is evaluated with a loop instead of recursion, and a subexpression written twice
(``sma(close, 20)`` in both halves of a rule) is computed once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from livetrader_gui.processing.formula.catalog import FUNCTIONS, Param
from livetrader_gui.processing.formula.checker import literal_value
from livetrader_gui.processing.formula.syntax import (
    COLUMNS,
    COMPARISONS,
    Binary,
    Call,
    Column,
    Negate,
    Node,
    Not,
    Number,
)

# Functions whose value depends on every earlier bar, not only on a window.
RECURSIVE = frozenset({"ema", "rsi", "macd", "macd_signal", "macd_hist", "atr"})
_WINDOW = frozenset(
    {"sma", "ema", "wma", "bb_upper", "bb_middle", "bb_lower", "stddev", "highest", "lowest"}
)
_LAGGED = frozenset({"rsi", "roc", "ref"})


@dataclass(frozen=True, slots=True)
class Instruction:
    """One step: ``op`` applied to earlier slots ``inputs`` with literal ``params``.

    ``op`` is ``"column"``, ``"number"``, an operator (``"+"``, ``">"``, ``"and"``, ``"neg"``,
    ``"not"``...) or a function name. ``lookback`` is the index of the first bar on which the
    value can be defined when the candles are complete.
    """

    op: str
    inputs: tuple[int, ...]
    params: tuple[float, ...]
    name: str
    lookback: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class Program:
    """Instructions in evaluation order; slot ``result`` holds the rule's value."""

    instructions: tuple[Instruction, ...]
    columns: tuple[str, ...]
    result: int

    @property
    def lookback(self) -> int:
        """Return the first bar on which every part of the rule can be defined."""
        return max(instruction.lookback for instruction in self.instructions)

    def probes(self) -> tuple[tuple[int, int], ...]:
        """Return (slot, first bar) of each value a fast evaluation must check is finite."""
        return _probes(self)

    @property
    def recursive(self) -> bool:
        """Return whether a value depends on all earlier bars (EMA, RSI, MACD, ATR)."""
        return any(instruction.op in RECURSIVE for instruction in self.instructions)


def lower(root: Node, source: str) -> Program:
    """Return the program of a tree that the checker accepted; *source* labels the calls."""
    builder = _Builder(source)
    # Columns take the first slots in a fixed order so that a stream can write a bar directly.
    for name in COLUMNS:
        builder.add(Instruction("column", (), (), name, 0))
    result = builder.visit(root)
    used = tuple(sorted(builder.used_columns, key=COLUMNS.index))
    return Program(tuple(builder.instructions), used, result)


class _Builder:
    def __init__(self, source: str) -> None:
        self._source = source
        self.instructions: list[Instruction] = []
        self._slots: dict[tuple[object, ...], int] = {}
        self.used_columns: set[str] = set()

    def add(self, instruction: Instruction) -> int:
        key = (instruction.op, instruction.inputs, instruction.params, instruction.name)
        slot = self._slots.get(key)
        if slot is None:
            slot = len(self.instructions)
            self.instructions.append(instruction)
            self._slots[key] = slot
        return slot

    def _lookback(self, slots: tuple[int, ...]) -> int:
        return max((self.instructions[slot].lookback for slot in slots), default=0)

    def visit(self, node: Node) -> int:
        if isinstance(node, Number):
            return self.add(Instruction("number", (), (node.value,), "", 0))
        if isinstance(node, Column):
            self.used_columns.add(node.name)
            return self.add(Instruction("column", (), (), node.name, 0))
        if isinstance(node, Negate | Not):
            operand = (self.visit(node.operand),)
            op = "neg" if isinstance(node, Negate) else "not"
            return self.add(Instruction(op, operand, (), "", self._lookback(operand)))
        if isinstance(node, Binary):
            inputs = (self.visit(node.left), self.visit(node.right))
            return self.add(Instruction(node.op, inputs, (), "", self._lookback(inputs)))
        if isinstance(node, Call):
            return self._call(node)
        raise TypeError(f"unchecked node {node!r}")  # pragma: no cover - checker rejects it

    def _call(self, node: Call) -> int:
        spec = FUNCTIONS[node.name]
        inputs: list[int] = []
        params: list[float] = []
        for arg, (_, kind) in zip(node.args, spec.params, strict=True):
            if kind is Param.SERIES:
                inputs.append(self.visit(arg))
            else:
                params.append(literal_value(arg))
        if node.name == "atr":
            self.used_columns.update(("high", "low", "close"))
        slots = tuple(inputs)
        lookback = self._lookback(slots) + _own_lookback(node.name, params)
        label = " ".join(self._source[node.start : node.end].split())
        return self.add(Instruction(node.name, slots, tuple(params), node.name, lookback, label))


def _own_lookback(name: str, params: list[float]) -> int:
    if name in _WINDOW:
        return int(params[0]) - 1
    if name in _LAGGED or name == "atr":
        return int(params[0])
    if name.startswith("macd"):
        fast, slow, signal = (int(p) for p in params)
        return max(fast, slow) - 1 + signal - 1
    if name in ("crossover", "crossunder"):
        return 1
    return 0


# Columns whose sum of squares stays below this hold values below 1e100 in magnitude. Values the
# analysis below bounds by 1e150 cannot overflow in any indicator (1000 squares of them included).
COLUMN_LIMIT = 1e200
_COLUMN_MAGNITUDE = 100.0
_SAFE_MAGNITUDE = 150.0
_BOUNDED = frozenset(
    {"sma", "ema", "wma", "stddev", "highest", "lowest", "ref", "bb_middle", "neg", "abs",
     "min", "max"}
)  # fmt: skip


def _probes(program: Program) -> tuple[tuple[int, int], ...]:
    """Return (slot, first bar) of every value the fast mode cannot prove finite.

    A bound on the magnitude (as a power of ten) is carried from the columns (below 10^100 once
    checked) and the literals through operators and indicators; division and ROC have none. A
    value without a small bound that another instruction reads is probed from its lookback on.
    """
    bounds: list[float | None] = []
    for instruction in program.instructions:
        bounds.append(_bound(instruction, bounds))
    read = {slot for instruction in program.instructions for slot in instruction.inputs}
    return tuple(
        (slot, program.instructions[slot].lookback)
        for slot in sorted(read)
        if (bound := bounds[slot]) is None or bound > _SAFE_MAGNITUDE
    )


def _bound(instruction: Instruction, bounds: list[float | None]) -> float | None:
    op = instruction.op
    if op == "column":
        return _COLUMN_MAGNITUDE
    if op == "number":
        return math.log10(max(abs(instruction.params[0]), 1.0))
    if op in COMPARISONS or op in ("and", "or", "not", "crossover", "crossunder"):
        return 0.0
    if op == "rsi":
        return 2.0
    inputs = [bounds[slot] for slot in instruction.inputs]
    if any(bound is None for bound in inputs):
        return None
    known = [bound for bound in inputs if bound is not None]
    if op in _BOUNDED:
        return max(known)
    if op in ("+", "-", "atr", "macd", "macd_signal", "macd_hist"):
        return max(known, default=_COLUMN_MAGNITUDE) + 1.0
    if op == "*":
        return sum(known)
    if op in ("bb_upper", "bb_lower"):
        return max(known) + 2.0
    return None  # division and ROC can grow without bound
