"""A local copy of Upbit's REST API, to rehearse a real venue against on 127.0.0.1.

It speaks Upbit's documented wire protocol (https://docs.upbit.com, API reference v1): the
quotation endpoints (markets, ticker, order book, minute candles) and the exchange endpoints
(accounts, orders: place, look up by ``uuid`` or ``identifier``, cancel, open orders). Private
calls are authenticated as Upbit does: ``Authorization: Bearer <JWT HS256>`` signed with the
secret key, whose payload carries the access key, a fresh nonce, and the SHA-512 ``query_hash``
of the query string (or, for a POST, of the body's parameters url-encoded); a wrong key, a bad
signature, a reused nonce or a hash that does not match is refused with 401 and Upbit's error
names. Errors are ``{"error": {"name", "message"}}``; every answer carries ``Remaining-Req``.

The account holds KRW and coins; market and limit orders are matched against a price that moves
by a seeded random walk, one step a second, and fill at most ``liquidity`` of the base currency a
second, so that an order fills in parts. An ``identifier`` (our client order id) may be used
once, ever, even after an error, as Upbit requires. The state is written to *state* after every
change and read back at start, so the app can be killed and restarted against the same venue.

Limits, as Upbit documents them: 10 quotation, 30 exchange and 8 order requests a second
(``Remaining-Req`` counts down in real time); over them 429, and when more than five are refused
within a second, 418 and a ban that doubles each time. The 429 and 418 bodies are plain text
(assumed: ccxt maps them by status, ``RateLimitExceeded`` and ``DDoSProtection``).

The quotation websocket (``/websocket/v1``) takes Upbit's subscription list
(``[{"ticket"}, {"type": "ticker" | "orderbook" | "candle.1s", "codes": [...]}]``) and pushes
each subscription once a second of the venue's clock, as binary JSON frames, as Upbit does.

Faults, switched by a test through ``POST /_venue/faults`` (``{"fault", "times", "seconds"}``,
not part of Upbit's API): ``rate_limit`` (429), ``ban`` (418 for *seconds*), ``server_error``
(a 502 HTML page), ``hang`` (does the work, and answers after *seconds*), ``drop`` (the
connection closes with no answer; aiohttp sends a GET once more), ``lose_answer`` (an order is
placed and its answer lost), ``silent`` (every websocket stays open and says nothing more),
``reject_order`` (the next order is refused as Upbit refuses a buy the account cannot pay for).

Run: ``python -m tests.venues upbit --port 8601 --key K --secret S --seed 1 [--state FILE]``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import aiohttp
from aiohttp import web

from tests.venues.market import ERROR_PAGE, PUSH_POLL, Faults, PriceWalk, drop, save_whole

FEE_RATE = Decimal("0.0005")  # Upbit's KRW market fee, 0.05 %
MIN_TOTAL = Decimal(5000)  # the KRW market's minimum order value
MARKETS = {  # market -> (English name, opening price)
    "KRW-BTC": ("Bitcoin", Decimal(90_000_000)),
    "KRW-ETH": ("Ethereum", Decimal(4_000_000)),
    "KRW-XRP": ("Ripple", Decimal(800)),
}
KST = timedelta(hours=9)
# Upbit's documented request limits per second, by the group ``Remaining-Req`` names.
LIMITS = {"market": 10, "default": 30, "order": 8}
BAN_AFTER = 5  # requests refused with 429 within a second, after which the venue bans (418)
BAN_SECONDS = 10.0  # the first ban; each next one is twice as long
SECOND_VOLUME = Decimal("0.1")  # what the market trades a second (its candles' volume)


class VenueError(Exception):
    """An answer Upbit gives as ``{"error": {"name", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status, self.name, self.message = status, name, message


def tick_size(price: Decimal) -> Decimal:
    """Return the KRW market's price unit at *price* (Upbit's table of order price units)."""
    for floor, unit in (
        (2_000_000, "1000"), (1_000_000, "500"), (500_000, "100"), (100_000, "50"),
        (10_000, "10"), (1_000, "1"), (100, "0.1"), (10, "0.01"), (1, "0.001"),
    ):  # fmt: skip
        if price >= floor:
            return Decimal(unit)
    return Decimal("0.0001")


@dataclass
class Balance:
    balance: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)
    avg_buy_price: Decimal = Decimal(0)


@dataclass
class Order:
    uuid: str
    identifier: str | None
    market: str
    side: str  # bid | ask
    ord_type: str  # limit | price | market
    price: Decimal | None
    volume: Decimal | None
    created_at: float
    state: str = "wait"  # wait | done | cancel
    executed_volume: Decimal = Decimal(0)
    executed_funds: Decimal = Decimal(0)
    paid_fee: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)
    trades: list[dict[str, str]] = field(default_factory=list)
    filled_until: float = 0.0  # matched up to this second


