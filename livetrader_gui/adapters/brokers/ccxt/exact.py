"""ccxt exchanges that keep every number exactly as the venue wrote it.

ccxt parses JSON numbers into floats and hands out unified numbers as floats: ``0.1`` survives,
but a price of 90,000,000.12345678 does not (17 significant digits). An exchange made here
parses JSON numbers as their text and hands out unified numbers as text (ccxt's documented
``number = str``), so every number reaches ``Decimal`` from the venue's own digits.

ccxt also changes the ``decimal`` context of whoever calls it (``decimal_to_precision`` sets
ROUND_HALF_UP and an Underflow trap): ``isolated()`` gives each call a context of its own.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any


def exact_class(base: type[Any]) -> type[Any]:
    """Return a subclass of the ccxt exchange *base* that keeps numbers as text."""

    def on_json_response(body: str) -> Any:
        return json.loads(body, parse_float=str)

    return type(
        f"Exact{base.__name__}",
        (base,),
        {"number": str, "on_json_response": staticmethod(on_json_response)},
    )


@contextmanager
def isolated() -> Iterator[None]:
    """Run ccxt inside a decimal context of its own (it is a context variable: per task)."""
    with decimal.localcontext():
        yield


def number(value: object, what: str) -> Decimal:
    """Return *value* (ccxt's text, or an integer) as a ``Decimal``; raise ``ValueError``
    naming *what* when the venue sent something that is not a finite number.

    A few of ccxt's structures are floats whatever ``number`` says (its order book keeps
    prices as floats): a float becomes the shortest text that reads back as it, which is the
    venue's own text for prices on a tick grid (at most 15 significant digits).
    """
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    try:
        result = Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(f"{what}: not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what}: not a finite number: {value!r}")
    return result


def optional_number(value: object, what: str) -> Decimal | None:
    """Return *value* as a ``Decimal``, or None when the venue sent none."""
    return None if value is None or value == "" else number(value, what)
