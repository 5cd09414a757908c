"""A seeded, deterministic market: one price path per symbol and trading day.

Every trading day of every symbol is generated on its own from ``(seed, symbol, day)``, so any
stretch of history can be produced in any order and always comes out the same; another seed is
another market (each symbol's price level, volatility and volume differ, not only the noise):

- the day's closing level follows a slowly mean-reverting walk (in log price) around the
  symbol's level, so a stock quoted around 72,000 KRW stays in that region for years;
- within the day, a Brownian bridge at one-second steps runs from the open (last close plus an
  overnight gap) to that close, with swings of a quarter of an hour or so on top that fade out
  by the close; prices are rounded onto the exchange's tick grid, and trades alternate between
  the bid and the ask (a tick apart), as they do on a real book;
- volume per second is Poisson around the symbol's average: heavy at the open, lighter at
  midday, rising into the close, busier in minutes that move, and different every day.

Quotes, candles and order matching all read the same path, so a candle's high and low are
prices that were really quoted.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from livetrader_gui.application.ports import ITradingCalendar
from livetrader_gui.domain import Candle, Instrument, Quote

STEP_SECONDS = 1
_EPOCH = date(2000, 1, 3)  # the daily walk starts here, well before any history asked for
_HORIZON_DAYS = 366 * 60  # the walk is generated once for 60 years, whatever is asked first
_MEAN_REVERSION = 0.995  # daily persistence of the log deviation from the symbol's level
_SWING_MEMORY_S = 900.0  # how long an intraday swing lasts (e-folding time of its AR(1) process)
_SWING_SIZE = 0.35  # the swings' spread, as a fraction of the daily volatility
_SEED_SPREAD = 0.25  # how far another seed moves a symbol's level, volatility and volume (log)
# A day path is ~187 KB (23,400 one-second steps of float32 prices, which hold every KRX price
# exactly, and int32 volumes). The cache keeps three sessions of every symbol: today's, the one
# before (quotes before the open, warm-ups) and one to spare; more would only grow the process
# by 1.1 MB a day for six symbols until the cap, without being read again.
_CACHE_SESSIONS = 3
_PRICE = np.float32
_VOLUME = np.int32


@dataclass(frozen=True, slots=True)
class SimulatedSymbol:
    """How one simulated instrument behaves."""

    instrument: Instrument
    reference_price: Decimal
    daily_volatility: float
    minute_volume: int


@dataclass(frozen=True, slots=True)
class DayPath:
    """One symbol's trading day at one-second steps from ``open_at``."""

    symbol: str
    day: date
    open_at: datetime
    close_at: datetime
    prices: npt.NDArray[np.float32]
    volumes: npt.NDArray[np.int32]
    previous_close: float

    def index_at(self, at: datetime) -> int:
        """Return the step in force at *at*, clamped to the day."""
        step = int((at - self.open_at).total_seconds()) // STEP_SECONDS
        return min(max(step, 0), len(self.prices) - 1)

    def step_time(self, index: int) -> datetime:
        """Return when step *index* begins."""
        return self.open_at + timedelta(seconds=index * STEP_SECONDS)