class UpbitVenue:
    """One account on a local Upbit: its balances, its orders and the moving market."""

    def __init__(
        self,
        key: str,
        secret: str,
        *,
        seed: int = 1,
        krw: Decimal = Decimal(10_000_000),
        liquidity: Decimal = Decimal(1),
        state: Path | None = None,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
        limits: dict[str, int] | None = None,
    ) -> None:
        self.key, self._secret = key, secret.encode()
        self._clock = clock  # the market's time
        self._timer = timer  # real time: request rates and bans
        self._state = state
        self._liquidity = liquidity
        self.limits = dict(limits or LIMITS)
        self.balances: dict[str, Balance] = {"KRW": Balance(krw)}
        self.orders: dict[str, Order] = {}
        self._identifiers: set[str] = set()
        self._nonces: set[str] = set()
        self._calls: dict[str, deque[float]] = {group: deque() for group in LIMITS}
        self.requests = 0  # requests served
        self._refused: deque[float] = deque()
        self._banned_until = 0.0
        self._ban = BAN_SECONDS
        self.faults = Faults(self._ban_for)  # switched by the test (``POST /_venue/faults``)
        # Who hears the account's events (each private websocket's subscription).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.events_told = 0  # account events queued for the private websockets
        self.events_pushed = 0  # of which sent
        self.pushed_second = 0  # the venue's second whose account events are all sent
        started = clock()
        if state is not None and state.is_file():
            started = self._load(state)
        self._started = started
        self.walk = PriceWalk(seed, started, {m: p for m, (_, p) in MARKETS.items()},
                              lambda _, price: tick_size(price))  # fmt: skip

    # ------------------------------------------------------------------ state on disk

    def _load(self, path: Path) -> float:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.balances = {c: Balance(*(Decimal(v) for v in b)) for c, b in data["balances"].items()}
        for raw in data["orders"]:
            fields: dict[str, Any] = dict(raw)
            for name in ("price", "volume", *_DECIMALS):
                if fields.get(name) is not None:
                    fields[name] = Decimal(fields[name])
            order = Order(**fields)
            self.orders[order.uuid] = order
        self._identifiers = set(data["identifiers"])
        return float(data["started"])

    def save(self) -> None:
        """Write the account and orders to the state file, whole or not at all."""
        data = {
            "started": self._started,
            "balances": {
                c: [str(b.balance), str(b.locked), str(b.avg_buy_price)]
                for c, b in self.balances.items()
            },
            "orders": [
                {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(o).items()}
                for o in self.orders.values()
            ],
            "identifiers": sorted(self._identifiers),
        }
        save_whole(self._state, data)

    # ------------------------------------------------------------------ authentication

    def authenticate(self, header: str | None, query: dict[str, str]) -> None:
        """Check an exchange call's JWT as Upbit does; raise ``VenueError`` 401 when wrong."""
        if not header or not header.startswith("Bearer "):
            raise VenueError(401, "jwt_verification", "no Authorization: Bearer header")
        token = header.removeprefix("Bearer ")
        try:
            head, body, signature = token.split(".")
            claims = json.loads(_unb64(body))
            alg = json.loads(_unb64(head)).get("alg")
        except ValueError as error:
            raise VenueError(401, "jwt_verification", f"malformed token: {error}") from None
        expected = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), "sha256").digest())
        if alg != "HS256" or not hmac.compare_digest(expected, signature):
            raise VenueError(401, "jwt_verification", "the token's signature does not verify")
        if claims.get("access_key") != self.key:
            raise VenueError(401, "invalid_access_key", "unknown access key")
        nonce = claims.get("nonce")
        if not nonce or nonce in self._nonces:
            raise VenueError(401, "nonce_used", "the nonce was used before")
        self._nonces.add(nonce)
        if query:
            digest = hashlib.sha512(unquote(urlencode(query)).encode()).hexdigest()
            algorithm = claims.get("query_hash_alg", "SHA512")
            if claims.get("query_hash") != digest or algorithm != "SHA512":
                raise VenueError(401, "invalid_query_payload", "query_hash does not match")
        elif "query_hash" in claims:
            raise VenueError(401, "invalid_query_payload", "query_hash for no query")

    # ------------------------------------------------------------------ limits and faults

    def admit(self, group: str) -> int:
        """Count a request of *group*; return how many more this second may bring, or raise
        429 (over the limit) or 418 (banned: requests kept coming while refused)."""
        now = self._timer()
        if now < self._banned_until:
            raise VenueError(418, "too_many_requests",
                             f"banned for {self._banned_until - now:.0f} s more")  # fmt: skip
        calls = self._calls[group]
        while calls and calls[0] <= now - 1:
            calls.popleft()
        if self.fault("rate_limit") or len(calls) >= self.limits[group]:
            refused = self._refused
            refused.append(now)
            while refused and refused[0] <= now - 1:
                refused.popleft()
            if len(refused) > BAN_AFTER:
                self._banned_until, self._ban = now + self._ban, self._ban * 2
                refused.clear()
                raise VenueError(418, "too_many_requests", "too many requests: banned")
            limit = self.limits[group]
            raise VenueError(429, "too_many_requests", f"over {limit} a second ({group})")
        calls.append(now)
        self.requests += 1
        return self.limits[group] - len(calls)

    def _ban_for(self, seconds: float | None) -> None:
        self._banned_until = self._timer() + (seconds or BAN_SECONDS)

    def switch(self, fault: str, times: int = 1, seconds: float | None = None) -> None:
        """Make the next *times* requests meet *fault* (``ban``: for *seconds*)."""
        try:
            self.faults.switch(fault, times, seconds)
        except ValueError as error:
            raise VenueError(400, "validation_error", str(error)) from None

    def fault(self, name: str) -> bool:
        """Take one request of *name*'s fault, if it is switched on."""
        return self.faults.take(name)

    # ------------------------------------------------------------------ the market

    def now(self) -> float:
        return self._clock()

    def price(self, market: str) -> Decimal:
        return self.walk.price(market, self.now())

    def match(self) -> None:
        """Fill what the moving price and the liquidity allow, second by second, up to now."""
        now = self.now()
        changed = False
        for order in self.orders.values():
            if order.state != "wait":
                continue
            second = max(order.filled_until, order.created_at)
            while second <= now and order.state == "wait":
                changed |= self._fill(order, second)
                second += 1
            order.filled_until = second
        if changed:
            self.save()

    def _fill(self, order: Order, at: float) -> bool:
        price = self.walk.price(order.market, at)
        if order.ord_type == "limit":
            assert order.price is not None
            if (order.side == "bid" and price > order.price) or (
                order.side == "ask" and price < order.price
            ):
                return False
            # A limit order the market has reached trades at the market's price, never worse
            # than its own.
            price = min(price, order.price) if order.side == "bid" else max(price, order.price)
        base = order.market.split("-")[1]
        if order.ord_type == "price":  # a market buy spending ``price`` KRW
            assert order.price is not None
            left_funds = order.price - order.executed_funds
            quantity = min(self._liquidity, (left_funds / price).quantize(_Q, ROUND_DOWN))
        else:
            assert order.volume is not None
            quantity = min(self._liquidity, order.volume - order.executed_volume)
        if quantity <= 0:
            order.state = "done"
            self.report(order, "done")
            return True
        funds = quantity * price
        fee = (funds * FEE_RATE).quantize(_Q)
        krw, coin = self.balances["KRW"], self.balances.setdefault(base, Balance())
        if order.side == "bid":
            krw.locked -= funds + fee
            order.locked -= funds + fee
            total = coin.balance * coin.avg_buy_price + funds
            coin.balance += quantity
            coin.avg_buy_price = (total / coin.balance).quantize(_Q)
        else:
            coin.locked -= quantity
            order.locked -= quantity
            krw.balance += funds - fee
        order.executed_volume += quantity
        order.executed_funds += funds
        order.paid_fee += fee
        trade = {
            "uuid": str(uuid.uuid4()),
            "price": str(price),
            "volume": str(quantity),
            "funds": str(funds),
            "created_at": _kst(at),
        }
        order.trades.append(trade)
        self.report(order, "trade", trade, at)
        finished = (
            order.executed_funds >= (order.price or 0) - price
            if order.ord_type == "price"
            else order.executed_volume >= (order.volume or 0)
        )
        if finished:
            order.state = "done"
            self._unlock(order)
            self.report(order, "done")
        return True

    def _unlock(self, order: Order) -> None:
        """Give back what an order that ends still holds."""
        if order.locked <= 0:
            return
        if order.side == "bid":
            krw = self.balances["KRW"]
            krw.locked -= order.locked
            krw.balance += order.locked
        else:
            coin = self.balances[order.market.split("-")[1]]
            coin.locked -= order.locked
            coin.balance += order.locked
        order.locked = Decimal(0)

    # ------------------------------------------------------------------ orders

    def place(self, body: dict[str, Any]) -> Order:
        """Accept a new order (``POST /v1/orders``) or raise the venue's 400."""
        identifier = body.get("identifier")
        if identifier is not None:
            if identifier in self._identifiers:
                raise VenueError(400, "validation_error", f"identifier {identifier} was used")
            self._identifiers.add(identifier)  # used, whatever the outcome
            self.save()
        market, side, ord_type = body.get("market"), body.get("side"), body.get("ord_type")
        error = "create_bid_error" if side == "bid" else "create_ask_error"
        if market not in MARKETS or side not in ("bid", "ask"):
            raise VenueError(400, "validation_error", f"unknown market or side: {market} {side}")
        price = _decimal(body.get("price"))
        volume = _decimal(body.get("volume"))
        if ord_type == "limit" and (price is None or volume is None):
            raise VenueError(400, error, "a limit order needs price and volume")
        if ord_type == "price" and (side != "bid" or price is None or volume is not None):
            raise VenueError(400, error, "a market buy gives the KRW to spend as price only")
        if ord_type == "market" and (side != "ask" or volume is None or price is not None):
            raise VenueError(400, error, "a market sell gives the volume only")
        if ord_type not in ("limit", "price", "market"):
            raise VenueError(400, "validation_error", f"ord_type {ord_type} is not served here")
        if ord_type == "price":
            assert price is not None
            total = price
        else:
            assert volume is not None
            total = volume * (price or self.price(market))
        if total < MIN_TOTAL:
            raise VenueError(400, f"under_min_total_{side}", f"orders start at {MIN_TOTAL} KRW")
        order = Order(str(uuid.uuid4()), identifier, market, side, ord_type, price, volume,
                      self.now())  # fmt: skip
        if side == "bid":
            need = total * (1 + FEE_RATE)
            krw = self.balances["KRW"]
            if krw.balance < need:
                raise VenueError(400, "insufficient_funds_bid", "not enough KRW")
            krw.balance -= need
            krw.locked += need
            order.locked = need
        else:
            coin = self.balances.get(market.split("-")[1], Balance())
            assert volume is not None
            if coin.balance < volume:
                raise VenueError(400, "insufficient_funds_ask", "not enough to sell")
            coin.balance -= volume
            coin.locked += volume
            order.locked = volume
        self.orders[order.uuid] = order
        self.report(order, "wait")
        self._fill_due(order)
        self.save()
        return order

    def _fill_due(self, order: Order) -> None:
        """Match a new order at once against the price of the second it came in."""
        self._fill(order, order.created_at)
        order.filled_until = order.created_at + 1

    def find(self, query: dict[str, str]) -> Order:
        """Return the order named by ``uuid`` or ``identifier`` (``GET /v1/order``)."""
        wanted_uuid, identifier = query.get("uuid"), query.get("identifier")
        for order in self.orders.values():
            if (wanted_uuid and order.uuid == wanted_uuid) or (
                identifier and not wanted_uuid and order.identifier == identifier
            ):
                return order
        raise VenueError(404, "order_not_found", "no such order")

    def cancel(self, query: dict[str, str]) -> Order:
        """Cancel a waiting order (``DELETE /v1/order``)."""
        order = self.find(query)
        if order.state != "wait":
            raise VenueError(404, "order_not_found", "the order is no longer waiting")
        order.state = "cancel"
        self._unlock(order)
        self.report(order, "cancel")
        self.save()
        return order

    def report(
        self, order: Order, state: str, trade: dict[str, str] | None = None, at: float = 0.0
    ) -> None:
        """Tell the private websocket's listeners of *order*'s change, as Upbit's ``myOrder``
        (then ``myAsset`` with the balances). A ``trade`` carries the fill's price and volume."""
        if not self.listeners:
            return
        now = int(self.now() * 1000)
        remaining = (order.volume - order.executed_volume) if order.volume is not None else None
        event: dict[str, Any] = {
            "type": "myOrder", "code": order.market, "uuid": order.uuid,
            "ask_bid": order.side.upper(), "order_type": order.ord_type, "state": state,
            "trade_uuid": trade["uuid"] if trade else None,
            "price": float(trade["price"]) if trade else _float(order.price),
            "avg_price": float(order.executed_funds / order.executed_volume)
            if order.executed_volume else 0.0,
            "volume": float(trade["volume"]) if trade else _float(order.volume),
            "remaining_volume": _float(remaining),
            "executed_volume": float(order.executed_volume), "trades_count": len(order.trades),
            "reserved_fee": 0.0, "remaining_fee": 0.0, "paid_fee": float(order.paid_fee),
            "locked": float(order.locked), "executed_funds": float(order.executed_funds),
            "time_in_force": None, "trade_fee": None, "is_maker": None,
            "identifier": order.identifier,
            "trade_timestamp": int(at * 1000) if trade else None,
            "order_timestamp": int(order.created_at * 1000), "timestamp": now,
            "stream_type": "REALTIME",
        }  # fmt: skip
        assets = {
            "type": "myAsset", "asset_uuid": str(uuid.uuid4()), "timestamp": now,
            "assets": [{"currency": c, "balance": float(b.balance), "locked": float(b.locked)}
                       for c, b in self.balances.items()],
            "asset_timestamp": now, "stream_type": "REALTIME",
        }  # fmt: skip
        for listener in list(self.listeners):
            listener(event)
            listener(assets)


