"""Checked constructors for the numbers and times the domain is built from.

Money, prices and quantities are ``Decimal``. Floats are accepted at the edges (a simulator or
a numeric library may hand them over) but converted through ``repr`` so that ``0.1`` becomes
``Decimal("0.1")`` and not its binary approximation; NaN and infinities are refused everywhere.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

from livetrader_gui.domain.errors import InvalidValueError

DecimalLike = Decimal | int | str | float
_SYMBOL = re.compile(r"\S{1,32}")
_GOOD_SYMBOLS: set[str] = set()

# ISO 4217 minor units of the currencies the app meets; an unknown currency keeps 2 decimals.
_MINOR_UNITS = {"KRW": 0, "JPY": 0, "USD": 2, "EUR": 2, "USDT": 8, "BTC": 8}


def to_decimal(value: DecimalLike, field: str) -> Decimal:
    """Convert *value* to a finite ``Decimal`` or raise naming *field*."""
    if isinstance(value, bool):
        raise InvalidValueError(f"{field} must be a number, not {value!r}")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidValueError(f"{field} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise InvalidValueError(f"{field} must be a finite number, got {value!r}")
    return result


def positive(value: DecimalLike, field: str) -> Decimal:
    """Return *value* as a ``Decimal`` that is strictly greater than zero."""
    result = to_decimal(value, field)
    if result <= 0:
        raise InvalidValueError(f"{field} must be greater than 0, got {result}")
    return result


def non_negative(value: DecimalLike, field: str) -> Decimal:
    """Return *value* as a ``Decimal`` that is zero or more."""
    result = to_decimal(value, field)
    if result < 0:
        raise InvalidValueError(f"{field} must not be negative, got {result}")
    return result


def percentage(value: DecimalLike, field: str, *, maximum: Decimal = Decimal(100)) -> Decimal:
    """Return *value* as a percentage in ``(0, maximum]``."""
    result = to_decimal(value, field)
    if result <= 0 or result > maximum:
        raise InvalidValueError(
            f"{field} must be above 0 % and at most {maximum} %, got {result} %"
        )
    return result


def bounded_int(value: int, field: str, low: int, high: int) -> int:
    """Return *value* if it is an ``int`` in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{field} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidValueError(f"{field} must be between {low} and {high}, got {value}")
    return value


def aware(value: datetime, field: str) -> datetime:
    """Return *value* if it carries a time zone; naive times are ambiguous across exchanges."""
    if not isinstance(value, datetime):
        raise InvalidValueError(f"{field} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(f"{field} must carry a time zone, got {value.isoformat()}")
    return value


def text(value: str, field: str, *, max_length: int = 200) -> str:
    """Return *value* stripped, refusing empty or over-long text."""
    if not isinstance(value, str):
        raise InvalidValueError(f"{field} must be text, got {value!r}")
    stripped = value.strip()
    if not stripped:
        raise InvalidValueError(f"{field} must not be empty")
    if len(stripped) > max_length:
        raise InvalidValueError(
            f"{field} must be at most {max_length} characters, got {len(stripped)}"
        )
    return stripped


def symbol_code(value: str, field: str = "symbol") -> str:
    """Return an instrument symbol: non-empty, no spaces, at most 32 characters."""
    if type(value) is str and value in _GOOD_SYMBOLS:  # every quote and candle names one
        return value
    if isinstance(value, str) and _SYMBOL.fullmatch(value):
        if len(_GOOD_SYMBOLS) < 100_000:
            _GOOD_SYMBOLS.add(value)
        return value
    result = text(value, field, max_length=32)
    if any(ch.isspace() for ch in result):
        raise InvalidValueError(f"{field} must not contain spaces, got {result!r}")
    return result


def minor_units(currency: str) -> int:
    """Return the number of decimals money in *currency* is kept to."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round *amount* to the currency's minor unit (banker's rounding, like most ledgers)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_EVEN)


def round_fee(amount: Decimal, currency: str) -> Decimal:
    """Round a fee or tax down to the currency's minor unit, as brokers truncate them."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_DOWN)


def plain(value: Decimal) -> str:
    """Format *value* without exponent or trailing zeros (``Decimal("5.00")`` -> ``"5"``)."""
    normalized = value.normalize()
    return format(normalized, "f")
