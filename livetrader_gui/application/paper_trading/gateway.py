"""``PaperGateway``: a broker gateway that reads a real feed and fills orders on a ``PaperBook``.

A paper session runs the same ``LiveTradingRunner`` as a live one; only its gateway differs.
Market data, instruments and the connection come from the wrapped broker, so a paper session
sees exactly the quotes and candles a live one would, and loses the feed when the broker drops.
With a market-data hub, the quotes it fills and marks at are the hub's latest (no request to
the broker). Orders never reach that broker: a market buy fills in full at the quoted ask, a
sell at the bid, each moved by the session's slippage ticks and charged its commission and tax.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from livetrader_gui.application.paper_trading.book import PaperBook
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerOrderState,
    BrokerPosition,
    Clock,
    ConnectionState,
    IBrokerGateway,
    ITradingCalendar,
)
from livetrader_gui.domain import (
    DEFAULT_CLIENT_ORDER_IDS,
    Account,
    Candle,
    ClientOrderIds,
    Instrument,
    OrderRequest,
    Quote,
    TradeDirection,
)


class PaperGateway:
    """An ``IBrokerGateway`` for paper sessions (never real money)."""

    def __init__(
        self,
        market_data: IBrokerGateway,
        book: PaperBook,
        calendar: ITradingCalendar,
        account_id: str,
        latest: Callable[[str], Quote | None] | None = None,
    ) -> None:
        self._data = market_data
        self._latest = latest
        self._book = book
        self._calendar = calendar
        self._account_id = account_id
        self._currency: str | None = None
        # Closed by ``disconnect``: this session's link, not the broker's feed (others share it).
        self._closed = False

    @property
    def account_id(self) -> str:
        """Return the paper account's id: the books the session's orders go to."""
        return self._account_id

    @property
    def book(self) -> PaperBook:
        """Return the simulated account."""
        return self._book

    @property
    def broker_id(self) -> str:
        # The session names the broker whose feed it trades on, as a live session would.
        return self._data.broker_id

    @property
    def display_name(self) -> str:
        return f"{self._data.display_name} (paper)"

    @property
    def is_real_money(self) -> bool:
        return False

    @property
    def client_order_ids(self) -> ClientOrderIds:
        """Return how this broker wants client order ids made."""
        return DEFAULT_CLIENT_ORDER_IDS

    @property
    def clock(self) -> Clock:
        return self._data.clock

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.DISCONNECTED if self._closed else self._data.connection_state

    async def connect(self) -> None:
        if self._data.connection_state is not ConnectionState.CONNECTED:
            await self._data.connect()
        self._closed = False

    async def disconnect(self) -> None:
        # Only this gateway closes: the feed belongs to the broker, shared with other sessions.
        self._closed = True

    async def get_instruments(self) -> list[Instrument]:
        self._require_open()
        return await self._data.get_instruments()

    async def get_instrument(self, symbol: str) -> Instrument:
        self._require_open()
        return await self._data.get_instrument(symbol)

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        self._require_open()
        return await self._data.get_latest_quote(symbol)

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        self._require_open()
        return await self._data.get_recent_candles(symbol, limit)

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        self._require_open()
        return await self._data.get_historical_candles(symbol, start, end)

    def _require_open(self) -> None:
        if self._closed:
            raise BrokerConnectionError(f"the paper account {self._account_id} is disconnected")

    def _require_link(self) -> None:
        self._require_open()
        if self._data.connection_state is not ConnectionState.CONNECTED:
            raise BrokerConnectionError(
                f"{self._data.broker_id} is {self._data.connection_state.value.lower()}: "
                "paper orders need its quotes"
            )

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        self._require_link()
        now = self.clock.now()
        known = self._book.orders.get(request.client_order_id)
        if known is not None:
            return known
        instrument = await self._data.get_instrument(request.symbol)
        if not self._calendar.is_open(now):
            return self._refuse(request, now, f"the {self._calendar.code} market is closed")
        quote = await self._quote(request.symbol)
        if quote is None:
            return self._refuse(request, now, f"no {request.symbol} quote to fill at")
        buying = request.direction is TradeDirection.BUY
        price = self._book.costs.fill_price(
            instrument, quote.ask if buying else quote.bid, buying=buying
        )
        return self._book.execute(request, price, instrument, now)

    async def _quote(self, symbol: str) -> Quote | None:
        if self._latest is not None:
            quote = self._latest(symbol)
            if quote is not None:
                return quote
        return await self._data.get_latest_quote(symbol)

    def _refuse(self, request: OrderRequest, now: datetime, reason: str) -> BrokerOrderState:
        return self._book.reject(request, now, reason)

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        self._require_link()
        state = self._book.orders.get(client_order_id)
        if state is None:
            raise ValueError(f"the paper account has no order {client_order_id}")
        return state  # filled or refused the moment it was placed: nothing is left to cancel

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        self._require_link()
        return self._book.orders.get(client_order_id)

    async def get_open_orders(self) -> list[BrokerOrderState]:
        self._require_link()
        return []

    async def get_positions(self) -> list[BrokerPosition]:
        self._require_link()
        return self._book.broker_positions()

    async def get_account(self) -> Account:
        self._require_link()
        marks = {}
        for position in self._book.broker_positions():
            quote = await self._quote(position.symbol)
            if quote is not None:
                marks[position.symbol] = quote.last  # as the runner marks positions
        if self._currency is None:
            self._currency = (await self._data.get_account()).currency
        cash = self._book.cash
        return Account(
            self._account_id, self._currency, cash, max(cash, Decimal(0)), self._book.equity(marks)
        )