class SyntheticMarket:
    """Generates and caches ``DayPath``s for a universe of ``SimulatedSymbol``s."""

    def __init__(
        self, symbols: list[SimulatedSymbol], calendar: ITradingCalendar, seed: int = 7
    ) -> None:
        self._symbols = {s.instrument.symbol: s for s in symbols}
        self._calendar = calendar
        self._seed = seed
        self._levels: dict[str, npt.NDArray[np.float64]] = {}
        self._characters: dict[str, tuple[float, float, float]] = {}
        self._paths: OrderedDict[tuple[str, date], DayPath] = OrderedDict()
        # Long histories are built in a worker thread while quotes are read on the event loop.
        self._lock = threading.RLock()
        # A symbol trades on a few hundred distinct ticks: convert each float price once.
        self._decimal_prices: dict[str, dict[float, Decimal]] = {s: {} for s in self._symbols}

    @property
    def calendar(self) -> ITradingCalendar:
        """Return the calendar the market trades on."""
        return self._calendar

    def instruments(self) -> list[Instrument]:
        """Return the instruments of the universe."""
        return [s.instrument for s in self._symbols.values()]

    def knows(self, symbol: str) -> bool:
        """Tell whether *symbol* is in the universe."""
        return symbol in self._symbols

    def instrument(self, symbol: str) -> Instrument:
        """Return the instrument for *symbol* (KeyError if unknown)."""
        return self._symbols[symbol].instrument

    # ------------------------------------------------------------------ generation

    def _rng(self, symbol: str, *salt: int) -> np.random.Generator:
        key = zlib.crc32(symbol.encode("utf-8"))
        return np.random.default_rng([self._seed, key, *salt])

    def _character(self, symbol: str) -> tuple[float, float, float]:
        """Return the symbol's level, daily volatility and volume a minute in this market."""
        with self._lock:
            character = self._characters.get(symbol)
            if character is None:
                spec = self._symbols[symbol]
                level, volatility, volume = np.exp(
                    self._rng(symbol, 2).normal(0.0, _SEED_SPREAD, 3) * (1.0, 0.5, 1.0)
                )
                character = (
                    float(spec.reference_price) * level,
                    spec.daily_volatility * volatility,
                    spec.minute_volume * volume,
                )
                self._characters[symbol] = character
            return character

    def _daily_levels(self, symbol: str) -> npt.NDArray[np.float64]:
        """Return log deviations from the symbol's level, one per calendar day since epoch."""
        with self._lock:
            levels = self._levels.get(symbol)
            if levels is None:
                _, volatility, _ = self._character(symbol)
                shocks = self._rng(symbol, 0).normal(0.0, volatility, _HORIZON_DAYS)
                levels = _autoregressive(shocks, _MEAN_REVERSION)
                self._levels[symbol] = levels
            return levels

    def _close_level(self, symbol: str, day: date) -> float:
        offset = (day - _EPOCH).days
        level, _, _ = self._character(symbol)
        return level * float(np.exp(self._daily_levels(symbol)[offset]))

    def previous_session(self, day: date) -> date:
        """Return the trading day before *day* (the day before, at the calendar's start)."""
        earlier = self._calendar.sessions_between(day - timedelta(days=30), day - timedelta(days=1))
        return earlier[-1] if earlier else day - timedelta(days=1)

    def _ticks(self, symbol: str, prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        bands = self._symbols[symbol].instrument.ticks.bands
        lowers = np.array([float(b.lower) for b in bands])
        ticks = np.array([float(b.tick) for b in bands])
        tick: npt.NDArray[np.float64] = ticks[np.searchsorted(lowers, prices, side="right") - 1]
        return tick

    def _round(self, symbol: str, prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        tick = self._ticks(symbol, prices)
        smallest = float(self._symbols[symbol].instrument.ticks.bands[0].tick)
        rounded: npt.NDArray[np.float64] = np.maximum(np.rint(prices / tick) * tick, smallest)
        return rounded

    def day_path(self, symbol: str, day: date) -> DayPath:
        """Return the path of *symbol* on trading day *day* (generated once, then cached)."""
        key = (symbol, day)
        with self._lock:
            cached = self._paths.get(key)
            if cached is not None:
                self._paths.move_to_end(key)
                return cached
            path = self._generate(symbol, day)
            self._paths[key] = path
            if len(self._paths) > _CACHE_SESSIONS * len(self._symbols):
                self._paths.popitem(last=False)
            return path

    def _generate(self, symbol: str, day: date) -> DayPath:
        _, volatility, minute_volume = self._character(symbol)
        open_at, close_at = self._calendar.session_bounds(day)
        steps = int((close_at - open_at).total_seconds()) // STEP_SECONDS
        rng = self._rng(symbol, 1, day.toordinal())
        previous_level = self._close_level(symbol, self.previous_session(day))
        previous_close = float(self._round(symbol, np.array([previous_level]))[0])
        gap = rng.normal(0.0, volatility * 0.3)
        start, end = np.log(previous_close) + gap, np.log(self._close_level(symbol, day))
        sigma = volatility / np.sqrt(steps)
        walk = np.cumsum(rng.normal(0.0, sigma, steps))
        fraction = np.arange(1, steps + 1) / steps
        # Swings of a quarter of an hour: an AR(1) process whose spread is _SWING_SIZE of the
        # daily volatility, pinned to nothing at the close like the walk.
        persistence = float(np.exp(-STEP_SECONDS / _SWING_MEMORY_S))
        swing_shocks = rng.normal(
            0.0, _SWING_SIZE * volatility * np.sqrt(1 - persistence**2), steps
        )
        swings = _autoregressive(swing_shocks, persistence)
        log_prices = (
            start
            + (end - start) * fraction
            + walk
            - fraction * walk[-1]
            + swings
            - fraction * swings[-1]
        )
        bids = self._round(symbol, np.exp(log_prices))
        # Trades hit the bid or lift the offer, a tick above, in runs of a few seconds; the
        # closing trade is at the bid, the day's close.
        side = _autoregressive(rng.normal(0.0, 1.0, steps), 0.7) > 0
        side[-1] = False
        prices = (bids + side * self._ticks(symbol, bids)).astype(_PRICE)
        # Heavy at the open, lighter at midday, rising into the close; busier minutes that move;
        # and every day its own.
        shape = 1.0 + 2.5 * np.exp(-fraction / 0.03) + 0.9 * np.exp(-(1.0 - fraction) / 0.05)
        per_minute = 60 // STEP_SECONDS
        minutes = -(-steps // per_minute)
        mood = np.exp(_autoregressive(rng.normal(0.0, 0.2, minutes), 0.85))
        moves = np.abs(np.diff(log_prices[::per_minute], prepend=start))
        busy = 0.6 + 0.4 * moves / max(float(moves.mean()), 1e-12)
        minute_factor = np.repeat(mood * busy, per_minute)[:steps]
        day_factor = float(np.exp(rng.normal(0.0, 0.3)))
        rate = minute_volume / per_minute * day_factor * shape / shape.mean() * minute_factor
        volumes = rng.poisson(rate).astype(_VOLUME)
        return DayPath(symbol, day, open_at, close_at, prices, volumes, previous_close)

    # ------------------------------------------------------------------ reading

    def to_price(self, symbol: str, value: float) -> Decimal:
        """Return a path price as an exact Decimal on the tick grid."""
        known = self._decimal_prices[symbol]
        key = float(value)
        price = known.get(key)
        if price is None:
            price = self._symbols[symbol].instrument.round_price(Decimal(repr(key)))
            known[key] = price
        return price

    def path_at(self, symbol: str, at: datetime) -> DayPath:
        """Return the path of the session in force at *at*, or of the last one before it."""
        day = self._calendar.session_date(at)
        path = self.day_path(symbol, day)
        if at < path.open_at:
            path = self.day_path(symbol, self.previous_session(day))
        return path

    def quote_at(self, symbol: str, at: datetime) -> Quote:
        """Return the quote of *symbol* at *at* (the closing quote while the market is shut)."""
        path = self.path_at(symbol, at)
        index = path.index_at(at)
        last = self.to_price(symbol, path.prices[index])
        instrument = self._symbols[symbol].instrument
        stamp = min(at, path.close_at)
        return Quote(
            symbol=symbol,
            bid=last,
            ask=last + instrument.tick_size(last),
            last=last,
            at=stamp,
            volume=Decimal(int(path.volumes[: index + 1].sum())),
            previous_close=self.to_price(symbol, path.previous_close),
        )

    def candles(self, symbol: str, start: datetime, end: datetime) -> list[Candle]:
        """Return the 1-minute candles that start in ``[start, end)`` and have closed by *end*."""
        result: list[Candle] = []
        # Session dates are exchange-local; widen the UTC dates by a day on each side.
        first, last = start.date() - timedelta(days=1), end.date() + timedelta(days=1)
        for day in self._calendar.sessions_between(first, last):
            path = self.day_path(symbol, day)
            if path.close_at <= start or path.open_at >= end:
                continue
            result.extend(self._day_candles(path, start, end))
        return result

    def _day_candles(self, path: DayPath, start: datetime, end: datetime) -> list[Candle]:
        per_minute = 60 // STEP_SECONDS
        minutes = len(path.prices) // per_minute
        prices = path.prices[: minutes * per_minute].reshape(minutes, per_minute)
        volumes = path.volumes[: minutes * per_minute].reshape(minutes, per_minute).sum(axis=1)
        highs, lows = prices.max(axis=1), prices.min(axis=1)
        # Minute m covers [open + m, open + m + 1): it is included if it starts at or after
        # *start* and has closed by *end*.
        first = max(0, int(np.ceil((start - path.open_at).total_seconds() / 60)))
        stop = min(minutes, int((end - path.open_at).total_seconds() // 60))
        candles = []
        for minute in range(first, stop):
            begins = path.open_at + timedelta(minutes=minute)
            candles.append(
                Candle(
                    symbol=path.symbol,
                    start=begins,
                    open=self.to_price(path.symbol, prices[minute, 0]),
                    high=self.to_price(path.symbol, highs[minute]),
                    low=self.to_price(path.symbol, lows[minute]),
                    close=self.to_price(path.symbol, prices[minute, -1]),
                    volume=Decimal(int(volumes[minute])),
                )
            )
        return candles

    def recent_candles(self, symbol: str, now: datetime, limit: int) -> list[Candle]:
        """Return the *limit* latest candles closed by *now*, oldest first."""
        collected: list[Candle] = []
        end = now
        day = self._calendar.session_date(now)
        while len(collected) < limit:
            open_at, _ = self._calendar.session_bounds(day)
            if open_at < end:
                # Build only the minutes asked for, not the whole day: a runner asks every tick.
                # One spare minute covers an *end* in the middle of a minute.
                wanted = timedelta(minutes=limit - len(collected) + 1)
                collected = self.candles(symbol, max(open_at, end - wanted), end) + collected
            earlier = self._calendar.sessions_between(
                day - timedelta(days=30), day - timedelta(days=1)
            )
            if not earlier:
                break  # the start of the calendar: there is no more history
            day = earlier[-1]
            end = self._calendar.session_bounds(day)[1]
        return collected[-limit:] if limit > 0 else []


def _autoregressive(
    shocks: npt.NDArray[np.float64], persistence: float, block: int = 512
) -> npt.NDArray[np.float64]:
    """Return x with x[i] = persistence * x[i-1] + shocks[i] (x[-1] = 0), without a Python loop
    per step: within a block, x = p^k (x0 + cumsum(shocks / p^k)), which stays well inside
    float64's range for blocks of a few hundred steps."""
    result = np.empty_like(shocks, dtype=np.float64)
    powers = persistence ** np.arange(1, block + 1, dtype=np.float64)
    carried = 0.0
    for first in range(0, len(shocks), block):
        part = shocks[first : first + block]
        scale = powers[: len(part)]
        values = scale * (carried + np.cumsum(part / scale))
        result[first : first + len(part)] = values
        carried = float(values[-1])
    return result
