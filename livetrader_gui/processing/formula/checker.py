"""Check a syntax tree: names, calls, argument kinds and ranges, and the types of operators.

The checker keeps going after a problem so that the editor can mark every one at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from livetrader_gui.processing.errors import FormulaError, at
from livetrader_gui.processing.formula.catalog import (
    FUNCTIONS,
    MAX_FACTOR,
    MAX_PERIOD,
    MIN_PERIOD,
    FunctionSpec,
    Param,
    Type,
)
from livetrader_gui.processing.formula.syntax import (
    ARITHMETIC,
    COLUMNS,
    Binary,
    Call,
    Column,
    Name,
    Negate,
    Node,
    Not,
    Number,
)

_PYTHON_WORDS = frozenset(
    {"lambda", "for", "in", "if", "else", "import", "def", "class", "return", "is", "true",
     "false", "none", "print", "eval", "exec"}
)  # fmt: skip


def check_rule(node: Node, source: str) -> list[FormulaError]:
    """Return every problem of the rule *node*; a rule must be a condition."""
    checker = _Checker(source)
    result = checker.type_of(node)
    if result is Type.NUMBER:
        snippet = checker.snippet(node)
        checker.problems.append(
            FormulaError(
                f"the rule must be a condition that is true or false, but '{snippet}' "
                f"{at(node.start)} is a number: compare it, as in '{snippet} > 0'",
                node.start,
            )
        )
    return sorted(checker.problems, key=lambda problem: problem.position or 0)


class _Checker:
    def __init__(self, source: str) -> None:
        self._source = source
        self.problems: list[FormulaError] = []

    def snippet(self, node: Node) -> str:
        text = " ".join(self._source[node.start : node.end].split())
        return text if len(text) <= 40 else text[:37] + "..."

    def _problem(self, message: str, position: int) -> None:
        self.problems.append(FormulaError(message, position))

    def type_of(self, node: Node) -> Type | None:
        """Return the type of *node*, or None when a problem makes it unknown."""
        if isinstance(node, Number | Column):
            return Type.NUMBER
        if isinstance(node, Name):
            self._unknown_name(node)
            return None
        if isinstance(node, Negate):
            self._expect(node.operand, Type.NUMBER, "'-'", node.start)
            return Type.NUMBER
        if isinstance(node, Not):
            self._expect(node.operand, Type.CONDITION, "'not'", node.start)
            return Type.CONDITION
        if isinstance(node, Binary):
            return self._binary(node)
        return self._call(node)

    def _expect(self, node: Node, wanted: Type, user: str, position: int) -> None:
        found = self.type_of(node)
        if found is None or found is wanted:
            return
        if wanted is Type.CONDITION:
            self._problem(
                f"{user} {at(position)} needs a condition, but '{self.snippet(node)}' is a "
                "number: compare it, for example with '>'",
                node.start,
            )
        else:
            self._problem(
                f"{user} {at(position)} needs a number, but '{self.snippet(node)}' is a condition",
                node.start,
            )

    def _binary(self, node: Binary) -> Type:
        if node.op in ("and", "or"):
            wanted, result = Type.CONDITION, Type.CONDITION
        elif node.op in ARITHMETIC:
            wanted, result = Type.NUMBER, Type.NUMBER
        else:
            wanted, result = Type.NUMBER, Type.CONDITION
        user = f"'{node.op}'"
        self._expect(node.left, wanted, user, node.at)
        self._expect(node.right, wanted, user, node.at)
        return result

    def _unknown_name(self, node: Name) -> None:
        if node.name in FUNCTIONS:
            spec = FUNCTIONS[node.name]
            self._problem(
                f"'{node.name}' {at(node.start)} is a function: call it as {spec.signature()}",
                node.start,
            )
            return
        hint = _suggest(node.name, COLUMNS)
        if node.name in _PYTHON_WORDS or node.name.startswith("_"):
            hint = ""
        self._problem(
            f"unknown name '{node.name}' {at(node.start)}{hint}; the columns are "
            f"{', '.join(COLUMNS)}",
            node.start,
        )

    def _call(self, node: Call) -> Type | None:
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            self._unknown_function(node)
            for arg in node.args:
                self.type_of(arg)
            return None
        if len(node.args) != len(spec.params):
            self._problem(
                f"'{node.name}' {at(node.start)} takes {_count(len(spec.params))} "
                f"({spec.signature()}) but was given {len(node.args)}",
                node.start,
            )
        for index, (arg, (param_name, param)) in enumerate(
            zip(node.args, spec.params, strict=False), start=1
        ):
            self._argument(spec, index, param_name, param, arg)
        return spec.returns

    def _unknown_function(self, node: Call) -> None:
        if node.name in COLUMNS:
            message = f"'{node.name}' {at(node.start)} is a column, not a function"
        else:
            hint = "" if node.name.startswith("_") else _suggest(node.name, FUNCTIONS)
            message = f"unknown function '{node.name}' {at(node.start)}{hint}"
        self._problem(message, node.start)

    def _argument(
        self, spec: FunctionSpec, index: int, param_name: str, param: Param, arg: Node
    ) -> None:
        where = f"argument {index} ({param_name}) of {spec.name}"
        if param is Param.SERIES:
            self._expect(arg, Type.NUMBER, where[0].upper() + where[1:], arg.start)
            return
        value = _literal(arg)
        if value is None:
            kind = "a whole number" if param is Param.PERIOD else "a number"
            self._problem(
                f"{where} {at(arg.start)} must be {kind} written out, such as "
                f"{'20' if param is Param.PERIOD else '2'}, not '{self.snippet(arg)}'",
                arg.start,
            )
        elif param is Param.PERIOD and (
            value != int(value) or not MIN_PERIOD <= value <= MAX_PERIOD
        ):
            self._problem(
                f"{where} {at(arg.start)} must be a whole number from {MIN_PERIOD} to "
                f"{MAX_PERIOD}, got {self.snippet(arg)}",
                arg.start,
            )
        elif param is Param.FACTOR and not 0 < value <= MAX_FACTOR:
            self._problem(
                f"{where} {at(arg.start)} must be above 0 and at most {MAX_FACTOR:g}, "
                f"got {self.snippet(arg)}",
                arg.start,
            )


def literal_value(node: Node) -> float:
    """Return the value of a literal argument the checker accepted."""
    value = _literal(node)
    if value is None:  # pragma: no cover - the checker rejects such trees first
        raise FormulaError("internal: argument is not a literal", node.start)
    return value


def _literal(node: Node) -> float | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Negate) and isinstance(node.operand, Number):
        return -node.operand.value
    return None


def _suggest(name: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{matches[0]}'?" if matches else ""


def _count(n: int) -> str:
    return "1 argument" if n == 1 else f"{n} arguments"
