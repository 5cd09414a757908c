"""A local copy of Binance Spot's REST API and market streams, to rehearse against on 127.0.0.1.

It speaks Binance's documented wire protocol (developers.binance.com, Spot API): the market
endpoints (``/api/v3/ping``, ``time``, ``exchangeInfo`` with each symbol's PRICE_FILTER,
LOT_SIZE and NOTIONAL filters, ``depth``, ``ticker/24hr``, ``ticker/bookTicker``, ``klines``)
and the signed account endpoints (``account``, ``order``: place, look up and cancel by
``origClientOrderId`` or ``orderId``, ``openOrders``, ``myTrades``). A signed request carries
``X-MBX-APIKEY`` and ``timestamp``, ``recvWindow`` and ``signature`` = HMAC-SHA256 of the query
string followed by the body, with the secret key; an unknown key, a signature that does not
verify, or a timestamp outside the receive window is refused with Binance's codes (-2015,
-1022, -1021). Errors are ``{"code", "msg"}``.

The account holds USDT and coins. Market orders sweep the order book's five levels a side,
each ``liquidity`` deep, and what the book cannot fill expires, as at Binance; limit orders
rest and fill at most ``liquidity`` a second while the seeded random walk of the price crosses
them, so that they fill in parts. Fees are Binance's default 0.1 %, taken from the asset
received (the coin of a buy, the USDT of a sell), or 0.075 % in BNB when the account pays fees
with BNB (``bnb_fees``) and holds enough of it. A ``newClientOrderId`` must be unique among
open orders only, as Binance documents. The state is written to *state* after every change.

Limits, as Binance documents them: 6,000 request weight a minute per address (each endpoint
its weight; ``X-MBX-USED-WEIGHT-1M`` tells what is used) and 100 orders per 10 seconds
(``X-MBX-ORDER-COUNT-10S``); over them 429 with ``Retry-After``, and an address that keeps
sending while refused is banned with 418 and ``Retry-After``, each ban twice the last.

Market streams (``/ws``, ``/stream?streams=``, and ``{"method": "SUBSCRIBE"}``) push
``<symbol>@ticker``, ``<symbol>@bookTicker`` and ``<symbol>@kline_1m`` once a second of the
venue's clock; the last push of a minute has ``"x": true``.

Faults, switched by a test through ``POST /_venue/faults`` (not Binance's): as the local Upbit's.

Run: ``python -m tests.venues binance --port 8602 --key K --secret S --seed 1 [--state FILE]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from tests.venues.market import ERROR_PAGE, PUSH_POLL, Faults, PriceWalk, drop, save_whole

# symbol -> (base, quote, opening price, tick size, lot step, minimum notional)
SYMBOLS = {
    "BTCUSDT": ("BTC", "USDT", Decimal(60_000), Decimal("0.01"), Decimal("0.00001"), Decimal(5)),
    "ETHUSDT": ("ETH", "USDT", Decimal(3_000), Decimal("0.01"), Decimal("0.0001"), Decimal(5)),
    "BNBUSDT": ("BNB", "USDT", Decimal(600), Decimal("0.01"), Decimal("0.001"), Decimal(5)),
}
FEE_RATE = Decimal("0.001")  # Binance's standard spot fee, 0.1 %
BNB_FEE_RATE = Decimal("0.00075")  # the same, 25 % off, when fees are paid with BNB
WEIGHT_LIMIT = 6000  # request weight a minute per address
ORDER_LIMIT = 100  # orders per 10 seconds per account
BAN_AFTER = 5  # requests refused with 429 within a second, after which the address is banned
BAN_SECONDS = 120.0  # Binance's first ban, two minutes; each next one is twice as long
RECV_WINDOW = 5000  # milliseconds, when a request names none
MAX_RECV_WINDOW = 60000
SECOND_VOLUME = Decimal("0.1")  # what the market trades a second (its candles' volume)
LEVELS = 5  # order book levels a side
_Q = Decimal("0.00000001")


class VenueError(Exception):
    """An answer Binance gives as ``{"code", "msg"}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET
    price: Decimal | None
    quantity: Decimal | None
    quote_quantity: Decimal | None  # a market buy that spends this much USDT
    created_at: float
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote_executed: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)
    updated_at: float = 0.0
    filled_until: float = 0.0
    trades: list[dict[str, Any]] = field(default_factory=list)


