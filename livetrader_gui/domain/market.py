"""Market data: quotes and candles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import aware, non_negative, positive, symbol_code

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Quote:
    """The best bid and ask and the last trade of an instrument at ``at``."""

    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    at: datetime
    volume: Decimal = Decimal(0)
    # The last close of the session before (what "change" is measured from); None: unknown.
    previous_close: Decimal | None = None

    def __post_init__(self) -> None:
        symbol = symbol_code(self.symbol)
        object.__setattr__(self, "symbol", symbol)
        # Quotes arrive by the thousand a second: convert only what is not a usable Decimal.
        for field, label in (("bid", "bid"), ("ask", "ask"), ("last", "last price")):
            value = getattr(self, field)
            if not (isinstance(value, Decimal) and value.is_finite() and value > 0):
                object.__setattr__(self, field, positive(value, f"{symbol} {label}"))
        volume = self.volume
        if not (isinstance(volume, Decimal) and volume.is_finite() and volume >= 0):
            object.__setattr__(self, "volume", non_negative(volume, f"{symbol} volume"))
        aware(self.at, f"{symbol} quote time")
        if self.previous_close is not None:
            object.__setattr__(
                self, "previous_close", positive(self.previous_close, f"{symbol} previous close")
            )
        if self.bid > self.ask:
            raise InvalidValueError(f"{symbol} quote is crossed: bid {self.bid} > ask {self.ask}")

    @classmethod
    def prechecked(cls, symbol: str, price: Decimal, at: datetime, volume: Decimal) -> Quote:
        """Return the quote of one price (bid, ask and last) from values the caller has already
        checked as a whole (a candle file, checked column by column when it was read): a
        replay builds one per symbol a minute, and the checks would cost more than the rest."""
        quote = object.__new__(cls)
        for name, value in (("symbol", symbol), ("bid", price), ("ask", price), ("last", price),
                            ("at", at), ("volume", volume), ("previous_close", None)):  # fmt: skip
            object.__setattr__(quote, name, value)
        return quote

    @property
    def price(self) -> Decimal:
        """Return the last traded price (the seed's ``quote.price``)."""
        return self.last

    @property
    def change(self) -> Decimal | None:
        """Return the last price's change since the previous close, or None if unknown."""
        return None if self.previous_close is None else self.last - self.previous_close

    @property
    def change_pct(self) -> Decimal | None:
        """Return that change in per cent of the previous close, or None if unknown."""
        if self.previous_close is None:
            return None
        return (self.last - self.previous_close) / self.previous_close * 100

    @property
    def mid(self) -> Decimal:
        """Return the midpoint of bid and ask."""
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Candle:
    """Open, high, low, close and volume of one interval that starts at ``start``."""

    symbol: str
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    interval: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        symbol = symbol_code(self.symbol)
        object.__setattr__(self, "symbol", symbol)
        aware(self.start, f"{symbol} candle start")
        # Candles arrive by the hundred thousand: build the error label only when needed.
        for field in ("open", "high", "low", "close"):
            value = getattr(self, field)
            if not (isinstance(value, Decimal) and value.is_finite() and value > 0):
                object.__setattr__(self, field, positive(value, f"{self._label()}: {field}"))
        volume = self.volume
        if not (isinstance(volume, Decimal) and volume.is_finite() and volume >= 0):
            object.__setattr__(self, "volume", non_negative(volume, f"{self._label()}: volume"))
        if self.interval <= timedelta(0):
            raise InvalidValueError(f"{self._label()}: interval must be positive")
        if self.high < max(self.open, self.close) or self.low > min(self.open, self.close):
            raise InvalidValueError(
                f"{self._label()}: high {self.high} and low {self.low} must enclose "
                f"open {self.open} and close {self.close}"
            )

    @classmethod
    def prechecked(
        cls,
        symbol: str,
        start: datetime,
        prices: tuple[Decimal, Decimal, Decimal, Decimal],
        volume: Decimal,
    ) -> Candle:
        """Return a one-minute candle from values the caller has already checked as a whole (a
        candle file, checked column by column when it was read), without checking them again."""
        candle = object.__new__(cls)
        open_, high, low, close = prices
        for name, value in (("symbol", symbol), ("start", start), ("open", open_),
                            ("high", high), ("low", low), ("close", close), ("volume", volume),
                            ("interval", _MINUTE)):  # fmt: skip
            object.__setattr__(candle, name, value)
        return candle

    def _label(self) -> str:
        return f"{self.symbol} candle at {self.start.isoformat()}"

    @property
    def end(self) -> datetime:
        """Return the instant the candle closes (exclusive)."""
        return self.start + self.interval
