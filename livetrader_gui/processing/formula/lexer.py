"""Split formula text into tokens, reporting every character that has no place in the language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from livetrader_gui.processing.errors import FormulaError, at

MAX_NUMBER_MAGNITUDE = 1e15
_MAX_NUMBER_LENGTH = 40


class Kind(Enum):
    """What a token is."""

    NUMBER = "number"
    NAME = "name"
    OPERATOR = "operator"
    END = "end of formula"


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``text`` is lower-cased for names, ``position`` is its zero-based offset."""

    kind: Kind
    text: str
    position: int

    @property
    def end(self) -> int:
        """Return the offset just past the token."""
        return self.position + len(self.text)

    def describe(self) -> str:
        """Return the token as a trader would name it in a message."""
        return "the end of the formula" if self.kind is Kind.END else f"'{self.text}'"


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)[A-Za-z_0-9.]*)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<operator><=|>=|==|!=|[-+*/()<>,])
    """,
    re.VERBOSE,
)
_PLAIN_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)")

# Characters people reach for from other languages, with what to write instead.
_HINTS = {
    "=": "use '==' to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' or '!='",
    "^": "powers are not part of the language",
    "%": "there is no remainder operator",
    ".": "there is no attribute access",
    "[": "there is no indexing; use ref(x, n) for the value n bars ago",
    "]": "there is no indexing; use ref(x, n) for the value n bars ago",
    "{": "braces have no meaning here",
    "}": "braces have no meaning here",
    ":": "colons have no meaning here",
    ";": "a rule is one expression",
    "'": "text in quotes is not allowed",
    '"': "text in quotes is not allowed",
    "#": "comments are not allowed",
    "@": "'@' has no meaning here",
    "\\": "backslashes have no meaning here",
}


def tokenize(source: str) -> tuple[list[Token], list[FormulaError]]:
    """Return the tokens of *source* (ending with an END token) and every lexical problem."""
    tokens: list[Token] = []
    problems: list[FormulaError] = []
    position = 0
    length = len(source)
    while position < length:
        match = _TOKEN.match(source, position)
        if match is None:
            problems.append(_bad_character(source, position))
            position += 1
            continue
        kind = match.lastgroup
        text = match.group()
        if kind == "number":
            number_problem = _check_number(text, position)
            if number_problem is not None:
                problems.append(number_problem)
            tokens.append(Token(Kind.NUMBER, text, position))
        elif kind == "name":
            tokens.append(Token(Kind.NAME, text.lower(), position))
        elif kind == "operator":
            if text == "*" and source.startswith("**", position):
                problems.append(
                    FormulaError(f"'**' {at(position)}: powers are not supported", position)
                )
                position += 2
                continue
            tokens.append(Token(Kind.OPERATOR, text, position))
        position = match.end()
    tokens.append(Token(Kind.END, "", length))
    return tokens, problems


def _bad_character(source: str, position: int) -> FormulaError:
    char = source[position]
    hint = _HINTS.get(char)
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    if hint is None:
        return FormulaError(f"unexpected character {shown} {at(position)}", position)
    return FormulaError(f"unexpected character {shown} {at(position)}: {hint}", position)


def _check_number(text: str, position: int) -> FormulaError | None:
    if len(text) > _MAX_NUMBER_LENGTH:
        return FormulaError(f"number {at(position)} is too long ({len(text)} characters)", position)
    if _PLAIN_NUMBER.fullmatch(text) is None:
        return FormulaError(
            f"malformed number '{text}' {at(position)}: write digits with an optional decimal "
            "point, such as 30 or 0.5",
            position,
        )
    if float(text) > MAX_NUMBER_MAGNITUDE:
        return FormulaError(
            f"number {text} {at(position)} is too large (the limit is 10^15)", position
        )
    return None