class BinanceVenue:
    """One account on a local Binance Spot: its balances, orders, trades and the market."""

    def __init__(
        self,
        key: str,
        secret: str,
        *,
        seed: int = 1,
        usdt: Decimal = Decimal(100_000),
        bnb: Decimal = Decimal(0),
        bnb_fees: bool = False,
        liquidity: Decimal = Decimal(1),
        state: Path | None = None,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        weight_limit: int = WEIGHT_LIMIT,
        order_limit: int = ORDER_LIMIT,
    ) -> None:
        """*clock* is the market's time, *timer* real time (limits and bans) and *wall* the
        server time a request's ``timestamp`` is checked against."""
        self.key, self._secret = key, secret.encode()
        self._clock, self._timer, self._wall = clock, timer, wall
        self._state = state
        self.liquidity = liquidity
        self.bnb_fees = bnb_fees
        self.weight_limit, self.order_limit = weight_limit, order_limit
        self.balances: dict[str, list[Decimal]] = {"USDT": [usdt, Decimal(0)]}  # free, locked
        if bnb:
            self.balances["BNB"] = [bnb, Decimal(0)]
        self.orders: dict[int, Order] = {}
        self.next_order_id = 1
        self.next_trade_id = 1
        self._weight: tuple[int, int] = (0, 0)  # (minute, weight used in it)
        self.requests = 0  # REST requests served
        self._orders_sent: list[float] = []
        self._refused: list[float] = []
        self._banned_until = 0.0
        self._ban = BAN_SECONDS
        self.faults = Faults(self._ban_for)
        # Who hears the account's events (each user-data subscription of the WebSocket API).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.events_told = 0  # account events queued for the WebSocket API's subscribers
        self.events_pushed = 0  # of which sent
        self.pushed_second = 0  # the venue's second whose account events are all sent
        started = clock()
        if state is not None and state.is_file():
            started = self._load(state)
        self._started = started
        self.walk = PriceWalk(
            seed, started, {s: v[2] for s, v in SYMBOLS.items()}, lambda s, _: SYMBOLS[s][3]
        )

    # ------------------------------------------------------------------ state on disk

    def _load(self, path: Path) -> float:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.balances = {a: [Decimal(v) for v in b] for a, b in data["balances"].items()}
        for raw in data["orders"]:
            fields = dict(raw)
            for name in ("price", "quantity", "quote_quantity", "executed", "quote_executed",
                         "locked"):  # fmt: skip
                if fields.get(name) is not None:
                    fields[name] = Decimal(fields[name])
            order = Order(**fields)
            self.orders[order.order_id] = order
        self.next_order_id, self.next_trade_id = data["next_order_id"], data["next_trade_id"]
        self.bnb_fees = data["bnb_fees"]
        return float(data["started"])

    def save(self) -> None:
        """Write the account and its orders to the state file, whole or not at all."""
        save_whole(
            self._state,
            {
                "started": self._started,
                "balances": {a: [str(v) for v in b] for a, b in self.balances.items()},
                "orders": [
                    {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(o).items()}
                    for o in self.orders.values()
                ],
                "next_order_id": self.next_order_id,
                "next_trade_id": self.next_trade_id,
                "bnb_fees": self.bnb_fees,
            },
        )

    # ------------------------------------------------------------------ authentication

    def authenticate(self, api_key: str | None, query: str, body: str) -> dict[str, str]:
        """Check a signed request as Binance does; return its parameters."""
        if not api_key:
            raise VenueError(401, -2014, "API-key format invalid.")
        if api_key != self.key:
            raise VenueError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signed, signature = [], None
        for text in (query, body):
            parts = [p for p in text.split("&") if p]
            for part in parts:
                if part.startswith("signature="):
                    signature = part.removeprefix("signature=")
            signed.append("&".join(p for p in parts if not p.startswith("signature=")))
        if signature is None:
            raise VenueError(400, -1102, "Mandatory parameter 'signature' was not sent.")
        total = signed[0] + signed[1]
        expected = hmac.new(self._secret, total.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise VenueError(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(signed[0])) | dict(parse_qsl(signed[1]))
        try:
            stamp = int(params["timestamp"])
            window = int(params.get("recvWindow", RECV_WINDOW))
        except (KeyError, ValueError):
            raise VenueError(400, -1102, "Mandatory parameter 'timestamp' was not sent.") from None
        if not 0 < window <= MAX_RECV_WINDOW:
            raise VenueError(400, -1131, "recvWindow must be less than 60000")
        server = int(self._wall() * 1000)
        if stamp >= server + 1000:
            raise VenueError(400, -1021, "Timestamp for this request was 1000ms ahead of the "
                             "server's time.")  # fmt: skip
        if server - stamp > window:
            raise VenueError(400, -1021, "Timestamp for this request is outside of the "
                             "recvWindow.")  # fmt: skip
        return params

    def authenticate_params(self, params: dict[str, Any]) -> None:
        """Check a WebSocket API request signed as Binance documents: the HMAC-SHA256 of its
        parameters but the signature, in alphabetical order, as a query string."""
        if params.get("apiKey") != self.key:
            raise VenueError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signature = str(params.pop("signature", ""))
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise VenueError(400, -1022, "Signature for this request is not valid.")
        stamp = int(params.get("timestamp", 0))
        server = int(self._wall() * 1000)
        if stamp >= server + 1000 or server - stamp > RECV_WINDOW:
            raise VenueError(400, -1021, "Timestamp for this request is outside of the "
                             "recvWindow.")  # fmt: skip

    # ------------------------------------------------------------------ limits and faults

    def _ban_for(self, seconds: float | None) -> None:
        self._banned_until = self._timer() + (seconds or BAN_SECONDS)

    def admit(self, weight: int, order: bool) -> dict[str, str]:
        """Count a request of *weight* (and an order); return the usage headers, or raise 429
        (over a limit) or 418 (banned: requests kept coming while refused)."""
        now = self._timer()
        if now < self._banned_until:
            until = int((self._wall() + self._banned_until - now) * 1000)
            raise _LimitedError(418, -1003, f"Way too much request weight used; IP banned until "
                           f"{until}. Please use WebSocket Streams for live updates to avoid "
                           "bans.", self._banned_until - now)  # fmt: skip
        minute = math.floor(now / 60)
        used = self._weight[1] if self._weight[0] == minute else 0
        self._orders_sent = [t for t in self._orders_sent if t > now - 10]
        over: _LimitedError | None = None
        switched = self.faults.take("rate_limit")
        if switched or used + weight > self.weight_limit:
            told = self.faults.rate_limit_seconds if switched else None
            over = _LimitedError(429, -1003, f"Too much request weight used; current limit is "
                            f"{self.weight_limit} request weight per 1 MINUTE. Please use "
                            "WebSocket Streams for live updates to avoid polling the API.",
                            told or 60 * (minute + 1) - now)  # fmt: skip
        elif order and len(self._orders_sent) >= self.order_limit:
            over = _LimitedError(429, -1015, f"Too many new orders; current limit is "
                            f"{self.order_limit} orders per 10 SECOND.",
                            10 - (now - self._orders_sent[0]))  # fmt: skip
        if over is not None:
            self._refused = [t for t in self._refused if t > now - 1] + [now]
            if len(self._refused) > BAN_AFTER:
                self._banned_until, self._ban = now + self._ban, self._ban * 2
                self._refused.clear()
                until = int((self._wall() + self._banned_until - now) * 1000)
                raise _LimitedError(418, -1003, f"Way too much request weight used; IP banned "
                               f"until {until}.", self._banned_until - now)  # fmt: skip
            raise over
        self._weight = (minute, used + weight)
        self.requests += 1
        if order:
            self._orders_sent.append(now)
        headers = {"X-MBX-USED-WEIGHT-1M": str(used + weight)}
        if order:
            headers["X-MBX-ORDER-COUNT-10S"] = str(len(self._orders_sent))
        return headers

    # ------------------------------------------------------------------ the market

    def now(self) -> float:
        return self._clock()

    def price(self, symbol: str, at: float | None = None) -> Decimal:
        return self.walk.price(symbol, self.now() if at is None else at)

    def book(self, symbol: str) -> tuple[list[Decimal], list[Decimal]]:
        """Return the book's bid and ask prices, best first (each level ``liquidity`` deep)."""
        last, tick = self.price(symbol), SYMBOLS[symbol][3]
        bids = [last - tick * i for i in range(LEVELS)]
        asks = [last + tick * (i + 1) for i in range(LEVELS)]
        return bids, asks

    def match(self) -> None:
        """Fill resting orders the moving price reaches, second by second, up to now."""
        now = self.now()
        changed = False
        for order in self.orders.values():
            if order.status not in ("NEW", "PARTIALLY_FILLED"):
                continue
            second = max(order.filled_until, order.created_at)
            while second <= now and order.status in ("NEW", "PARTIALLY_FILLED"):
                changed |= self._rest_fill(order, second)
                second += 1
            order.filled_until = second
        if changed:
            self.save()

    def _rest_fill(self, order: Order, at: float) -> bool:
        assert order.price is not None
        assert order.quantity is not None
        price = self.walk.price(order.symbol, at)
        if (order.side == "BUY" and price > order.price) or (
            order.side == "SELL" and price < order.price
        ):
            return False
        # A limit order the market reaches trades at the market's price, never worse.
        price = min(price, order.price) if order.side == "BUY" else max(price, order.price)
        quantity = min(self.liquidity, order.quantity - order.executed)
        self._trade(order, price, quantity, at, maker=True)
        if order.executed >= order.quantity:
            order.status = "FILLED"
            self._unlock(order)
        return True

    def _trade(self, order: Order, price: Decimal, quantity: Decimal, at: float,
               *, maker: bool) -> None:  # fmt: skip
        base, quote = SYMBOLS[order.symbol][:2]
        value = price * quantity
        free = self.balances.setdefault
        if order.side == "BUY":
            if order.type == "LIMIT":
                order.locked -= value
                self.balances[quote][1] -= value
            else:
                free(quote, [Decimal(0), Decimal(0)])[0] -= value
            received, got = base, quantity
        else:
            order.locked -= quantity
            self.balances[base][1] -= quantity
            received, got = quote, value
        fee, fee_asset = self._fee(value, received, got)
        free(received, [Decimal(0), Decimal(0)])[0] += got
        free(fee_asset, [Decimal(0), Decimal(0)])[0] -= fee
        order.executed += quantity
        order.quote_executed += value
        done = order.quantity is not None and order.executed >= order.quantity
        order.status = "FILLED" if done else "PARTIALLY_FILLED"
        order.updated_at = at
        trade = {
            "id": self.next_trade_id, "price": _text(price), "qty": _text(quantity),
            "quoteQty": _text(value), "commission": _text(fee), "commissionAsset": fee_asset,
            "time": int(at * 1000), "isMaker": maker,
        }  # fmt: skip
        order.trades.append(trade)
        self.next_trade_id += 1
        self.report(order, "TRADE", trade)

    def _fee(self, value: Decimal, received: str, got: Decimal) -> tuple[Decimal, str]:
        """Return the fee on a trade worth *value* and the asset it is taken in."""
        if self.bnb_fees:
            fee = (value * BNB_FEE_RATE / self.price("BNBUSDT")).quantize(_Q)
            if self.balances.get("BNB", [Decimal(0)])[0] >= fee:
                return fee, "BNB"
        return (got * FEE_RATE).quantize(_Q), received

    def _unlock(self, order: Order) -> None:
        """Give back what an order that ends still holds."""
        if order.locked <= 0:
            return
        base, quote = SYMBOLS[order.symbol][:2]
        asset = quote if order.side == "BUY" else base
        self.balances[asset][1] -= order.locked
        self.balances[asset][0] += order.locked
        order.locked = Decimal(0)

    # ------------------------------------------------------------------ orders

    def place(self, params: dict[str, str]) -> Order:
        """Accept a new order (``POST /api/v3/order``) or raise Binance's refusal."""
        symbol = params.get("symbol", "")
        if symbol not in SYMBOLS:
            raise VenueError(400, -1121, "Invalid symbol.")
        side, kind = params.get("side"), params.get("type")
        if side not in ("BUY", "SELL"):
            raise VenueError(400, -1100, "Illegal characters found in parameter 'side'.")
        if kind not in ("LIMIT", "MARKET"):
            raise VenueError(400, -1116, "Invalid orderType.")
        cid = params.get("newClientOrderId") or f"web_{self.next_order_id}"
        if len(cid) > 36 or not all(c.isalnum() or c in "-_" for c in cid):
            legal = "legal range is '^[a-zA-Z0-9-_]{1,36}$'."
            raise VenueError(400, -1100, f"Illegal characters in 'newClientOrderId'; {legal}")
        if any(o.client_order_id == cid and o.status in ("NEW", "PARTIALLY_FILLED")
               for o in self.orders.values()):  # fmt: skip
            raise VenueError(400, -2010, "Duplicate order sent.")
        base, quote, _, tick, step, min_notional = SYMBOLS[symbol]
        price = _number(params.get("price"), "price")
        quantity = _number(params.get("quantity"), "quantity")
        spend = _number(params.get("quoteOrderQty"), "quoteOrderQty")
        if kind == "LIMIT":
            if price is None or quantity is None or params.get("timeInForce") != "GTC":
                raise VenueError(400, -1102, "A LIMIT order needs price, quantity and "
                                 "timeInForce GTC here.")  # fmt: skip
            if price % tick:
                raise VenueError(400, -1013, "Filter failure: PRICE_FILTER")
        elif (quantity is None) == (spend is None) or price is not None:
            raise VenueError(400, -1102, "A MARKET order needs quantity or quoteOrderQty.")
        if quantity is not None and (quantity % step or quantity < step):
            raise VenueError(400, -1013, "Filter failure: LOT_SIZE")
        if spend is not None:
            value = spend
        else:
            assert quantity is not None
            value = quantity * (price or self.price(symbol))
        if value < min_notional:
            raise VenueError(400, -1013, "Filter failure: NOTIONAL")
        order = Order(self.next_order_id, cid, symbol, side, kind, price, quantity, spend,
                      self.now(), updated_at=self.now())  # fmt: skip
        free = self.balances.setdefault(quote if side == "BUY" else base, [Decimal(0)] * 2)
        if side == "BUY":
            need = value if kind == "LIMIT" else value * Decimal("1.01")  # the book's slope
            if free[0] < need:
                raise VenueError(400, -2010, "Account has insufficient balance for requested "
                                 "action.")  # fmt: skip
            if kind == "LIMIT":
                free[0], free[1], order.locked = free[0] - value, free[1] + value, value
        else:
            assert quantity is not None
            if free[0] < quantity:
                raise VenueError(400, -2010, "Account has insufficient balance for requested "
                                 "action.")  # fmt: skip
            free[0], free[1], order.locked = free[0] - quantity, free[1] + quantity, quantity
        self.next_order_id += 1
        self.orders[order.order_id] = order
        self.report(order, "NEW")
        if kind == "MARKET":
            self._sweep(order)
        else:
            # A limit order takes at once what the market's price of this second allows.
            self._rest_fill(order, order.created_at)
            order.filled_until = order.created_at + 1
        self.save()
        return order

    def _sweep(self, order: Order) -> None:
        """Fill a market order against the book, level by level; what is left expires."""
        bids, asks = self.book(order.symbol)
        levels = asks if order.side == "BUY" else bids
        base_step = SYMBOLS[order.symbol][4]
        for level in levels:
            if order.quote_quantity is not None:
                left = order.quote_quantity - order.quote_executed
                take = (min(self.liquidity, left / level) / base_step).to_integral_value(
                    ROUND_DOWN
                ) * base_step
            else:
                assert order.quantity is not None
                take = min(self.liquidity, order.quantity - order.executed)
            if take <= 0:
                break
            self._trade(order, level, take, order.created_at, maker=False)
        done = order.quantity is not None and order.executed >= order.quantity
        order.status = "FILLED" if done else "EXPIRED"
        self._unlock(order)
        if not done:
            self.report(order, "EXPIRED")

    def find(self, params: dict[str, str]) -> Order:
        """Return the order named by ``orderId`` or ``origClientOrderId`` on ``symbol``."""
        symbol = params.get("symbol")
        if symbol not in SYMBOLS:
            raise VenueError(400, -1121, "Invalid symbol.")
        wanted_id, cid = params.get("orderId"), params.get("origClientOrderId")
        if wanted_id is None and cid is None:
            raise VenueError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, "
                             "but both were empty/null!")  # fmt: skip
        # The newest order of an id: an id is unique among open orders only.
        for order in sorted(self.orders.values(), key=lambda o: -o.order_id):
            if order.symbol == symbol and (
                (wanted_id is not None and str(order.order_id) == wanted_id)
                or (wanted_id is None and order.client_order_id == cid)
            ):
                return order
        raise VenueError(400, -2013, "Order does not exist.")

    def cancel(self, params: dict[str, str]) -> Order:
        """Cancel a working order (``DELETE /api/v3/order``)."""
        try:
            order = self.find(params)
        except VenueError as error:
            if error.code == -2013:
                raise VenueError(400, -2011, "Unknown order sent.") from None
            raise
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise VenueError(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.updated_at = self.now()
        self._unlock(order)
        self.report(order, "CANCELED")
        self.save()
        return order

    def report(self, order: Order, execution: str, trade: dict[str, Any] | None = None) -> None:
        """Tell the account's listeners of *order*'s change, as Binance's ``executionReport``
        (then ``outboundAccountPosition`` with the balances)."""
        if not self.listeners:
            return
        now = int(self.now() * 1000)
        zero = _text(Decimal(0))
        event: dict[str, Any] = {
            "e": "executionReport", "E": now, "s": order.symbol, "c": order.client_order_id,
            "S": order.side, "o": order.type, "f": "GTC",
            "q": _text(order.quantity or Decimal(0)), "p": _text(order.price or Decimal(0)),
            "P": zero, "F": zero, "g": -1, "C": "", "x": execution, "X": order.status,
            "r": "NONE", "i": order.order_id, "l": trade["qty"] if trade else zero,
            "z": _text(order.executed), "L": trade["price"] if trade else zero,
            "n": trade["commission"] if trade else "0", "N": trade["commissionAsset"] if trade
            else None, "T": trade["time"] if trade else int(order.updated_at * 1000),
            "t": trade["id"] if trade else -1, "I": 0,
            "w": order.status in ("NEW", "PARTIALLY_FILLED"),
            "m": bool(trade and trade["isMaker"]), "M": bool(trade),
            "O": int(order.created_at * 1000), "Z": _text(order.quote_executed),
            "Y": trade["quoteQty"] if trade else zero,
            "Q": _text(order.quote_quantity or Decimal(0)), "W": int(order.created_at * 1000),
            "V": "EXPIRE_MAKER",
        }  # fmt: skip
        if execution == "CANCELED":  # the cancel's own id, and the order's as the original
            event["c"], event["C"] = f"cancel_{order.order_id}", order.client_order_id
        balances = {
            "e": "outboundAccountPosition", "E": now, "u": now,
            "B": [{"a": a, "f": _text(b[0]), "l": _text(b[1])} for a, b in self.balances.items()],
        }  # fmt: skip
        for listener in list(self.listeners):
            listener(event)
            listener(balances)


class _LimitedError(VenueError):
    """A 429 or 418, with the seconds ``Retry-After`` says."""

    def __init__(self, status: int, code: int, message: str, retry_after: float) -> None:
        super().__init__(status, code, message)
        self.retry_after = max(1, math.ceil(retry_after))


def _number(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise VenueError(400, -1100, f"Illegal characters found in parameter '{name}'.") from None
    if not number.is_finite() or number <= 0:
        raise VenueError(400, -1013, f"Invalid {name}.")
    return number


def _text(value: Decimal) -> str:
    return f"{value:.8f}"


def order_json(order: Order, *, fills: bool = False) -> dict[str, Any]:
    """Return *order* as Binance shows it (``fills``: the answer to a placement, FULL)."""
    answer: dict[str, Any] = {
        "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_order_id, "price": _text(order.price or Decimal(0)),
        "origQty": _text(order.quantity or Decimal(0)), "executedQty": _text(order.executed),
        "cummulativeQuoteQty": _text(order.quote_executed), "status": order.status,
        "timeInForce": "GTC", "type": order.type, "side": order.side,
        "stopPrice": _text(Decimal(0)), "icebergQty": _text(Decimal(0)),
        "time": int(order.created_at * 1000), "updateTime": int(order.updated_at * 1000),
        "isWorking": order.type == "LIMIT", "workingTime": int(order.created_at * 1000),
        "origQuoteOrderQty": _text(order.quote_quantity or Decimal(0)),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }  # fmt: skip
    if fills:
        answer["transactTime"] = int(order.created_at * 1000)
        answer["fills"] = [
            {"price": t["price"], "qty": t["qty"], "commission": t["commission"],
             "commissionAsset": t["commissionAsset"], "tradeId": t["id"]}
            for t in order.trades
        ]  # fmt: skip
    return answer


def trade_json(order: Order, trade: dict[str, Any]) -> dict[str, Any]:
    """Return one of *order*'s trades as ``myTrades`` lists it."""
    return {
        "symbol": order.symbol, "id": trade["id"], "orderId": order.order_id, "orderListId": -1,
        "price": trade["price"], "qty": trade["qty"], "quoteQty": trade["quoteQty"],
        "commission": trade["commission"], "commissionAsset": trade["commissionAsset"],
        "time": trade["time"], "isBuyer": order.side == "BUY", "isMaker": trade["isMaker"],
        "isBestMatch": True,
    }  # fmt: skip


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(venue: BinanceVenue) -> web.Application:
    """Return the aiohttp application serving *venue* at ``/api/v3`` and its streams."""

    async def guarded(
        request: web.Request, weight: int, work: Callable[[], Awaitable[object]],
        order: bool = False,
    ) -> web.StreamResponse:  # fmt: skip
        """Serve one request through the venue's faults and limits, as Binance answers them."""
        if venue.faults.take("server_error"):
            return web.Response(status=502, text=ERROR_PAGE, content_type="text/html")
        hang = venue.faults.take("hang")
        if venue.faults.take("drop"):
            drop(request)
            return web.Response(status=500)  # never reaches the client: the link is gone
        try:
            headers = venue.admit(weight, order)
        except _LimitedError as error:
            return web.json_response(
                {"code": error.code, "msg": error.message},
                status=error.status,
                headers={"Retry-After": str(error.retry_after)},
            )
        try:
            data = await work()
        except VenueError as error:
            return web.json_response({"code": error.code, "msg": error.message},
                                     status=error.status, headers=headers)  # fmt: skip
        if order and venue.faults.take("lose_answer"):
            drop(request)  # the order stands; its answer is lost on the way
        if order and venue.faults.take("hang_order"):
            hang = True  # the order stands; its answer comes too late
        if hang:
            await asyncio.sleep(venue.faults.hang_seconds)  # done, and the answer comes too late
        return web.json_response(data, headers=headers)

    def public(handler: Callable[[web.Request], object],
               weight: Callable[[web.Request], int] | int = 1) -> Handler:  # fmt: skip
        async def serve(request: web.Request) -> web.StreamResponse:
            async def work() -> object:
                return handler(request)

            cost = weight(request) if callable(weight) else weight
            return await guarded(request, cost, work)

        return serve

    def signed(handler: Callable[[dict[str, str]], object],
               weight: Callable[[dict[str, str]], int] | int = 1,
               order: bool = False) -> Handler:  # fmt: skip
        async def serve(request: web.Request) -> web.StreamResponse:
            body = (await request.text()) if request.can_read_body else ""
            params = dict(parse_qsl(request.query_string)) | dict(parse_qsl(body))
            cost = weight(params) if callable(weight) else weight

            async def work() -> object:
                checked = venue.authenticate(
                    request.headers.get("X-MBX-APIKEY"), request.query_string, body
                )
                venue.match()
                return handler(checked)

            return await guarded(request, cost, work, order)

        return serve

    async def faults(request: web.Request) -> web.StreamResponse:
        """The test's switch (not Binance's): ``{"fault": name, "times": n, "seconds": s}``."""
        body = await request.json()
        try:
            venue.faults.switch(body["fault"], int(body.get("times", 1)), body.get("seconds"))
        except ValueError as error:
            return web.json_response({"code": -1, "msg": str(error)}, status=400)
        if venue.faults.closing:
            venue.faults.closing = False
            await close_sockets(request.app)
        return web.json_response({"switched": body["fault"]})

    def symbol_of(request: web.Request) -> str:
        symbol = request.query.get("symbol", "")
        if symbol not in SYMBOLS:
            raise VenueError(400, -1121, "Invalid symbol.")
        return symbol

    def exchange_info(_: web.Request) -> object:
        rows = []
        for symbol, (base, quote, _opening, tick, step, notional) in SYMBOLS.items():
            rows.append({
                "symbol": symbol, "status": "TRADING", "baseAsset": base,
                "baseAssetPrecision": 8, "quoteAsset": quote, "quotePrecision": 8,
                "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8, "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
                "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
                "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": False,
                "cancelReplaceAllowed": True, "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": _text(tick),
                     "maxPrice": "1000000.00000000", "tickSize": _text(tick)},
                    {"filterType": "LOT_SIZE", "minQty": _text(step), "maxQty": "9000.00000000",
                     "stepSize": _text(step)},
                    {"filterType": "NOTIONAL", "minNotional": _text(notional),
                     "applyMinToMarket": True, "maxNotional": "9000000.00000000",
                     "applyMaxToMarket": False, "avgPriceMins": 5},
                ],
                "permissions": [], "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER"],
            })  # fmt: skip
        return {
            "timezone": "UTC", "serverTime": int(venue.now() * 1000),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": venue.weight_limit},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                 "limit": venue.order_limit},
            ],
            "exchangeFilters": [], "symbols": rows,
        }  # fmt: skip

    def ticker_fields(symbol: str) -> dict[str, Any]:
        now = venue.now()
        last = venue.price(symbol)
        opened = venue.price(symbol, now - 86400)
        bids, asks = venue.book(symbol)
        return {
            "symbol": symbol, "priceChange": _text(last - opened),
            "priceChangePercent": f"{(last - opened) / opened * 100:.3f}",
            "weightedAvgPrice": _text(last), "prevClosePrice": _text(opened),
            "lastPrice": _text(last), "lastQty": _text(SECOND_VOLUME),
            "bidPrice": _text(bids[0]), "bidQty": _text(venue.liquidity),
            "askPrice": _text(asks[0]), "askQty": _text(venue.liquidity),
            "openPrice": _text(opened), "highPrice": _text(max(last, opened)),
            "lowPrice": _text(min(last, opened)), "volume": _text(SECOND_VOLUME * 86400),
            "quoteVolume": _text(last * SECOND_VOLUME * 86400),
            "openTime": int((now - 86400) * 1000), "closeTime": int(now * 1000),
            "firstId": 1, "lastId": 86400, "count": 86400,
        }  # fmt: skip

    def ticker(request: web.Request) -> object:
        if "symbols" in request.query:
            names = json.loads(request.query["symbols"])
            if not isinstance(names, list) or any(n not in SYMBOLS for n in names):
                raise VenueError(400, -1121, "Invalid symbol.")
            return [ticker_fields(n) for n in names]
        if "symbol" in request.query:
            return ticker_fields(symbol_of(request))
        return [ticker_fields(n) for n in SYMBOLS]

    def ticker_weight(request: web.Request) -> int:
        if "symbol" in request.query:
            return 2
        if "symbols" in request.query:
            count = request.query["symbols"].count(",") + 1
            return 2 if count <= 20 else 40 if count <= 100 else 80
        return 80

    def book_ticker(request: web.Request) -> object:
        symbol = symbol_of(request)
        bids, asks = venue.book(symbol)
        return {"symbol": symbol, "bidPrice": _text(bids[0]), "bidQty": _text(venue.liquidity),
                "askPrice": _text(asks[0]), "askQty": _text(venue.liquidity)}  # fmt: skip

    def depth(request: web.Request) -> object:
        bids, asks = venue.book(symbol_of(request))
        size = _text(venue.liquidity)
        return {"lastUpdateId": int(venue.now()), "bids": [[_text(p), size] for p in bids],
                "asks": [[_text(p), size] for p in asks]}  # fmt: skip

    def kline(symbol: str, start: int, until: float) -> list[Any]:
        """Return the minute from *start* as Binance's kline row, its seconds up to *until*."""
        seconds = [s for s in range(start, start + 60) if s <= until] or [start]
        prices = [venue.walk.price(symbol, s) for s in seconds]
        volume = SECOND_VOLUME * len(prices)
        return [
            start * 1000, _text(prices[0]), _text(max(prices)), _text(min(prices)),
            _text(prices[-1]), _text(volume), start * 1000 + 59_999,
            _text(sum(prices) * SECOND_VOLUME), len(prices), _text(volume / 2),
            _text(sum(prices) * SECOND_VOLUME / 2), "0",
        ]  # fmt: skip

    def klines(request: web.Request) -> object:
        symbol = symbol_of(request)
        if request.query.get("interval") != "1m":
            raise VenueError(400, -1120, "Invalid interval; 1m only here.")
        limit = min(1000, int(request.query.get("limit", "500")))
        now = venue.now()
        current = math.floor(now / 60) * 60
        if "startTime" in request.query:
            first = math.ceil(int(request.query["startTime"]) / 60000) * 60
        else:
            end = int(request.query.get("endTime", now * 1000)) / 1000
            first = math.floor(min(end, now) / 60) * 60 - 60 * (limit - 1)
        last = current
        if "endTime" in request.query:
            last = min(last, math.floor(int(request.query["endTime"]) / 60000) * 60)
        starts = range(first, last + 1, 60)
        return [kline(symbol, s, now) for s in list(starts)[:limit]]  # oldest first

    def account(_: dict[str, str]) -> object:
        now = int(venue.now() * 1000)
        return {
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {"maker": "0.00100000", "taker": "0.00100000",
                                "buyer": "0.00000000", "seller": "0.00000000"},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now,
            "accountType": "SPOT",
            "balances": [{"asset": a, "free": _text(b[0]), "locked": _text(b[1])}
                         for a, b in venue.balances.items()],
            "permissions": ["SPOT"], "uid": 354937868,
        }  # fmt: skip

    def create(params: dict[str, str]) -> object:
        order = venue.place(params)
        kind = params.get("newOrderRespType", "FULL")
        answer = order_json(order, fills=kind == "FULL")
        if kind == "ACK":
            keys = ("symbol", "orderId", "orderListId", "clientOrderId", "transactTime")
            return {k: answer.get(k, int(order.created_at * 1000)) for k in keys}
        return answer

    def one(params: dict[str, str]) -> object:
        return order_json(venue.find(params))

    def cancel(params: dict[str, str]) -> object:
        order = venue.cancel(params)
        return {**order_json(order), "origClientOrderId": order.client_order_id}

    def open_orders(params: dict[str, str]) -> object:
        symbol = params.get("symbol")
        return [order_json(o) for o in venue.orders.values()
                if o.status in ("NEW", "PARTIALLY_FILLED")
                and (symbol is None or o.symbol == symbol)]  # fmt: skip

    def my_trades(params: dict[str, str]) -> object:
        symbol = params.get("symbol")
        if symbol not in SYMBOLS:
            raise VenueError(400, -1121, "Invalid symbol.")
        wanted = params.get("orderId")
        return [trade_json(o, t) for o in venue.orders.values()
                if o.symbol == symbol and (wanted is None or str(o.order_id) == wanted)
                for t in o.trades]  # fmt: skip

    def pushed(stream: str) -> dict[str, Any] | None:
        """Return what the market stream *stream* pushes now, or None if there is no such."""
        name, _, kind = stream.partition("@")
        symbol = name.upper()
        if symbol not in SYMBOLS:
            return None
        now = venue.now()
        if kind == "bookTicker":
            bids, asks = venue.book(symbol)
            size = _text(venue.liquidity)
            return {"u": int(now), "s": symbol, "b": _text(bids[0]), "B": size,
                    "a": _text(asks[0]), "A": size}  # fmt: skip
        if kind == "ticker":
            fields = ticker_fields(symbol)
            return {
                "e": "24hrTicker", "E": int(now * 1000), "s": symbol,
                "p": fields["priceChange"], "P": fields["priceChangePercent"],
                "w": fields["weightedAvgPrice"], "x": fields["prevClosePrice"],
                "c": fields["lastPrice"], "Q": fields["lastQty"], "b": fields["bidPrice"],
                "B": fields["bidQty"], "a": fields["askPrice"], "A": fields["askQty"],
                "o": fields["openPrice"], "h": fields["highPrice"], "l": fields["lowPrice"],
                "v": fields["volume"], "q": fields["quoteVolume"], "O": fields["openTime"],
                "C": fields["closeTime"], "F": 1, "L": 86400, "n": 86400,
            }  # fmt: skip
        if kind == "kline_1m":
            return kline_event(symbol, math.floor(now / 60) * 60, now, closed=False)
        return None

    def kline_event(symbol: str, start: int, until: float, *, closed: bool) -> dict[str, Any]:
        row = kline(symbol, start, until)
        return {
            "e": "kline", "E": int(until * 1000), "s": symbol,
            "k": {"t": row[0], "T": row[6], "s": symbol, "i": "1m", "f": 1, "L": row[8],
                  "o": row[1], "c": row[4], "h": row[2], "l": row[3], "v": row[5],
                  "n": row[8], "x": closed, "q": row[7], "V": row[9], "Q": row[10], "B": "0"},
        }  # fmt: skip

    async def websocket(request: web.Request) -> web.StreamResponse:
        """Binance's market streams: ``/ws/<stream>``, ``/stream?streams=a/b`` (frames wrapped
        as ``{"stream", "data"}``) and ``{"method": "SUBSCRIBE", "params", "id"}``."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        combined = request.path.startswith("/stream")
        streams: list[str] = [s for s in request.query.get("streams", "").split("/") if s]
        if request.match_info.get("stream"):
            streams.append(request.match_info["stream"])

        async def send(stream: str, data: dict[str, Any]) -> None:
            frame = {"stream": stream, "data": data} if combined else data
            await socket.send_str(json.dumps(frame))

        async def push() -> None:
            pushed_second: int | None = None
            while not socket.closed:
                second = math.floor(venue.now())
                if second != pushed_second and not venue.faults.silent:
                    if pushed_second is not None and second // 60 != pushed_second // 60:
                        # The minute that ended: its last push says it closed.
                        start = pushed_second // 60 * 60
                        for stream in list(streams):
                            if stream.endswith("@kline_1m"):
                                symbol = stream.partition("@")[0].upper()
                                await send(stream, kline_event(symbol, start, start + 59,
                                                               closed=True))  # fmt: skip
                    pushed_second = second
                    for stream in list(streams):
                        data = pushed(stream)
                        if data is not None:
                            await send(stream, data)
                await asyncio.sleep(PUSH_POLL)

        pushing = asyncio.create_task(push())
        try:
            async for message in socket:
                if message.type is not web.WSMsgType.TEXT:
                    continue
                command = json.loads(message.data)
                method, params = command.get("method"), command.get("params") or []
                if method == "SUBSCRIBE":
                    streams.extend(p for p in params if p not in streams)
                elif method == "UNSUBSCRIBE":
                    streams[:] = [s for s in streams if s not in params]
                await socket.send_str(json.dumps({"result": None, "id": command.get("id")}))
        finally:
            sockets.discard(socket)
            pushing.cancel()
        return socket

    async def websocket_api(request: web.Request) -> web.StreamResponse:
        """Binance's WebSocket API (``/ws-api/v3``), its user-data methods: a request
        ``{"id", "method": "userDataStream.subscribe.signature", "params": {"apiKey",
        "timestamp", "signature"}}`` (signed as REST is, over the parameters in alphabetical
        order) subscribes the connection to the account's events, pushed as ``{"subscriptionId",
        "event"}``. The venue matches its resting orders each of its seconds meanwhile."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        subscribed = False

        def heard(event: dict[str, Any]) -> None:
            queue.put_nowait({"subscriptionId": 0, "event": event})
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
                        await socket.send_str(json.dumps(frame))
                        venue.events_pushed += 1
                venue.pushed_second = second
                await asyncio.sleep(PUSH_POLL)

        pushing = asyncio.create_task(push())
        try:
            async for message in socket:
                if message.type is not web.WSMsgType.TEXT:
                    continue
                command = json.loads(message.data)
                ident, method = command.get("id"), command.get("method")
                params = dict(command.get("params") or {})
                if method == "userDataStream.subscribe.signature":
                    try:
                        venue.authenticate_params(params)
                    except VenueError as error:
                        answer: dict[str, Any] = {
                            "id": ident, "status": error.status,
                            "error": {"code": error.code, "msg": error.message},
                        }  # fmt: skip
                    else:
                        if not subscribed:
                            venue.listeners.append(heard)
                            subscribed = True
                        answer = {"id": ident, "status": 200, "result": {"subscriptionId": 0}}
                elif method == "userDataStream.unsubscribe" and subscribed:
                    venue.listeners.remove(heard)
                    subscribed = False
                    answer = {"id": ident, "status": 200, "result": {}}
                else:
                    unsupported = {"code": -1020, "msg": "Unsupported operation."}
                    answer = {"id": ident, "status": 400, "error": unsupported}
                await socket.send_str(json.dumps(answer))
        finally:
            sockets.discard(socket)
            if subscribed:
                venue.listeners.remove(heard)
            pushing.cancel()
        return socket

    sockets: set[web.WebSocketResponse] = set()

    async def close_sockets(_: web.Application) -> None:
        for socket in list(sockets):
            await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"venue stopping")

    def order_weight(params: dict[str, str]) -> int:
        return 6 if params.get("symbol") else 80

    app = web.Application()
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/ws/{stream}", websocket)
    app.router.add_get("/stream", websocket)
    app.router.add_get("/ws-api/v3", websocket_api)
    api = "/api/v3"
    app.router.add_get(f"{api}/ping", public(lambda _: {}))
    app.router.add_get(f"{api}/time", public(lambda _: {"serverTime": int(venue._wall() * 1000)}))
    app.router.add_get(f"{api}/exchangeInfo", public(exchange_info, 20))
    app.router.add_get(f"{api}/depth", public(depth, 5))
    app.router.add_get(f"{api}/ticker/24hr", public(ticker, ticker_weight))
    app.router.add_get(f"{api}/ticker/bookTicker", public(book_ticker, 2))
    app.router.add_get(f"{api}/klines", public(klines, 2))
    app.router.add_get(f"{api}/account", signed(account, 20))
    app.router.add_post(f"{api}/order", signed(create, 1, order=True))
    app.router.add_get(f"{api}/order", signed(one, 4))
    app.router.add_delete(f"{api}/order", signed(cancel, 1))
    app.router.add_get(f"{api}/openOrders", signed(open_orders, order_weight))
    app.router.add_get(f"{api}/myTrades", signed(my_trades, lambda p: 5 if "orderId" in p else 20))
    app.router.add_post("/_venue/faults", faults)
    return app