_Q = Decimal("0.00000001")
_DECIMALS = {"executed_volume", "executed_funds", "paid_fee", "locked"}


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise VenueError(400, "validation_error", f"not a number: {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise VenueError(400, "validation_error", f"not a positive number: {value!r}")
    return number


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _kst(at: float) -> str:
    return (datetime.fromtimestamp(at, UTC) + KST).strftime("%Y-%m-%dT%H:%M:%S+09:00")


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def order_json(order: Order, *, trades: bool = False) -> dict[str, Any]:
    """Return *order* as Upbit shows it."""
    remaining = (order.volume - order.executed_volume) if order.volume is not None else None
    answer: dict[str, Any] = {
        "uuid": order.uuid,
        "side": order.side,
        "ord_type": order.ord_type,
        "price": None if order.price is None else str(order.price),
        "state": order.state,
        "market": order.market,
        "created_at": _kst(order.created_at),
        "volume": None if order.volume is None else str(order.volume),
        "remaining_volume": None if remaining is None else str(remaining),
        "reserved_fee": "0",
        "remaining_fee": "0",
        "paid_fee": str(order.paid_fee),
        "locked": str(order.locked),
        "executed_volume": str(order.executed_volume),
        "executed_funds": str(order.executed_funds),
        "trades_count": len(order.trades),
    }
    if order.identifier is not None:
        answer["identifier"] = order.identifier
    if trades:
        answer["trades"] = [{"market": order.market, "side": order.side, **t} for t in order.trades]
    return answer


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(venue: UpbitVenue) -> web.Application:
    """Return the aiohttp application serving *venue* at ``/v1``."""

    def answer(data: object, status: int, group: str, left: int) -> web.Response:
        return web.json_response(
            data, status=status, headers={"Remaining-Req": f"group={group}; min=1800; sec={left}"}
        )

    async def guarded(
        request: web.Request, group: str, work: Callable[[], Awaitable[object]], status: int
    ) -> web.StreamResponse:
        """Serve one request through the venue's faults and limits, as Upbit answers them."""
        if venue.fault("server_error"):
            return web.Response(status=502, text=ERROR_PAGE, content_type="text/html")
        hang = venue.fault("hang")
        if venue.fault("drop"):
            drop(request)
            return web.Response(status=500)  # never reaches the client: the link is gone
        left = 0
        try:
            left = venue.admit(group)
        except VenueError as error:
            # Upbit's 429 and 418 come as plain text, not its JSON error (an assumption from
            # ccxt, which maps them by status: RateLimitExceeded, DDoSProtection).
            text = "Too many API requests." if error.status == 429 else "Banned: too many requests."
            spent = {"Remaining-Req": f"group={group}; min=0; sec=0"}
            return web.Response(status=error.status, text=text, headers=spent)
        try:
            if group == "order" and request.method == "POST" and venue.fault("reject_order"):
                raise VenueError(
                    400, "insufficient_funds_bid", "주문가능한 금액(KRW)이 부족합니다."
                )
            data = await work()
        except VenueError as error:
            body = {"error": {"name": error.name, "message": error.message}}
            return answer(body, error.status, group, left)
        if group == "order" and request.method == "POST" and venue.fault("lose_answer"):
            drop(request)  # the order stands; its answer is lost on the way
        if group == "order" and request.method == "POST" and venue.fault("hang_order"):
            hang = True  # the order stands; its answer comes too late
        if hang:
            await asyncio.sleep(venue.faults.hang_seconds)  # done, and the answer comes too late
        return answer(data, status, group, left)

    def quotation(handler: Callable[[web.Request], object]) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            async def work() -> object:
                return handler(request)

            return await guarded(request, "market", work, 200)

        return serve

    def exchange(handler: Callable[[web.Request, dict[str, Any]], object], status: int = 200,
                 group: str = "default") -> Handler:  # fmt: skip
        async def serve(request: web.Request) -> web.StreamResponse:
            async def work() -> object:
                if request.method == "POST":
                    params = await request.json()
                    signed = {k: str(v) for k, v in params.items()}
                else:
                    params = signed = dict(request.query)
                venue.authenticate(request.headers.get("Authorization"), signed)
                venue.match()
                return handler(request, params)

            return await guarded(request, group, work, status)

        return serve

    async def faults(request: web.Request) -> web.StreamResponse:
        """The test's switch (not Upbit's): ``{"fault": name, "times": n, "seconds": s}``."""
        body = await request.json()
        try:
            venue.switch(body["fault"], int(body.get("times", 1)), body.get("seconds"))
        except VenueError as error:
            return web.json_response({"error": {"name": error.name, "message": error.message}},
                                     status=error.status)  # fmt: skip
        if venue.faults.closing:
            venue.faults.closing = False
            await close_sockets(request.app)
        return web.json_response({"switched": body["fault"]})

    def markets(_: web.Request) -> object:
        return [{"market": m, "korean_name": n, "english_name": n} for m, (n, _) in MARKETS.items()]

    def wanted(request: web.Request) -> list[str]:
        names = [m for m in request.query.get("markets", "").split(",") if m]
        unknown = [m for m in names if m not in MARKETS]
        if not names or unknown:
            raise VenueError(404, "Code not found", f"unknown markets: {unknown or names}")
        return names

    def prices(market: str) -> dict[str, Any]:
        """Return the ticker fields Upbit's REST ticker and its websocket share."""
        now = venue.now()
        last = venue.walk.price(market, now)
        opened = MARKETS[market][1]
        return {
            "trade_price": float(last), "opening_price": float(opened),
            "high_price": float(max(last, opened)), "low_price": float(min(last, opened)),
            "prev_closing_price": float(opened), "trade_timestamp": int(now * 1000),
            "timestamp": int(now * 1000),
        }  # fmt: skip

    def ticker(request: web.Request) -> object:
        rows = []
        for market in wanted(request):
            fields = prices(market)
            traded = {"acc_trade_volume_24h": 1000.0,
                      "acc_trade_price_24h": fields["trade_price"] * 1000}  # fmt: skip
            rows.append({"market": market, **fields, **traded})
        return rows

    def book(market: str) -> dict[str, Any]:
        """Return the order book around the price, as Upbit's REST and websocket show it."""
        now = venue.now()
        last = venue.walk.price(market, now)
        unit = tick_size(last)
        units = [
            {"ask_price": float(last + unit * (i + 1)), "bid_price": float(last - unit * i),
             "ask_size": float(venue._liquidity), "bid_size": float(venue._liquidity)}
            for i in range(5)
        ]  # fmt: skip
        return {"timestamp": int(now * 1000), "orderbook_units": units}

    def orderbook(request: web.Request) -> object:
        return [{"market": market, **book(market)} for market in wanted(request)]

    def candles(request: web.Request) -> object:
        market = request.query.get("market", "")
        if market not in MARKETS:
            raise VenueError(404, "Code not found", f"unknown market: {market}")
        if request.match_info["unit"] != "1":
            raise VenueError(400, "validation_error", "minute candles of 1 only, here")
        count = min(200, int(request.query.get("count", "1")))
        to = request.query.get("to")
        end = venue.now() if to is None else _parse_to(to)
        last_minute = math.floor(end / 60) * 60 - 60  # the newest closed minute before ``to``
        rows = []
        for index in range(count):
            start = last_minute - 60 * index
            # The minute is its 60 seconds, as the websocket's one-second candles show them.
            prices = [venue.walk.price(market, start + s) for s in range(60)]
            rows.append({
                "market": market, "candle_date_time_utc": _utc(start),
                "candle_date_time_kst": _kst(start)[:19], "opening_price": float(prices[0]),
                "high_price": float(max(prices)), "low_price": float(min(prices)),
                "trade_price": float(prices[-1]), "timestamp": int((start + 60) * 1000),
                "candle_acc_trade_price": float(sum(prices) * SECOND_VOLUME),
                "candle_acc_trade_volume": float(60 * SECOND_VOLUME), "unit": 1,
            })  # fmt: skip
        return rows  # newest first, as Upbit answers

    def accounts(_: web.Request, __: dict[str, Any]) -> object:
        return [
            {"currency": c, "balance": str(b.balance), "locked": str(b.locked),
             "avg_buy_price": str(b.avg_buy_price), "avg_buy_price_modified": False,
             "unit_currency": "KRW"}
            for c, b in venue.balances.items()
            if c == "KRW" or b.balance or b.locked
        ]  # fmt: skip

    def create(_: web.Request, body: dict[str, Any]) -> object:
        return order_json(venue.place(body))

    def one(_: web.Request, query: dict[str, Any]) -> object:
        return order_json(venue.find(query), trades=True)

    def cancel(_: web.Request, query: dict[str, Any]) -> object:
        return order_json(venue.cancel(query))

    def open_orders(_: web.Request, query: dict[str, Any]) -> object:
        market = query.get("market")
        return [
            order_json(o)
            for o in venue.orders.values()
            if o.state == "wait" and (market is None or o.market == market)
        ]

    def pushed(kind: str, market: str) -> dict[str, Any]:
        """Return what Upbit's websocket pushes now for a *kind* subscription of *market*."""
        if kind == "ticker":
            fields = prices(market)
            traded = {"acc_trade_volume": 1000.0, "acc_trade_price": fields["trade_price"] * 1000}
            return {"type": "ticker", "code": market, **fields, **traded,
                    "stream_type": "REALTIME"}  # fmt: skip
        if kind == "orderbook":
            return {"type": "orderbook", "code": market, **book(market),
                    "stream_type": "REALTIME"}  # fmt: skip
        now = venue.now()
        last = venue.walk.price(market, now)
        second = math.floor(now)
        return {
            "type": "candle.1s", "code": market, "candle_date_time_utc": _utc(second),
            "candle_date_time_kst": _kst(second)[:19], "opening_price": float(last),
            "high_price": float(last), "low_price": float(last), "trade_price": float(last),
            "candle_acc_trade_volume": float(SECOND_VOLUME),
            "candle_acc_trade_price": float(last * SECOND_VOLUME),
            "timestamp": int(now * 1000), "stream_type": "REALTIME",
        }  # fmt: skip

    async def websocket(request: web.Request) -> web.StreamResponse:
        """Upbit's quotation websocket: a JSON list ``[{"ticket"}, {"type", "codes"}, …]``
        subscribes; each is pushed once every second of the venue's clock, as binary frames."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        wanted: list[tuple[str, str]] = []

        async def push() -> None:
            # Each second of the venue's clock is pushed once, as it begins (the clock is the
            # test's in a rehearsal: its seconds come as fast as the test moves it).
            pushed_second: int | None = None
            while not socket.closed:
                second = math.floor(venue.now())
                if second != pushed_second and not venue.faults.silent:
                    pushed_second = second
                    for kind, market in list(wanted):
                        await socket.send_bytes(json.dumps(pushed(kind, market)).encode())
                await asyncio.sleep(PUSH_POLL)

        pushing: asyncio.Task[None] | None = None
        try:
            async for message in socket:
                if message.type not in (web.WSMsgType.TEXT, web.WSMsgType.BINARY):
                    continue
                # A subscription replaces the connection's last one, and each of its streams
                # starts with a snapshot, as at Upbit.
                wanted[:] = [
                    (part["type"], code)
                    for part in json.loads(message.data)
                    if part.get("type") in ("ticker", "orderbook", "candle.1s")
                    for code in part.get("codes", ())
                    if code in MARKETS
                ]
                if not venue.faults.silent:
                    for kind, market in list(wanted):
                        frame = {**pushed(kind, market), "stream_type": "SNAPSHOT"}
                        await socket.send_bytes(json.dumps(frame).encode())
                if pushing is None:
                    pushing = asyncio.create_task(push())
        finally:
            sockets.discard(socket)
            if pushing is not None:
                pushing.cancel()
        return socket

    async def private(request: web.Request) -> web.StreamResponse:
        """Upbit's private websocket (``/websocket/v1/private``): the connection is
        authenticated by a JWT in its ``Authorization`` header, as a REST call without a query;
        ``[{"ticket"}, {"type": "myOrder"}, {"type": "myAsset"}]`` subscribes it to the
        account's events, pushed as binary JSON frames. The venue matches its resting orders
        each of its seconds meanwhile."""
        try:
            venue.authenticate(request.headers.get("Authorization"), {})
        except VenueError as error:
            body = {"error": {"name": error.name, "message": error.message}}
            return web.json_response(body, status=error.status)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        kinds: set[str] = set()

        def heard(event: dict[str, Any]) -> None:
            if event["type"] in kinds:
                queue.put_nowait(event)
                venue.events_told += 1

        async def push() -> None:
            matched_second: int | None = None
            while not socket.closed:
                second = math.floor(venue.now())
                if second != matched_second:
                    matched_second = second
                    venue.match()
                while not queue.empty():
                    frame = queue.get_nowait()
                    if not venue.faults.silent:
                        await socket.send_bytes(json.dumps(frame).encode())
                        venue.events_pushed += 1
                venue.pushed_second = second
                await asyncio.sleep(PUSH_POLL)

        venue.listeners.append(heard)
        pushing = asyncio.create_task(push())
        try:
            async for message in socket:
                if message.type not in (web.WSMsgType.TEXT, web.WSMsgType.BINARY):
                    continue
                kinds.clear()
                kinds.update(
                    part["type"] for part in json.loads(message.data)
                    if part.get("type") in ("myOrder", "myAsset")
                )  # fmt: skip
        finally:
            sockets.discard(socket)
            venue.listeners.remove(heard)
            pushing.cancel()
        return socket

    sockets: set[web.WebSocketResponse] = set()

    async def close_sockets(_: web.Application) -> None:
        """A venue that stops closes its sockets (aiohttp waits for them otherwise)."""
        for socket in list(sockets):
            await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"venue stopping")

    app = web.Application()
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/websocket/v1", websocket)
    app.router.add_get("/websocket/v1/private", private)
    app.router.add_get("/v1/market/all", quotation(markets))
    app.router.add_get("/v1/ticker", quotation(ticker))
    app.router.add_get("/v1/orderbook", quotation(orderbook))
    app.router.add_get("/v1/candles/minutes/{unit}", quotation(candles))
    app.router.add_get("/v1/accounts", exchange(accounts))
    app.router.add_post("/v1/orders", exchange(create, 201, "order"))
    app.router.add_get("/v1/order", exchange(one))
    app.router.add_delete("/v1/order", exchange(cancel, group="order"))
    app.router.add_get("/v1/orders/open", exchange(open_orders))
    app.router.add_post("/_venue/faults", faults)
    return app


def _parse_to(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise VenueError(400, "validation_error", f"to: not a time: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
