"""Where the simulated broker keeps its books between runs: an SQLite file of its own.

A real broker outlives the app: after a crash its account, positions, open orders and order
numbering are still there, and its clock has moved on. SIM does the same with this store. It
writes before it answers (an order is stored before ``place_order`` returns), so a kill at any
moment leaves the books as the app last heard them, and it records the latest time its clock
showed, so that the clock carries on from there instead of starting over.

Blocking (``sqlite3``): the broker calls it in a worker thread.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from livetrader_gui.adapters.brokers.simulated.ledger import SimulatedOrder
from livetrader_gui.domain import (
    Fill,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    TradeDirection,
)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (client_order_id TEXT PRIMARY KEY, state TEXT NOT NULL);
"""


class SimulatedStoreError(Exception):
    """The simulator's books cannot be read or written; the message names the file."""


@dataclass
class StoredBooks:
    """The simulator's books as the store holds them."""

    token: str
    cash: Decimal
    sequence: int = 0
    clock: datetime | None = None
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, SimulatedOrder] = field(default_factory=dict)


def new_token() -> str:
    """Return a short random token that sets one account's order ids apart from another's."""
    return secrets.token_hex(3).upper()


class SimulatedAccountStore:
    """The books of one simulated account in an SQLite file.

    *lock_timeout* is how long a write waits for another program that holds the file.
    """

    def __init__(self, path: Path, *, lock_timeout: float = 5.0) -> None:
        self.path = path
        self._lock_timeout = lock_timeout

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=self._lock_timeout)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise SimulatedStoreError(
                f"the simulator's books {self.path} cannot be opened: {error}"
            ) from None
        return connection

    def load(self) -> StoredBooks | None:
        """Return the books stored, or None when there are none yet."""
        connection = self._connect()
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta"))
            if not meta:
                return None
            if int(meta.get("schema", "0")) != SCHEMA_VERSION:
                raise SimulatedStoreError(
                    f"the simulator's books {self.path} were written by another version "
                    f"(schema {meta.get('schema')}); move the file away to start a new account"
                )
            books = StoredBooks(
                token=meta["token"],
                cash=Decimal(meta["cash"]),
                sequence=int(meta["sequence"]),
                clock=datetime.fromisoformat(meta["clock"]) if meta.get("clock") else None,
            )
            for symbol, state in connection.execute("SELECT symbol, state FROM positions"):
                books.positions[symbol] = _position(json.loads(state))
            for client_order_id, state in connection.execute(
                "SELECT client_order_id, state FROM orders"
            ):
                books.orders[client_order_id] = _order(json.loads(state))
            return books
        except (sqlite3.Error, KeyError, ValueError) as error:
            if isinstance(error, SimulatedStoreError):
                raise
            raise SimulatedStoreError(
                f"the simulator's books {self.path} are damaged ({error}); move the file away "
                "to start a new account"
            ) from None
        finally:
            connection.close()

    def write(self, snapshot: BooksSnapshot) -> None:
        """Write a snapshot (the account, every position, the changed orders) in one
        transaction."""
        connection = self._connect()
        try:
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", snapshot.meta
                )
                connection.execute("DELETE FROM positions")
                connection.executemany(
                    "INSERT INTO positions (symbol, state) VALUES (?, ?)", snapshot.positions
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO orders (client_order_id, state) VALUES (?, ?)",
                    snapshot.orders,
                )
        except (sqlite3.Error, OSError) as error:
            raise SimulatedStoreError(
                f"the simulator's books {self.path} cannot be written: {error}"
            ) from None
        finally:
            connection.close()


@dataclass(frozen=True, slots=True)
class BooksSnapshot:
    """Books turned into text, ready to write from another thread while trading goes on."""

    meta: list[tuple[str, str]]
    positions: list[tuple[str, str]]
    orders: list[tuple[str, str]]


def snapshot(books: StoredBooks, changed: list[SimulatedOrder]) -> BooksSnapshot:
    """Return *books*, with the orders in *changed*, as text (call it on the books' thread)."""
    meta = {
        "schema": str(SCHEMA_VERSION),
        "token": books.token,
        "cash": str(books.cash),
        "sequence": str(books.sequence),
        "clock": books.clock.isoformat() if books.clock is not None else "",
    }
    return BooksSnapshot(
        list(meta.items()),
        [(s, json.dumps(_position_state(p))) for s, p in books.positions.items()],
        [(o.request.client_order_id, json.dumps(_order_state(o))) for o in changed],
    )


# --------------------------------------------------------------------------- JSON forms


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _position_state(position: Position) -> dict[str, Any]:
    return {
        "symbol": position.symbol,
        "quantity": str(position.quantity),
        "average_price": str(position.average_price),
        "realized_pnl": str(position.realized_pnl),
        "fees_paid": str(position.fees_paid),
        "opened_at": _time(position.opened_at),
    }


def _position(state: dict[str, Any]) -> Position:
    return Position(
        state["symbol"],
        Decimal(state["quantity"]),
        Decimal(state["average_price"]),
        Decimal(state["realized_pnl"]),
        Decimal(state["fees_paid"]),
        opened_at=_parse_time(state["opened_at"]),
    )


def _fill_state(fill: Fill) -> dict[str, Any]:
    return {
        "fill_id": fill.fill_id,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "at": fill.at.isoformat(),
        "commission": str(fill.commission),
        "tax": str(fill.tax),
    }


def _order_state(order: SimulatedOrder) -> dict[str, Any]:
    request = order.request
    return {
        "client_order_id": request.client_order_id,
        "symbol": request.symbol,
        "direction": request.direction.value,
        "order_type": request.order_type.value,
        "quantity": str(request.quantity),
        "limit_price": None if request.limit_price is None else str(request.limit_price),
        "broker_order_id": order.broker_order_id,
        "day": order.day.isoformat(),
        "next_step": order.next_step,
        "reserve_price": str(order.reserve_price),
        "status": order.status.value,
        "filled": str(order.filled),
        "traded_value": str(order.traded_value),
        "fills": [_fill_state(f) for f in order.fills],
        "reject_reason": order.reject_reason,
        "updated_at": _time(order.updated_at),
    }


def _order(state: dict[str, Any]) -> SimulatedOrder:
    request = OrderRequest(
        state["client_order_id"],
        state["symbol"],
        TradeDirection(state["direction"]),
        OrderType(state["order_type"]),
        Decimal(state["quantity"]),
        None if state["limit_price"] is None else Decimal(state["limit_price"]),
    )
    fills = [
        Fill(
            f["fill_id"],
            request.client_order_id,
            request.symbol,
            request.direction,
            Decimal(f["quantity"]),
            Decimal(f["price"]),
            datetime.fromisoformat(f["at"]),
            commission=Decimal(f["commission"]),
            tax=Decimal(f["tax"]),
        )
        for f in state["fills"]
    ]
    return SimulatedOrder(
        request=request,
        broker_order_id=state["broker_order_id"],
        day=date.fromisoformat(state["day"]),
        next_step=int(state["next_step"]),
        reserve_price=Decimal(state["reserve_price"]),
        status=OrderStatus(state["status"]),
        filled=Decimal(state["filled"]),
        traded_value=Decimal(state["traded_value"]),
        fills=fills,
        reject_reason=state["reject_reason"],
        updated_at=_parse_time(state["updated_at"]),
    )
