"""A Pratt parser for the formula language.

Precedence from loosest to tightest: ``or``, ``and``, ``not``, comparisons (which do not chain),
``+ -``, ``* /``, unary minus, then numbers, names, calls and parentheses. Nesting is bounded so
that hostile input cannot exhaust the stack.
"""

from __future__ import annotations

from livetrader_gui.processing.errors import FormulaError, at
from livetrader_gui.processing.formula.lexer import Kind, Token
from livetrader_gui.processing.formula.syntax import (
    COLUMNS,
    COMPARISONS,
    Binary,
    Call,
    Column,
    Name,
    Negate,
    Node,
    Not,
    Number,
)

MAX_DEPTH = 100
_MAX_ARGUMENTS = 8

_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY = 1, 2, 3, 4, 5, 6, 7
_INFIX = {
    "or": _OR,
    "and": _AND,
    **dict.fromkeys(COMPARISONS, _COMPARE),
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
}


def parse(tokens: list[Token]) -> Node:
    """Return the syntax tree of *tokens*, or raise the first syntax error found."""
    return _Parser(tokens).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def parse(self) -> Node:
        if self._peek().kind is Kind.END:
            raise FormulaError("the formula is empty", None)
        node, _ = self._expression(0, 0)
        token = self._peek()
        if token.kind is not Kind.END:
            raise self._unexpected(token, "an operator such as 'and' or '>'")
        return node

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not Kind.END:
            self._index += 1
        return token

    def _expression(self, min_power: int, depth: int) -> tuple[Node, int]:
        """Parse an expression; return it with its height, which later recursive passes need."""
        self._check_depth(depth)
        left, height = self._prefix(depth)
        while True:
            token = self._peek()
            power = _INFIX.get(token.text) if token.kind is not Kind.NUMBER else None
            if power is None or power <= min_power:
                return left, height
            self._advance()
            right, right_height = self._expression(power, depth + 1)
            if power == _COMPARE and self._peek().text in COMPARISONS:
                following = self._peek()
                raise FormulaError(
                    f"comparisons cannot be chained: '{following.text}' {at(following.position)} "
                    f"follows '{token.text}' {at(token.position)}; join two comparisons with 'and'",
                    following.position,
                )
            left = Binary(token.text, left, right, token.position, left.start, right.end)
            height = max(height, right_height) + 1
            self._check_depth(depth + height)

    def _check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            position = self._peek().position
            raise FormulaError(
                f"the formula is too deeply nested or too long a chain {at(position)} "
                f"(more than {MAX_DEPTH} levels)",
                position,
            )

    def _prefix(self, depth: int) -> tuple[Node, int]:
        token = self._advance()
        if token.kind is Kind.NUMBER:
            return Number(float(token.text), token.text, token.position, token.end), 1
        if token.kind is Kind.OPERATOR and token.text in ("-", "+"):
            operand, height = self._expression(_UNARY, depth + 1)
            if token.text == "+":
                return operand, height
            return Negate(operand, token.position, operand.end), height + 1
        if token.kind is Kind.NAME and token.text == "not":
            operand, height = self._expression(_NOT, depth + 1)
            return Not(operand, token.position, operand.end), height + 1
        if token.kind is Kind.OPERATOR and token.text == "(":
            inner, height = self._expression(0, depth + 1)
            self._expect(")", opened=token)
            return inner, height
        if token.kind is Kind.NAME and token.text not in ("and", "or"):
            return self._name(token, depth)
        raise self._unexpected(token, "a number, a column, a function or '('")

    def _name(self, token: Token, depth: int) -> tuple[Node, int]:
        following = self._peek()
        if following.kind is Kind.OPERATOR and following.text == "(":
            self._advance()
            args, height = self._arguments(token, depth + 1)
            closing = self._expect(")", opened=following)
            return Call(token.text, tuple(args), token.position, closing.end), height + 1
        if token.text in COLUMNS:
            return Column(token.text, token.position, token.end), 1
        return Name(token.text, token.position, token.end), 1

    def _arguments(self, function: Token, depth: int) -> tuple[list[Node], int]:
        args: list[Node] = []
        height = 0
        if self._peek().text == ")" and self._peek().kind is Kind.OPERATOR:
            return args, height
        while True:
            arg, arg_height = self._expression(0, depth)
            args.append(arg)
            height = max(height, arg_height)
            token = self._peek()
            if not (token.kind is Kind.OPERATOR and token.text == ","):
                return args, height
            self._advance()
            if len(args) >= _MAX_ARGUMENTS:
                raise FormulaError(
                    f"too many arguments for '{function.text}' {at(function.position)}",
                    function.position,
                )

    def _expect(self, text: str, *, opened: Token) -> Token:
        token = self._peek()
        if token.kind is Kind.OPERATOR and token.text == text:
            return self._advance()
        raise FormulaError(
            f"expected '{text}' to close the '(' {at(opened.position)}, "
            f"found {token.describe()} {at(token.position)}",
            token.position,
        )

    @staticmethod
    def _unexpected(token: Token, wanted: str) -> FormulaError:
        if token.kind is Kind.END:
            return FormulaError(
                f"the formula ends too early {at(token.position)}: expected {wanted}",
                token.position,
            )
        return FormulaError(
            f"unexpected {token.describe()} {at(token.position)}: expected {wanted}",
            token.position,
        )
