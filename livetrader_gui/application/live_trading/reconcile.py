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


def compare_positions(
    broker: str, expected: Mapping[str, Decimal], held: Sequence[BrokerPosition]
) -> list[str]:
    """Return one sentence per symbol whose quantity differs, in symbol order."""
    at_broker = {p.symbol: p.quantity for p in held if p.quantity != 0}
    differences = []
    for symbol in sorted(set(expected) | set(at_broker)):
        ours, theirs = expected.get(symbol, Decimal(0)), at_broker.get(symbol, Decimal(0))
        if ours == theirs:
            continue
        differences.append(
            f"{symbol}: the sessions hold {plain(ours)}, {broker} holds {plain(theirs)}"
        )
    return differences


def compare_open_orders(
    broker: str, expected: set[str], at_broker: Sequence[BrokerOrderState]
) -> list[str]:
    """Return one sentence per order open on one side only."""
    listed = {state.client_order_id: state for state in at_broker}
    differences = [
        f"{broker} has an open order {cid} ({state.request.direction.value} "
        f"{plain(state.request.quantity)} {state.request.symbol}) that no session placed"
        for cid, state in sorted(listed.items())
        if cid not in expected
    ]
    differences.extend(
        f"order {cid} is open here but {broker} does not list it as open"
        for cid in sorted(expected - set(listed))
    )
    return differences
