"""The syntax tree of a formula. Every node knows the span of text it came from."""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = ("open", "high", "low", "close", "volume")
ARITHMETIC = frozenset({"+", "-", "*", "/"})
COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


@dataclass(frozen=True, slots=True)
class Number:
    """A literal such as ``30`` or ``0.5``."""

    value: float
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Column:
    """One of the candle columns: open, high, low, close, volume."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name:
    """A name that is neither a column nor a call; the checker explains what is wrong with it."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation."""

    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic operator, a comparison, or ``and``/``or``; ``at`` is the operator's offset."""

    op: str
    left: Node
    right: Node
    at: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``name`` is lower-cased."""

    name: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Number | Column | Name | Negate | Not | Binary | Call
