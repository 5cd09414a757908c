"""Replay: the simulated broker fed by a CSV of 1-minute candles, on a clock the replay drives.

At any instant the broker shows the candles that have closed; its quote is the close of the
latest of them (or, before the first candle of a day has closed, that candle's open). A market
order fills at once at that quote, the close of the candle that produced the signal, moved
against it by the slippage. Fees and slippage are charged only when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from livetrader_gui.adapters.candle_file import MINUTE_NS, CandleColumns, exact, instant_ns, moment
from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.application.paper_trading import PaperBook
from livetrader_gui.application.ports import (
    BrokerConnectionError,
    BrokerOrderState,
    BrokerPosition,
    ConnectionState,
    UnknownSymbolError,
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
from livetrader_gui.domain.sizing import TradingCosts

MINUTE = timedelta(minutes=1)


class ReplayBroker:
    """An ``IBrokerGateway`` over recorded candles; orders fill at the last close."""

    def __init__(
        self,
        candles: Mapping[str, CandleColumns],
        instruments: dict[str, Instrument],
        clock: ManualClock,
        capital: Decimal,
        costs: TradingCosts,
        name: str = "replay",
    ) -> None:
        # Columns, not Candle objects: a year of minutes is a few MB this way, not a GB; a
        # candle is built when the runner asks for it.
        self._candles = candles
        self._ends = {s: rows.start + MINUTE_NS for s, rows in candles.items()}
        self._instruments = instruments
        self._clock = clock
        self._name = name
        self._book = PaperBook(capital, costs, prefix="R")
        # How many candles of each symbol have closed at the clock's instant, and the last
        # candle built of each: the runner asks several times a minute, the clock moves once.
        self._counted_now: datetime | None = None
        self._counted: dict[str, int] = {}
        self._counted_ns = 0
        self._built: dict[str, tuple[int, Candle]] = {}
        self._connected = True  # a recording is always there; only ``disconnect`` closes it

    @property
    def broker_id(self) -> str:
        return "REPLAY"

    @property
    def display_name(self) -> str:
        return f"Replay of {self._name}"

    @property
    def is_real_money(self) -> bool:
        return False

    @property
    def client_order_ids(self) -> ClientOrderIds:
        """Return how this broker wants client order ids made."""
        return DEFAULT_CLIENT_ORDER_IDS

    @property
    def clock(self) -> ManualClock:
        return self._clock

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.CONNECTED if self._connected else ConnectionState.DISCONNECTED

    async def connect(self) -> None:
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False

    def _require(self) -> None:
        if not self._connected:
            raise BrokerConnectionError(f"the replay of {self._name} is disconnected")

    def _rows(self, symbol: str) -> CandleColumns:
        self._require()
        rows = self._candles.get(symbol)
        if rows is None:
            raise UnknownSymbolError(f"the replay has no symbol '{symbol}'")
        return rows

    def _closed(self, symbol: str, at: datetime | None = None) -> int:
        """Return how many candles of *symbol* have closed by *at* (by default, now)."""
        self._rows(symbol)
        if at is not None:
            return self._count(symbol, at)
        now = self._clock.now()
        if now is not self._counted_now:
            self._counted_now = now
            self._counted_ns = instant_ns(now)
            self._counted = {}
        closed = self._counted.get(symbol)
        if closed is None:
            ends = self._ends[symbol]
            closed = self._counted[symbol] = int(ends.searchsorted(self._counted_ns, "right"))
        return closed

    def _count(self, symbol: str, at: datetime) -> int:
        return int(self._ends[symbol].searchsorted(instant_ns(at), "right"))

    def _candle(self, symbol: str, index: int) -> Candle:
        built = self._built.get(symbol)
        if built is not None and built[0] == index:
            return built[1]
        candle = self._candles[symbol].candle(index)
        self._built[symbol] = (index, candle)
        return candle

    async def get_instruments(self) -> list[Instrument]:
        self._require()
        return list(self._instruments.values())

    async def get_instrument(self, symbol: str) -> Instrument:
        self._rows(symbol)
        return self._instruments[symbol]

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        rows, closed = self._rows(symbol), self._closed(symbol)
        now_ns = instant_ns(self._clock.now())
        if (
            closed < len(rows)
            and rows.start[closed] <= now_ns
            and (closed == 0 or rows.start[closed - 1] + MINUTE_NS < rows.start[closed])
        ):
            # After a gap (a new session), the running candle's open is the freshest price.
            opening = exact(float(rows.open[closed]))
            return Quote(symbol, opening, opening, opening, moment(int(rows.start[closed])))
        if closed == 0:
            return None
        last = self._candle(symbol, closed - 1)
        return Quote.prechecked(symbol, last.close, last.end, last.volume)

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        closed = self._closed(symbol)
        return [self._candle(symbol, i) for i in range(max(0, closed - limit), closed)]

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        rows = self._rows(symbol)
        closed = self._closed(symbol)
        if end < self._clock.now():
            closed = min(closed, self._closed(symbol, end))
        first = int(rows.start.searchsorted(instant_ns(start), "left"))
        return [self._candle(symbol, i) for i in range(first, closed)]

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        self._require()
        closed = self._closed(request.symbol)
        instrument = self._instruments[request.symbol]
        price = None
        if closed:
            # The last close, moved against the order by the slippage, as a paper fill is.
            close = self._candle(request.symbol, closed - 1).close
            buying = request.direction is TradeDirection.BUY
            price = self._book.costs.fill_price(instrument, close, buying=buying)
        return self._book.execute(request, price, instrument, self._clock.now())

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        self._require()
        state = self._book.orders.get(client_order_id)
        if state is None:
            raise ValueError(f"the replay has no order {client_order_id}")
        return state  # every order is filled or rejected at once: nothing is left to cancel

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        self._require()
        return self._book.orders.get(client_order_id)

    async def get_open_orders(self) -> list[BrokerOrderState]:
        self._require()
        return []

    async def get_positions(self) -> list[BrokerPosition]:
        self._require()
        return self._book.broker_positions()

    async def get_account(self) -> Account:
        self._require()
        marks = {}
        for symbol in self._book.positions:
            closed = self._closed(symbol)
            if closed:
                marks[symbol] = self._candle(symbol, closed - 1).close
        currency = next(iter(self._instruments.values())).currency
        cash = self._book.cash
        return Account("REPLAY", currency, cash, max(cash, Decimal(0)), self._book.equity(marks))
