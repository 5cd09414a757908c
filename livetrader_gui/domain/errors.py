"""Errors raised by the domain model.

Messages name the field, the value and the rule, so they can be shown to a trader as they are.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error the domain raises."""


class InvalidValueError(DomainError, ValueError):
    """A value breaks a rule of the domain (a negative percentage, a NaN price, zero lots...)."""


class IllegalTransitionError(DomainError):
    """A state machine was asked to move along an edge it does not have."""

    def __init__(self, entity: str, current: str, target: str, detail: str = "") -> None:
        self.entity = entity
        self.current = current
        self.target = target
        suffix = f": {detail}" if detail else ""
        super().__init__(f"{entity} cannot go from {current} to {target}{suffix}")
