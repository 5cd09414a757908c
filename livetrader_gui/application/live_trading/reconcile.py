"""Reconciliation: what the app expects a broker account to hold, against what it holds.

Both ways: a broker that holds more than the sessions know (a fill the app never recorded, a
trade made by hand) is a difference as much as one that holds less. Open orders are compared
too: one open at the broker that no session placed, or one open here that the broker does not
list. Several live sessions can share one broker account, so for them the expectation is every
stored fill of every order that account holds (``StoredExpectation``); a paper session's
account is its own, and its book is the expectation (``BookExpectation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from livetrader_gui.application.live_trading.book import SessionBook
from livetrader_gui.application.ports import BrokerOrderState, BrokerPosition, IOrderRepository
from livetrader_gui.domain.values import plain


class AccountExpectation(Protocol):
    """What the app's records say one broker account holds."""

    async def positions(self) -> dict[str, Decimal]:
        """Return the quantity expected per symbol (zero quantities left out)."""
        ...

    async def open_orders(self) -> set[str]:
        """Return the client order ids of the orders expected to be open."""
        ...


class BookExpectation:
    """The expectation of an account that one session's book alone trades (paper, tests)."""

    def __init__(self, book: SessionBook) -> None:
        self._book = book

    async def positions(self) -> dict[str, Decimal]:
        return {s: p.quantity for s, p in self._book.positions.items() if not p.is_flat}

    async def open_orders(self) -> set[str]:
        return set(self._book.open_orders)


class StoredExpectation:
    """The expectation of a broker account shared by sessions: every order it holds, stored."""

    def __init__(self, orders: IOrderRepository, broker_id: str) -> None:
        self._orders = orders
        self._broker_id = broker_id

    async def positions(self) -> dict[str, Decimal]:
        return await self._orders.net_positions(self._broker_id)

    async def open_orders(self) -> set[str]:
        return {o.client_order_id for o in await self._orders.list_open(broker_id=self._broker_id)}


@dataclass(frozen=True, slots=True)
class PositionGap:
    """One symbol whose quantity differs: what the records hold, and what the broker holds
    (at the broker's average price, when it holds any)."""

    symbol: str
    ours: Decimal
    theirs: Decimal
    broker_price: Decimal | None

    def sentence(self, broker: str) -> str:
        ours, theirs = plain(self.ours), plain(self.theirs)
        return f"{self.symbol}: the sessions hold {ours}, {broker} holds {theirs}"


def position_gaps(
    expected: Mapping[str, Decimal], held: Sequence[BrokerPosition]
) -> list[PositionGap]:
    """Return each symbol whose quantity differs, in symbol order."""
    at_broker = {p.symbol: p for p in held if p.quantity != 0}
    gaps = []
    for symbol in sorted(set(expected) | set(at_broker)):
        position = at_broker.get(symbol)
        ours = expected.get(symbol, Decimal(0))
        theirs = position.quantity if position is not None else Decimal(0)
        if ours != theirs:
            price = position.average_price if position is not None else None
            gaps.append(PositionGap(symbol, ours, theirs, price))
    return gaps


def compare_positions(
    broker: str, expected: Mapping[str, Decimal], held: Sequence[BrokerPosition]
) -> list[str]:
    """Return one sentence per symbol whose quantity differs, in symbol order."""
    return [gap.sentence(broker) for gap in position_gaps(expected, held)]


def foreign_orders(
    expected: set[str], at_broker: Sequence[BrokerOrderState]
) -> list[BrokerOrderState]:
    """Return the orders open at the broker that no session placed, by client order id."""
    return sorted(
        (state for state in at_broker if state.client_order_id not in expected),
        key=lambda state: state.client_order_id,
    )


def foreign_order_sentence(broker: str, state: BrokerOrderState) -> str:
    return (
        f"{broker} has an open order {state.client_order_id} ({state.request.direction.value} "
        f"{plain(state.request.quantity)} {state.request.symbol}) that no session placed"
    )


def missing_order_sentence(broker: str, client_order_id: str) -> str:
    return f"order {client_order_id} is open here but {broker} does not list it as open"


def missing_orders(expected: set[str], at_broker: Sequence[BrokerOrderState]) -> list[str]:
    """Return the client order ids open in the records that the broker does not list."""
    return sorted(expected - {state.client_order_id for state in at_broker})


def compare_open_orders(
    broker: str, expected: set[str], at_broker: Sequence[BrokerOrderState]
) -> list[str]:
    """Return one sentence per order open on one side only."""
    differences = [foreign_order_sentence(broker, s) for s in foreign_orders(expected, at_broker)]
    differences.extend(
        missing_order_sentence(broker, c) for c in missing_orders(expected, at_broker)
    )
    return differences
