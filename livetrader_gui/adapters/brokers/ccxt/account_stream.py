"""The account's own orders, pushed by the venue: what a private stream told of each order.

A venue's private stream pushes every change of the account's orders (placed, each fill,
cancelled, expired) as it happens. The gateway answers a lookup from what was pushed when the
stream has followed that order from its placement without a break: the answer is as fresh as
REST's and costs no request (Binance weighs a lookup and its fills at 9 of its 6,000 a
minute; a session polls its open orders every tick). Any break of the stream (the socket
closed, a subscription refused) forgets what was pushed: lookups go to REST until the orders
are followed again from their placement.

The orders are kept in ccxt's unified shape (``id``, ``clientOrderId``, ``status``, ``filled``,
``trades`` with their fees), so the gateway reads a pushed order exactly as a fetched one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

_log = logging.getLogger(__name__)
RECONNECT_FIRST = 1.0  # seconds before the first try to open a closed stream again
RECONNECT_MOST = 60.0

Pump = Callable[["StreamedOrders"], Awaitable[None]]


class StreamedOrders:
    """Each order the private stream has followed since its placement, by client order id,
    and the account's balances once read (each push tells a changed currency's free and locked
    amounts whole, so a read before or after a push ends the same)."""

    def __init__(self) -> None:
        self._orders: dict[str, dict[str, Any]] = {}
        self._balances: dict[str, tuple[str, str]] | None = None  # currency -> free, locked
        self._info: Any = {}  # the venue's own rows of the last read
        self.live = False  # subscribed, and nothing missed since
        self.heard = 0  # events the stream brought

    def followed(self, client_order_id: str) -> dict[str, Any] | None:
        """Return the order as pushed, when the stream has followed it whole; else None."""
        if not self.live:
            return None
        order = self._orders.get(client_order_id)
        return None if order is None else {**order, "trades": list(order["trades"])}

    def placed(self, order: dict[str, Any]) -> None:
        """Follow a new order from its first push (a later "placed" push changes nothing)."""
        self._orders.setdefault(str(order["clientOrderId"]), {**order, "trades": []})

    def changed(self, client_order_id: str, fields: dict[str, Any]) -> None:
        """Apply a later push: new status and totals (an order not followed is left alone)."""
        order = self._orders.get(client_order_id)
        if order is not None:
            order.update(fields)

    def filled(self, client_order_id: str, trade: dict[str, Any]) -> None:
        """Add a fill to a followed order (a fill pushed twice counts once)."""
        order = self._orders.get(client_order_id)
        if order is not None and all(t["id"] != trade["id"] for t in order["trades"]):
            order["trades"].append(trade)

    def balance(self) -> dict[str, Any] | None:
        """Return the account's balances in ccxt's shape, when the stream keeps them; else
        None (not read since the stream opened, or changed since)."""
        if not self.live or self._balances is None:
            return None
        free = {c: f for c, (f, _) in self._balances.items()}
        used = {c: u for c, (_, u) in self._balances.items()}
        return {"free": free, "used": used, "info": self._info}

    def read(self, balance: dict[str, Any]) -> None:
        """Keep the balances just read by REST, for the pushes to change."""
        if self.live:
            self._info = balance.get("info") or {}
            free, used = balance.get("free") or {}, balance.get("used") or {}
            self._balances = {
                str(c): (str(free.get(c) or "0"), str(used.get(c) or "0"))
                for c in set(free) | set(used)
            }

    def balances_changed(self, changed: dict[str, tuple[str, str]]) -> None:
        """Apply a push of changed currencies' free and locked amounts."""
        if self._balances is not None:
            self._balances.update(changed)

    def balances_stale(self) -> None:
        """A push says the balances changed without all a read tells (Upbit's average buy
        price): the next read asks again."""
        self._balances = None

    def lost(self, why: str) -> None:
        """The stream broke: what it told may be missing changes, so it is forgotten."""
        if self.live:
            _log.warning("the account's stream broke (%s): orders are looked up by REST", why)
        self.live = False
        self._orders.clear()
        self._balances = None


class AccountStream:
    """Runs a venue's private stream (*pump*: connect, subscribe, then apply each push to the
    ``StreamedOrders`` until the socket closes), opening it again whenever it closes."""

    def __init__(self, pump: Pump, name: str, timer: Any) -> None:
        self.orders = StreamedOrders()
        self._pump = pump
        self._name = name
        self._timer = timer  # a Clock: real time
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._keep(), name=f"account-stream-{self._name}"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        self.orders.lost("stopped")
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _keep(self) -> None:
        delay = RECONNECT_FIRST
        while True:
            try:
                await self._pump(self.orders)
                why = "the venue closed it"
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a stream's failure never reaches the gateway's callers
                why = f"{type(error).__name__}: {error}"
            was_live = self.orders.live
            self.orders.lost(why)
            if was_live:
                delay = RECONNECT_FIRST
            await self._timer.sleep(delay)
            delay = min(delay * 2, RECONNECT_MOST)
