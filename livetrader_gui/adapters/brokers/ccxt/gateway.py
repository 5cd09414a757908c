"""``CcxtGateway``: an ``IBrokerGateway`` on a crypto venue reached through ccxt.

Orders go by REST, always with our client order id, and are never sent twice: a placement whose
answer is lost is an unknown outcome (``BrokerTimeoutError``) that the engine resolves by looking
the id up; a placement the venue refuses is looked up first (a venue that already holds the id
refuses it again), and only then reported as ``REJECTED`` with the venue's reason in words.

Every number comes from the venue's own digits (``exact.py``) and every ccxt call runs in a
decimal context of its own. Crypto trades around the clock: instruments carry the ``24/7``
calendar.

Limits: the venue's answers say how much of its limits is used (Upbit's ``Remaining-Req``,
Binance's ``X-MBX-USED-WEIGHT-1M``); when none is left, the family of requests waits until the
venue's window renews. A 429 holds the family for as long as the venue says (``Retry-After``),
or for a backoff that doubles while 429s keep coming (``BrokerRateLimitError``). A 418 is a ban
of this address: the gateway drops its link and refuses to reconnect until the ban is over, so
every session on the venue pauses and says why.

What differs between venues (how an order is looked up, what a balance looks like, which
headers count the limits) is in each venue's subclass: ``upbit.UpbitGateway`` and
``binance.BinanceGateway``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import ccxt.async_support as ccxt_async

from livetrader_gui.adapters.brokers.ccxt.account_stream import AccountStream, StreamedOrders
from livetrader_gui.adapters.brokers.ccxt.errors import reason, venue_answer
from livetrader_gui.adapters.brokers.ccxt.exact import isolated, number, optional_number
from livetrader_gui.adapters.brokers.ccxt.venues import VenueProfile
from livetrader_gui.application.ports import (
    BrokerAuthenticationError,
    BrokerConnectionError,
    BrokerError,
    BrokerOrderState,
    BrokerPosition,
    BrokerRateLimitError,
    BrokerTimeoutError,
    Clock,
    ConnectionState,
    UnknownSymbolError,
)
from livetrader_gui.domain import (
    Account,
    AccountStatus,
    Balance,
    Candle,
    ClientOrderIds,
    Fill,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    PriceRounding,
    Quote,
    TickTable,
    TradeDirection,
)
from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import plain

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

CALENDAR = "24/7"
MINUTE = timedelta(minutes=1)
CANDLES_PER_REQUEST = 200  # Upbit's most; Binance's is larger, and 200 suits both
MAX_BACKOFF = 60.0
_STATUS = re.compile(r"^\w+ (418|429)\b")  # ccxt writes "<venue> <status> …" for these

_STATUSES = {
    "open": OrderStatus.SUBMITTED,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


class VenueRefusedError(BrokerError):
    """The venue answered and refused the request; ``name`` is its own error name."""

    def __init__(self, message: str, name: str | None, words: str) -> None:
        super().__init__(message)
        self.name = name
        self.words = words


class CcxtGateway:
    """An ``IBrokerGateway`` over a ccxt asynchronous exchange for the venue *profile*
    describes. *exchange* makes the exchange (an ``exact.exact_class``): a ccxt exchange once
    closed stays closed, so each connection gets a new one.

    A venue's subclass says how its orders are looked up and cancelled (``_look_up``,
    ``_cancel``), what its balances hold (``_balances``, ``_holdings``) and how its answers
    count its limits (``_read_limits``)."""

    def __init__(
        self,
        profile: VenueProfile,
        exchange: Callable[[], Any],
        clock: Clock,
        *,
        broker_id: str | None = None,
        display_name: str | None = None,
        timer: Clock | None = None,
        account_stream: str | None = None,
    ) -> None:
        """*timer* is real time, which the venue's limits count in (*clock* when None);
        *account_stream* is the address of the venue's private stream of the account's own
        orders (None: they are only asked by REST)."""
        self._profile = profile
        self._make_exchange = exchange
        self._exchange = exchange()
        self._closed = False
        self._clock = clock
        self._timer = timer or clock
        self._broker_id = broker_id or profile.broker_id
        self._display_name = display_name or profile.display_name
        self._connected = False
        self._markets: dict[str, dict[str, Any]] = {}  # by the venue's code, e.g. KRW-BTC
        self._instruments: dict[str, Instrument] = {}
        self._spent: dict[str, datetime] = {}  # family -> its requests are spent until then
        self._held: dict[str, datetime] = {}  # family -> refused (429) until then
        self._backoff: dict[str, float] = {}
        self._banned_until: datetime | None = None
        self._ban = profile.first_ban
        self._refused: dict[str, BrokerOrderState] = {}  # placements the venue refused
        self._requests: dict[str, OrderRequest] = {}  # what was sent, by client order id
        self.remaining: dict[str, int] = {}  # requests (or weight) left, by family
        self._stream_url = account_stream
        self._stream = AccountStream(self._follow, self._broker_id, self._timer)

    # ------------------------------------------------------------------ identity

    @property
    def broker_id(self) -> str:
        return self._broker_id

    @property
    def display_name(self) -> str:
        return self._display_name

    @property
    def is_real_money(self) -> bool:
        return self._profile.real_money

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def client_order_ids(self) -> ClientOrderIds:
        return self._profile.client_order_ids

    @property
    def connection_state(self) -> ConnectionState:
        if self._connected and self._banned():
            self._connected = False
        return ConnectionState.CONNECTED if self._connected else ConnectionState.DISCONNECTED

    @property
    def banned_until(self) -> datetime | None:
        """Return when the venue's ban of this address ends, while it lasts."""
        return self._banned_until if self._banned() else None

    def _banned(self) -> bool:
        return self._banned_until is not None and self._clock.now() < self._banned_until

    # ------------------------------------------------------------------ the link

    async def connect(self) -> None:
        """Load the venue's markets and prove the key by reading the account."""
        if self._banned():
            raise BrokerConnectionError(self._ban_text())
        if self._closed:
            self._exchange, self._closed = self._make_exchange(), False
        self._connected = True
        try:
            markets = await self._call("get_instruments", lambda: self._exchange.load_markets(True))
            await self._call("get_account", self._exchange.fetch_balance)
        except BrokerError:
            self._connected = False
            raise
        self._markets = {m["id"]: m for m in markets.values() if self._tradable(m)}
        self._streams_started()
        self._instruments = {}
        for code, market in self._markets.items():
            try:
                self._instruments[code] = self._instrument(market)
            except (InvalidValueError, ValueError) as error:
                _log.warning("%s: market %s left out: %s", self.broker_id, code, error)

    @property
    def account_stream(self) -> AccountStream:
        """Return the stream of the account's own orders."""
        return self._stream

    def _streams_started(self) -> None:
        """Start the venue's private stream, once connected (when it has an address)."""
        if self._stream_url is not None:
            self._stream.start()

    async def _streams_stopped(self) -> None:
        await self._stream.stop()

    async def _follow(self, orders: StreamedOrders) -> None:
        """Subscribe to the venue's private stream and apply each push to *orders* until the
        socket closes (each venue's subclass knows its stream)."""
        raise NotImplementedError(f"{self.display_name} has no account stream here")

    async def disconnect(self) -> None:
        self._connected = False
        await self._streams_stopped()
        if not self._closed:
            self._closed = True
            with isolated():
                await self._exchange.close()

    def _tradable(self, market: dict[str, Any]) -> bool:
        return (
            bool(market.get("spot"))
            and market.get("active") is not False
            and (market.get("quote") in self._profile.quote_markets)
        )

    def _ban_text(self) -> str:
        until = self._banned_until
        when = until.strftime("%H:%M:%S UTC") if until else "later"
        return (
            f"{self.display_name} banned this address for sending too many requests (418): "
            f"trading on {self.display_name} stops until {when}"
        )

    async def _call(self, method: str, call: Callable[[], Awaitable[_T]]) -> _T:
        """Run one ccxt request of *method*'s family within the venue's limits and turn its
        errors into the port's."""
        if self._banned():
            self._connected = False
            raise BrokerConnectionError(self._ban_text())
        if not self._connected:
            raise BrokerConnectionError(f"{self.display_name} is disconnected")
        group = self._profile.group(method)
        held = self._held.get(group)
        if held is not None and self._timer.now() < held:
            raise BrokerRateLimitError(
                f"{self.display_name} asked to slow down; no {group} requests for a while",
                (held - self._timer.now()).total_seconds(),
                sent=False,
            )
        spent = self._spent.get(group)
        if spent is not None:
            # The venue said none of the family's requests are left this second: the wait
            # is short, so the request waits rather than failing.
            await self._timer.sleep((spent - self._timer.now()).total_seconds())
        now = self._timer.now()
        try:
            with isolated():
                result = await call()
        except ccxt_async.BaseError as error:
            if not isinstance(error, ccxt_async.NetworkError):
                self._read_remaining(now)  # a refusal still counts; a 429 holds on its own
            raise self._translate(error, method, group) from None
        self._read_remaining(now)
        self._backoff.pop(group, None)
        self._ban = self._profile.first_ban
        return result

    def _read_remaining(self, now: datetime) -> None:
        headers = getattr(self._exchange, "last_response_headers", None) or {}
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        for group, left, renews in self._read_limits(lowered, now):
            self.remaining[group] = left
            if left <= 0:
                self._spent[group] = renews
            else:
                self._spent.pop(group, None)

    def _read_limits(
        self, headers: dict[str, str], now: datetime
    ) -> list[tuple[str, int, datetime]]:
        """Return, from an answer's *headers* (names in lower case), each request family the
        venue counts, what is left of it, and when its window renews."""
        return []

    def _translate(self, error: Exception, method: str, group: str) -> BrokerError:
        venue = self.display_name
        now = self._timer.now()
        status = _STATUS.match(str(error))
        limited = isinstance(error, ccxt_async.RateLimitExceeded) or (
            isinstance(error, ccxt_async.DDoSProtection) and status and status.group(1) == "429"
        )
        told = self._retry_after()
        if limited:
            wait = told or min(MAX_BACKOFF, self._backoff.get(group, 0.5) * 2)
            self._backoff[group] = wait
            self._held[group] = now + timedelta(seconds=wait)
            return BrokerRateLimitError(
                f"{venue} refused a {group} request: too many requests (429); waiting {wait:g} s",
                wait,
            )
        if isinstance(error, ccxt_async.DDoSProtection):
            ban = told or self._ban
            self._banned_until = self._clock.now() + timedelta(seconds=ban)
            self._ban = ban * 2
            self._connected = False
            _log.error("%s: %s", self.broker_id, self._ban_text())
            return BrokerConnectionError(self._ban_text())
        if isinstance(error, ccxt_async.AuthenticationError):
            self._connected = False
            return BrokerAuthenticationError(f"{venue} refused the API key: {reason(error)}")
        if isinstance(error, ccxt_async.InvalidNonce):
            # A request's time the venue refuses: every signed request will be refused.
            self._connected = False
            return BrokerConnectionError(f"{venue} refused the request's time: {reason(error)}")
        if isinstance(error, ccxt_async.RequestTimeout):
            return BrokerTimeoutError(f"{venue} did not answer {method} in time")
        if isinstance(error, ccxt_async.NetworkError):
            cause = error.__cause__
            if isinstance(cause, aiohttp.ClientConnectorError):
                self._connected = False
                return BrokerConnectionError(f"{venue} cannot be reached: {cause}")
            if isinstance(cause, aiohttp.ClientConnectionError):
                # The request left and the connection closed before its answer came.
                return BrokerTimeoutError(f"{venue} closed the connection before answering")
            return BrokerError(f"{venue} is not available for {method}: {reason(error)}")
        answer = venue_answer(error)
        words = reason(error)
        return VenueRefusedError(
            f"{venue} refused {method}: {words}", answer.name if answer else None, words
        )

    def _retry_after(self) -> float | None:
        """Return the seconds the venue's last answer said to wait (``Retry-After``)."""
        headers = getattr(self._exchange, "last_response_headers", None) or {}
        told = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
        try:
            seconds = float(told) if told is not None else None
        except ValueError:
            return None
        return seconds if seconds is not None and seconds > 0 else None

    # ------------------------------------------------------------------ instruments

    def _instrument(self, market: dict[str, Any]) -> Instrument:
        quote = str(market["quote"])
        rules = self._profile.quote_markets[quote]
        limits = market.get("limits") or {}
        precision = market.get("precision") or {}
        lot = optional_number(precision.get("amount"), f"{market['id']} amount precision")
        minimum = optional_number(
            (limits.get("amount") or {}).get("min"), f"{market['id']} minimum quantity"
        )
        cost = optional_number(
            (limits.get("cost") or {}).get("min"), f"{market['id']} minimum order value"
        )
        ticks = rules.ticks
        if ticks is None:  # the market's own tick size
            tick = optional_number(precision.get("price"), f"{market['id']} tick size")
            if tick is None or tick <= 0:
                raise InvalidValueError(f"{market['id']} has no tick size")
            ticks = TickTable.fixed(tick.normalize())
        return Instrument(
            symbol=str(market["id"]),
            name=self._market_name(market),
            exchange=CALENDAR,
            currency=quote,
            ticks=ticks,
            lot_size=lot if lot and lot > 0 else Decimal("0.00000001"),
            min_quantity=minimum if minimum and minimum > 0 else None,
            min_notional=max(cost or Decimal(0), rules.min_notional),
        )

    def _market_name(self, market: dict[str, Any]) -> str:
        """Return the name a market is shown by."""
        return str(market.get("base") or market["id"])

    def _market(self, symbol: str) -> dict[str, Any]:
        market = self._markets.get(symbol)
        if market is None:
            raise UnknownSymbolError(f"{self.display_name} does not list '{symbol}'")
        return market

    async def get_instruments(self) -> list[Instrument]:
        self._check_link()
        return list(self._instruments.values())

    async def get_instrument(self, symbol: str) -> Instrument:
        self._check_link()
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise UnknownSymbolError(f"{self.display_name} does not list '{symbol}'")
        return instrument

    def _check_link(self) -> None:
        if self.connection_state is not ConnectionState.CONNECTED:
            raise BrokerConnectionError(
                self._ban_text() if self._banned() else f"{self.display_name} is disconnected"
            )

    # ------------------------------------------------------------------ market data

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        unified = self._market(symbol)["symbol"]
        ticker = await self._call("get_latest_quote", lambda: self._exchange.fetch_ticker(unified))
        bid, ask = ticker.get("bid"), ticker.get("ask")
        if bid is None or ask is None:  # Upbit's ticker has no book: ask the book
            book = await self._call(
                "get_latest_quote", lambda: self._exchange.fetch_order_book(unified, 1)
            )
            bids, asks = book.get("bids") or [], book.get("asks") or []
            if not bids or not asks:
                return None
            bid, ask = bids[0][0], asks[0][0]
        last = ticker.get("last")
        if last is None:
            return None
        at = _instant(ticker.get("timestamp")) or self._clock.now()
        previous = ticker.get("previousClose")
        return Quote(
            symbol=symbol,
            bid=number(bid, f"{symbol} bid"),
            ask=number(ask, f"{symbol} ask"),
            last=number(last, f"{symbol} last price"),
            at=min(at, self._clock.now()),
            volume=optional_number(ticker.get("baseVolume"), f"{symbol} volume") or Decimal(0),
            previous_close=optional_number(previous, f"{symbol} previous close"),
        )

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        if not 0 < limit <= 100_000:
            raise ValueError(f"candle limit must be between 1 and 100000, got {limit}")
        now = self._clock.now()
        newest = _minute(now)  # the minute in progress: not closed
        start = newest - MINUTE * limit
        candles = await self.get_historical_candles(symbol, start, newest)
        return candles[-limit:]

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("candle ranges must carry a time zone")
        unified = self._market(symbol)["symbol"]
        now = self._clock.now()
        end = min(end, now)
        candles: list[Candle] = []
        since = start
        while since < end:
            count = min(CANDLES_PER_REQUEST, max(1, -(-int((end - since).total_seconds()) // 60)))
            at = since

            async def page(at: datetime = at, count: int = count) -> list[list[Any]]:
                stamp = int(at.timestamp() * 1000)
                rows: list[list[Any]] = await self._exchange.fetch_ohlcv(
                    unified, "1m", stamp, count
                )
                return rows

            rows = await self._call("get_historical_candles", page)
            fresh = [self._candle(symbol, row) for row in rows]
            fresh = [c for c in fresh if since <= c.start < end and c.start + MINUTE <= now]
            fresh = [c for c in fresh if not candles or c.start > candles[-1].start]
            candles.extend(fresh)
            since = since + MINUTE * count
        return candles

    def _candle(self, symbol: str, row: list[Any]) -> Candle:
        stamp, high_low = row[0], row[1:6]
        what = f"{symbol} candle"
        open_, high, low, close, volume = (number(v, what) for v in high_low)
        start = _instant(stamp)
        assert start is not None
        return Candle(symbol, start, open_, high, low, close, volume)

    # ------------------------------------------------------------------ orders

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        cid = request.client_order_id
        refused = self._refused.get(cid)
        if refused is not None:
            return refused
        if cid in self._requests:
            # Sent before by this gateway: a venue may take an id again once its order has
            # ended (Binance), so the order is looked up, never sent twice.
            known = await self.get_order(cid, symbol=request.symbol)
            if known is not None:
                return known
        market = self._market(request.symbol)
        problem = self._off_grid(request)
        if problem is not None:
            # ccxt would round the quantity or price onto the grid and send another order than
            # the one asked: it is refused here, unsent.
            state = BrokerOrderState(
                request, "", OrderStatus.REJECTED, Decimal(0), None, (), self._clock.now(),
                reject_reason=problem,
            )  # fmt: skip
            self._refused[cid] = state
            return state
        try:
            order_type, price = await self._order_terms(request, market)
        except BrokerRateLimitError as error:
            # The price a market buy is bounded by was refused: the order never left.
            raise BrokerRateLimitError(str(error), error.retry_after, sent=False) from error
        side = "buy" if request.direction is TradeDirection.BUY else "sell"
        params = {self._profile.client_order_id_param: cid}
        self._requests[cid] = request

        async def send() -> dict[str, Any]:
            order: dict[str, Any] = await self._exchange.create_order(
                market["symbol"], order_type, side, str(request.quantity),
                None if price is None else str(price), params,
            )  # fmt: skip
            return order

        try:
            placed = await self._call("place_order", send)
        except VenueRefusedError as error:
            # A venue that already holds the id refuses it again: the order stands.
            known = await self.get_order(cid, symbol=request.symbol)
            if known is not None:
                return known
            state = BrokerOrderState(
                request, "", OrderStatus.REJECTED, Decimal(0), None, (), self._clock.now(),
                reject_reason=error.words,
            )  # fmt: skip
            self._refused[cid] = state
            return state
        if placed.get("filled") not in (None, "0", 0) and not placed.get("trades"):
            # Filled at once, but the venue's answer to a placement lists no fills: read them.
            try:
                found = await self.get_order(cid, symbol=request.symbol)
            except BrokerError as error:
                _log.warning("order %s: its fills are read at the next sync (%s)", cid, error)
            else:
                if found is not None:
                    return found
            placed = {**placed, "filled": "0", "status": "open"}
        return self._state(placed, request)

    def _off_grid(self, request: OrderRequest) -> str | None:
        """Return why *request*'s quantity or price is not one its market takes, or None."""
        instrument = self._instruments.get(request.symbol)
        if instrument is None:
            return None
        if not instrument.is_valid_quantity(request.quantity):
            return (
                f"the quantity {plain(request.quantity)} is not a whole number of the market's "
                f"lot step {plain(instrument.lot_size)}"
            )
        price = request.limit_price
        if price is not None and not instrument.is_valid_price(price):
            return (
                f"the price {plain(price)} is not on the market's price grid "
                f"(tick {plain(instrument.tick_size(price))})"
            )
        return None

    def quotes_for_account(self) -> int:
        """Return how many quote requests reading the account makes (``IReadsQuotes``): one,
        for the last prices of every coin held, on a venue whose limits count it apart."""
        return 1 if self._profile.groups.get("get_latest_quote") else 0

    def requests_for_quote(self) -> int:
        """Return how many requests one quote takes (``IReadsQuotes``)."""
        return self._profile.quote_requests

    def requests_for_candles(self, minutes: int) -> int:
        """Return how many pages reading *minutes* candles takes (``IReadsQuotes``)."""
        return max(1, -(-minutes // CANDLES_PER_REQUEST))

    def quotes_to_place(self, request: OrderRequest) -> int:
        """Return how many market-data requests placing *request* makes (``IReadsQuotes``):
        a market buy on a venue that takes it as a limit order bounded by a band reads a
        quote."""
        banded = self._profile.market_buy_band is not None
        market_buy = (
            request.order_type is OrderType.MARKET and request.direction is TradeDirection.BUY
        )
        return self.requests_for_quote() if banded and market_buy else 0

    async def _order_terms(
        self, request: OrderRequest, market: dict[str, Any]
    ) -> tuple[str, Decimal | None]:
        """Return the ccxt order type and price that carry out *request* on this venue."""
        if request.order_type is OrderType.LIMIT:
            return "limit", request.limit_price
        band = self._profile.market_buy_band
        if request.direction is TradeDirection.SELL or band is None:
            return "market", None
        quote = await self.get_latest_quote(request.symbol)
        if quote is None:
            raise BrokerError(f"{self.display_name} has no price for {request.symbol} to buy at")
        instrument = await self.get_instrument(request.symbol)
        return "limit", instrument.round_price(quote.ask * (1 + band), PriceRounding.UP)

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        refused = self._refused.get(client_order_id)
        if refused is not None:
            return refused
        unified = self._unified(client_order_id, symbol)
        try:
            await self._call("cancel_order", lambda: self._cancel(client_order_id, unified))
        except VenueRefusedError as error:
            if error.name not in self._profile.not_found:
                raise
            # Filled or cancelled before the cancel came (the race): the lookup says which.
        # Asked, not pushed: the cancel's own push may not have come yet.
        state = await self._fetched(client_order_id, symbol)
        if state is None:
            raise ValueError(f"{self.display_name} has no order {client_order_id}")
        return state

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        pushed = self.pushed_order(client_order_id)
        if pushed is not None:
            return pushed
        return await self._fetched(client_order_id, symbol)

    def pushed_order(self, client_order_id: str) -> BrokerOrderState | None:
        """Return the order as the account's stream pushed it, when the stream has followed it
        since its placement; None when it must be asked (no stream, or a break since)."""
        pushed = self._pushed(client_order_id)
        if pushed is None or self.connection_state is not ConnectionState.CONNECTED:
            return None
        return self._state(pushed, self._requests.get(client_order_id))

    def _pushed(self, client_order_id: str) -> dict[str, Any] | None:
        """Return the order as the venue's private stream told it (None: not followed)."""
        return self._stream.orders.followed(client_order_id)

    async def _fetched(self, client_order_id: str, symbol: str | None) -> BrokerOrderState | None:
        """Look the order up by REST."""
        unified = self._unified(client_order_id, symbol)
        try:
            order = await self._call("get_order", lambda: self._look_up(client_order_id, unified))
        except VenueRefusedError as error:
            if error.name in self._profile.not_found:
                return self._refused.get(client_order_id)
            raise
        return self._state(order, self._requests.get(client_order_id))

    def _unified(self, client_order_id: str, symbol: str | None) -> str | None:
        """Return the ccxt symbol of an order's market, when it is known."""
        request = self._requests.get(client_order_id)
        code = symbol or (request.symbol if request else None)
        return None if code is None else str(self._market(code)["symbol"])

    async def _look_up(self, client_order_id: str, symbol: str | None) -> dict[str, Any]:
        """Return the venue's order with our id as a ccxt order, with its fills (``trades``);
        raise ``ccxt.OrderNotFound`` (or the venue's refusal) when it has none."""
        raise NotImplementedError

    async def _cancel(self, client_order_id: str, symbol: str | None) -> None:
        """Ask the venue to cancel the order with our id."""
        raise NotImplementedError

    async def get_open_orders(self) -> list[BrokerOrderState]:
        orders = await self._call("get_open_orders", self._exchange.fetch_open_orders)
        states = []
        for order in orders:
            cid = order.get("clientOrderId")
            if not cid or not str(cid).startswith(self.client_order_ids.prefix):
                # Placed by hand or by another program (no id, or not one of ours): it is
                # reported under the venue's own id, so reconciliation names it, never
                # adopts it.
                order = {**order, "clientOrderId": f"{self.broker_id}:{order.get('id')}"}
            states.append(self._state(order, self._requests.get(str(cid))))
        return states

    async def get_positions(self) -> list[BrokerPosition]:
        return self._holdings(await self._balance("get_positions"))

    async def _balance(self, method: str) -> dict[str, Any]:
        """Return the account's balances: as the venue pushed them, or asked."""
        pushed = self._pushed_balance()
        if pushed is not None:
            self._check_link()
            return pushed
        balance: dict[str, Any] = await self._call(method, self._exchange.fetch_balance)
        self._balance_read(balance)
        return balance

    def knows_balances(self) -> bool:
        """Tell whether the account's stream keeps the balances (a read costs no request)."""
        return self._pushed_balance() is not None

    def _pushed_balance(self) -> dict[str, Any] | None:
        """Return the balances as the venue's private stream keeps them (None: asked)."""
        return self._stream.orders.balance()

    def _balance_read(self, balance: dict[str, Any]) -> None:
        """Note balances just asked (a private stream keeps them from here)."""
        self._stream.orders.read(balance)

    def _balances(self, balance: dict[str, Any]) -> list[Balance]:
        """Return each currency the account holds, from ccxt's balance."""
        free, used = balance.get("free") or {}, balance.get("used") or {}
        rows = []
        for currency in sorted(set(free) | set(used)):
            held = optional_number(free.get(currency), f"{currency} balance") or Decimal(0)
            locked = optional_number(used.get(currency), f"{currency} locked") or Decimal(0)
            if held or locked or currency == self._profile.cash_currency:
                rows.append(Balance(str(currency).upper(), held, locked))
        return rows

    def _holdings(self, balance: dict[str, Any]) -> list[BrokerPosition]:
        """Return the coins the account holds as positions in the cash currency's markets
        (the venue tells no average price: it is 0)."""
        positions = []
        cash = self._profile.cash_currency
        for row in self._balances(balance):
            code = self._code(f"{row.currency}/{cash}")
            if row.currency == cash or row.total <= 0 or code not in self._markets:
                continue
            positions.append(BrokerPosition(code, row.total, Decimal(0)))
        return positions

    async def get_account(self) -> Account:
        balance = await self._balance("get_account")
        cash_currency = self._profile.cash_currency
        balances = self._balances(balance)
        cash = next((b for b in balances if b.currency == cash_currency), None)
        free = cash.free if cash else Decimal(0)
        total = cash.total if cash else Decimal(0)
        held = self._holdings(balance)
        equity = total
        if held:
            symbols = [self._markets[p.symbol]["symbol"] for p in held]
            # A market-data request of the venue's, paced and held as one.
            tickers = await self._call(
                "get_latest_quote", lambda: self._exchange.fetch_tickers(symbols)
            )
            for position in held:
                ticker = tickers.get(self._markets[position.symbol]["symbol"]) or {}
                last = optional_number(ticker.get("last"), f"{position.symbol} last price")
                equity += position.quantity * (last or position.average_price)
        return Account(
            account_id=f"{self.broker_id}:{self._exchange.apiKey[:6]}…",
            currency=cash_currency,
            cash=total,
            buying_power=free,
            equity=equity,
            status=AccountStatus.ACTIVE,
            balances=tuple(balances),
        )

    # ------------------------------------------------------------------ ccxt's orders

    def _state(self, order: dict[str, Any], request: OrderRequest | None) -> BrokerOrderState:
        """Return a ccxt unified order as the port's ``BrokerOrderState``."""
        cid = str(order.get("clientOrderId") or "")
        symbol = self._code(order.get("symbol"))
        what = f"order {cid or order.get('id')}"
        if request is None:
            request = self._request(order, cid, symbol, what)
        trades = order.get("trades") or []
        fills = tuple(self._fill(trade, request, symbol, what) for trade in trades)
        filled = optional_number(order.get("filled"), f"{what} filled") or Decimal(0)
        if fills:
            filled = sum((f.quantity for f in fills), Decimal(0))
        status = _STATUSES.get(str(order.get("status")), OrderStatus.SUBMITTED)
        if status is OrderStatus.SUBMITTED and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        average = None
        if fills and filled > 0:
            average = sum((f.quantity * f.price for f in fills), Decimal(0)) / filled
        updated = _instant(order.get("lastTradeTimestamp") or order.get("timestamp"))
        return BrokerOrderState(
            request=request,
            broker_order_id=str(order.get("id") or ""),
            status=status,
            filled_quantity=filled,
            average_fill_price=average,
            fills=fills,
            updated_at=updated or self._clock.now(),
        )

    def _code(self, unified: object) -> str:
        for code, market in self._markets.items():
            if market["symbol"] == unified:
                return code
        return str(unified)

    def _request(self, order: dict[str, Any], cid: str, symbol: str, what: str) -> OrderRequest:
        """Rebuild what was asked from the venue's record (an order this run did not send)."""
        direction = TradeDirection.BUY if order.get("side") == "buy" else TradeDirection.SELL
        amount = optional_number(order.get("amount"), f"{what} amount")
        filled = optional_number(order.get("filled"), f"{what} filled")
        quantity = amount or filled or Decimal("0.00000001")
        price = optional_number(order.get("price"), f"{what} price")
        if order.get("type") == "limit" and price is not None:
            return OrderRequest(cid, symbol, direction, OrderType.LIMIT, quantity, price)
        return OrderRequest(cid, symbol, direction, OrderType.MARKET, quantity)

    def _fill(self, trade: dict[str, Any], request: OrderRequest, symbol: str, what: str) -> Fill:
        quantity = number(trade.get("amount"), f"{what} fill quantity")
        price = number(trade.get("price"), f"{what} fill price")
        commission, kept = self._fee(trade, (request.direction, quantity, price), what)
        at = _instant(trade.get("timestamp")) or self._clock.now()
        return Fill(
            fill_id=f"{self.broker_id}-{trade.get('id')}",
            client_order_id=request.client_order_id,
            symbol=symbol,
            direction=request.direction,
            quantity=quantity,
            price=price,
            at=at,
            commission=commission,
            fee_quantity=kept,
        )

    def _fee(
        self, trade: dict[str, Any], fill: tuple[TradeDirection, Decimal, Decimal], what: str
    ) -> tuple[Decimal, Decimal]:
        """Return a fill's fee: in money (the venue's, or the venue's rate on the fill's value),
        and what the venue kept of the coin bought (nothing, here)."""
        fee = (trade.get("fee") or {}).get("cost")
        if fee is not None:
            return number(fee, f"{what} fill fee"), Decimal(0)
        _, quantity, price = fill
        return self._profile.commission(quantity * price), Decimal(0)


def _instant(stamp: object) -> datetime | None:
    """Return a ccxt timestamp (milliseconds since 1970) as an aware datetime."""
    if stamp is None or isinstance(stamp, bool) or not isinstance(stamp, int | str):
        return None
    return datetime.fromtimestamp(int(stamp) / 1000, UTC)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
