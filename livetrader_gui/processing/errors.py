"""The error every problem with a formula is reported as."""

from __future__ import annotations


class FormulaError(ValueError):
    """A formula cannot be used; the message says what is wrong and where.

    Parameters
    ----------
    message
        Text for the trader, naming the column when there is one ("at column 9").
    position
        Zero-based character offset of the problem in the formula, or ``None`` when the problem
        is not at one place (an empty formula, a formula that is too long).
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __repr__(self) -> str:
        return f"FormulaError({self.message!r}, position={self.position!r})"


def at(position: int) -> str:
    """Return "at column N" for a zero-based *position*; editors count columns from 1."""
    return f"at column {position + 1}"
