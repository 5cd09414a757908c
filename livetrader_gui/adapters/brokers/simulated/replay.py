"""Replay: the simulated broker fed by a CSV of 1-minute candles, on a clock the replay drives.

At any instant the broker shows the candles that have closed; its quote is the close of the
latest of them (or, before the first candle of a day has closed, that candle's open). A market
order fills at once at that quote, the close of the candle that produced the signal, moved
against it by the slippage. Fees and slippage are charged only when asked for.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.application.paper_trading import PaperBook
from livetrader_gui.application.ports import (
    BrokerOrderState,
    BrokerPosition,
    ConnectionState,
    UnknownSymbolError,
)
from livetrader_gui.domain import (
    Account,
    Candle,
    Instrument,
    InvalidValueError,
    OrderRequest,
    Quote,
    TradeDirection,
)
from livetrader_gui.domain.sizing import TradingCosts

CSV_COLUMNS = ("timestamp", "symbol", "open", "high", "low", "close", "volume")
MINUTE = timedelta(minutes=1)


class ReplayDataError(ValueError):
    """The candle file cannot be replayed; the message starts with ``FILE:LINE:``."""


def load_candles_csv(path: Path, symbols: Iterable[str]) -> dict[str, list[Candle]]:
    """Read one-minute candles of *symbols* from *path*, checked row by row, oldest first."""
    wanted = set(symbols)
    candles: dict[str, list[Candle]] = {s: [] for s in wanted}
    seen: dict[tuple[str, datetime], int] = {}
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise ReplayDataError(f"{path}: cannot read the candle file: {error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise ReplayDataError(
                f"{path}:1: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header must name {', '.join(CSV_COLUMNS)})"
            )
        reader.fieldnames = header
        try:
            for row in reader:
                line = reader.line_num
                candle = _candle(row, f"{path}:{line}")
                if candle.symbol not in wanted:
                    raise ReplayDataError(
                        f"{path}:{line}: symbol '{candle.symbol}' is not one of the strategy's "
                        f"symbols ({', '.join(sorted(wanted))})"
                    )
                key = (candle.symbol, candle.start)
                if key in seen:
                    raise ReplayDataError(
                        f"{path}:{line}: a second {candle.symbol} candle at "
                        f"{candle.start.isoformat()} (the first is on line {seen[key]})"
                    )
                seen[key] = line
                candles[candle.symbol].append(candle)
        except UnicodeDecodeError as error:
            raise ReplayDataError(f"{path}: not UTF-8 text: {error}") from None
        except csv.Error as error:
            raise ReplayDataError(f"{path}:{reader.line_num}: {error}") from None
    for symbol, rows in candles.items():
        if not rows:
            raise ReplayDataError(f"{path}: no candles for symbol '{symbol}'")
        rows.sort(key=lambda c: c.start)
    return candles


def _candle(row: dict[str, str | None], where: str) -> Candle:
    values = {k: (v or "").strip() for k, v in row.items() if k is not None}
    stamp = values["timestamp"]
    try:
        start = datetime.fromisoformat(stamp)
    except ValueError:
        raise ReplayDataError(f"{where}: timestamp '{stamp}' is not ISO 8601") from None
    if start.tzinfo is None:
        raise ReplayDataError(f"{where}: timestamp '{stamp}' has no UTC offset (e.g. +09:00)")
    if start.second or start.microsecond:
        raise ReplayDataError(f"{where}: timestamp '{stamp}' does not start a minute")
    numbers: dict[str, Decimal] = {}
    for name in ("open", "high", "low", "close", "volume"):
        try:
            numbers[name] = Decimal(values[name])
        except InvalidOperation:
            raise ReplayDataError(f"{where}: {name} '{values[name]}' is not a number") from None
    try:
        return Candle(
            values["symbol"],
            start,
            numbers["open"],
            numbers["high"],
            numbers["low"],
            numbers["close"],
            numbers["volume"],
        )
    except InvalidValueError as error:
        raise ReplayDataError(f"{where}: {error}") from None


class ReplayBroker:
    """An ``IBrokerGateway`` over recorded candles; orders fill at the last close."""

    def __init__(
        self,
        candles: dict[str, list[Candle]],
        instruments: dict[str, Instrument],
        clock: ManualClock,
        capital: Decimal,
        costs: TradingCosts,
        name: str = "replay",
    ) -> None:
        self._candles = candles
        self._ends = {s: [c.end for c in rows] for s, rows in candles.items()}
        self._instruments = instruments
        self._clock = clock
        self._name = name
        self._book = PaperBook(capital, costs, prefix="R")

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
    def clock(self) -> ManualClock:
        return self._clock

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.CONNECTED

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    def _rows(self, symbol: str) -> list[Candle]:
        rows = self._candles.get(symbol)
        if rows is None:
            raise UnknownSymbolError(f"the replay has no symbol '{symbol}'")
        return rows

    def _closed(self, symbol: str) -> int:
        """Return how many candles of *symbol* have closed by now."""
        self._rows(symbol)
        return bisect_right(self._ends[symbol], self._clock.now())

    async def get_instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    async def get_instrument(self, symbol: str) -> Instrument:
        self._rows(symbol)
        return self._instruments[symbol]

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        rows, closed, now = self._rows(symbol), self._closed(symbol), self._clock.now()
        if (
            closed < len(rows)
            and rows[closed].start <= now
            and (closed == 0 or rows[closed - 1].end < rows[closed].start)
        ):
            # After a gap (a new session), the running candle's open is the freshest price.
            opening = rows[closed]
            return Quote(symbol, opening.open, opening.open, opening.open, opening.start)
        if closed == 0:
            return None
        last = rows[closed - 1]
        return Quote(symbol, last.close, last.close, last.close, last.end, last.volume)

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        closed = self._closed(symbol)
        return self._rows(symbol)[max(0, closed - limit) : closed]

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        closed = self._closed(symbol)
        return [c for c in self._rows(symbol)[:closed] if start <= c.start and c.end <= end]

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        closed = self._closed(request.symbol)
        instrument = self._instruments[request.symbol]
        price = None
        if closed:
            # The last close, moved against the order by the slippage, as a paper fill is.
            close = self._rows(request.symbol)[closed - 1].close
            buying = request.direction is TradeDirection.BUY
            price = self._book.costs.fill_price(instrument, close, buying=buying)
        return self._book.execute(request, price, instrument, self._clock.now())

    async def cancel_order(self, client_order_id: str) -> BrokerOrderState:
        state = self._book.orders.get(client_order_id)
        if state is None:
            raise ValueError(f"the replay has no order {client_order_id}")
        return state  # every order is filled or rejected at once: nothing is left to cancel

    async def get_order(self, client_order_id: str) -> BrokerOrderState | None:
        return self._book.orders.get(client_order_id)

    async def get_open_orders(self) -> list[BrokerOrderState]:
        return []

    async def get_positions(self) -> list[BrokerPosition]:
        return self._book.broker_positions()

    async def get_account(self) -> Account:
        marks = {}
        for symbol in self._book.positions:
            closed = self._closed(symbol)
            if closed:
                marks[symbol] = self._rows(symbol)[closed - 1].close
        currency = next(iter(self._instruments.values())).currency
        cash = self._book.cash
        return Account("REPLAY", currency, cash, max(cash, Decimal(0)), self._book.equity(marks))
