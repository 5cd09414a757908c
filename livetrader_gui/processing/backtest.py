"""The backtester: the strategy's rules over historical candles, traded as the live runner trades.

It decides as the live runner decides at each minute a candle closes, with the same domain rules
(``domain/risk_rules.py``: the entry check, the daily loss limit and the trading state it leads
to, the protective exits; ``domain/sizing.py``: sizing and costs): the account as the minute
begins, the symbols in the strategy's order, each marked at its last close and decided on its
rules and its quote; entries see the slots the ones before them took; market orders fill at once
at the close, moved against us by the slippage; the day's loss is checked once the minute is
done and turns the session to exits only until the next trading day. Given the exchange's
trading hours (``TradingHours``) it trades only while the exchange is open, and counts days as
the exchange does.

Stop-loss and take-profit come in two kinds (``ExitPrices``): ``CLOSE`` checks them on each
minute's close and sells at market, as the live runner does when it sees one price a minute (the
replay); ``RANGE``, the default, checks each candle's low and high and fills at the level, or at
the open when the market gapped through it, as a runner that sees every price does.

The rules run over whole columns at once; the loop runs only at minutes where something can
happen (an entry signal, a day that begins, a position's exit, the daily limit reached), found
with vector searches. Money is Decimal; the equity curve is float64 for charts and statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum

import numpy as np
import pandas as pd

from livetrader_gui.domain.backtest import BacktestMetrics
from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.instrument import Instrument
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.strategy import Strategy
from livetrader_gui.domain.values import positive
from livetrader_gui.processing.engine import CandleDataError, ProcessingEngine, candle_columns
from livetrader_gui.processing.indicators import FloatArray
from livetrader_gui.processing.metrics import Figures


class BacktestCancelledError(Exception):
    """The backtest was cancelled before it finished."""


class ExitReason(Enum):
    """Why a backtest position was closed."""

    RULE = "exit rule"
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"


class ExitPrices(Enum):
    """Which prices trigger stop-loss and take-profit, and where they fill."""

    RANGE = "range"  # a candle's low and high; at the level, or the open beyond it
    CLOSE = "close"  # each close; at the close, as a market order (the replay)


@dataclass(frozen=True, slots=True)
class TradingHours:
    """The exchange's calendar as the backtest needs it: whether it is open at an instant, and
    the trading day an instant belongs to (the live runner asks the same questions)."""

    is_open: Callable[[datetime], bool]
    session_date: Callable[[datetime], date]
    # The same answers for many instants (UTC ns) at once, when the calendar has them.
    open_mask: Callable[[np.ndarray], np.ndarray] | None = None
    session_days: Callable[[np.ndarray], np.ndarray] | None = None


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """What a backtest needs besides the strategy and the candles.

    ``timezone`` is the exchange's: without ``hours`` it decides where a trading day ends (for
    the daily loss limit); the daily returns of the metrics always use it. ``risk_free_rate`` is
    annual, as a fraction. ``stale_after``: a symbol whose last candle closed more than these
    seconds before a minute does not trade in it, as the runner ignores a stale quote (None:
    never stale). ``candle`` is the candles' length.
    """

    initial_capital: Decimal
    costs: TradingCosts = field(default_factory=TradingCosts)
    timezone: str = "UTC"
    risk_free_rate: float = 0.0
    hours: TradingHours | None = None
    exits: ExitPrices = ExitPrices.RANGE
    stale_after: float | None = None
    candle: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "initial_capital", positive(self.initial_capital, "initial capital")
        )
        if not 0.0 <= self.risk_free_rate < 1.0:
            raise InvalidValueError(
                f"risk-free rate must be a fraction from 0 to 1, got {self.risk_free_rate}"
            )
        if self.stale_after is not None and not self.stale_after > 0:
            raise InvalidValueError(f"stale_after must be above 0 s, got {self.stale_after}")


@dataclass(frozen=True, slots=True)
class BacktestTrade:
    """One position: bought, and sold unless the data ended first (``exit_time`` is None).

    Times are the minutes the orders filled (the close of the candle that decided them).
    ``pnl`` is net of every cost; a position still open is valued at the last close.
    """

    symbol: str
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    quantity: Decimal
    costs: Decimal
    pnl: Decimal
    exit_reason: ExitReason | None

    @property
    def is_open(self) -> bool:
        """Tell whether the position was still held when the data ended."""
        return self.exit_time is None

    @property
    def return_pct(self) -> Decimal:
        """Return the net result as a percentage of the money put in."""
        return self.pnl / (self.entry_price * self.quantity) * 100


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """What a backtest produced: trades, the equity curve, metrics and final equity.

    ``metrics`` are the ``figures`` rounded as they are stored; ``skipped_entries`` counts the
    entries the risk rules refused, by reason code.
    """

    trades: tuple[BacktestTrade, ...]
    equity: pd.Series
    metrics: BacktestMetrics
    figures: Figures
    final_equity: Decimal
    skipped_entries: Mapping[str, int]


Progress = Callable[[float], None]


@dataclass(slots=True)
class SymbolData:
    """One symbol's candles laid on the common timeline of candle closes."""

    name: str
    instrument: Instrument
    order: int  # its place in the strategy's symbols
    has: np.ndarray  # a candle of the symbol closes at this minute
    open: FloatArray  # of the candle closing at each minute (NaN where none)
    high: FloatArray
    low: FloatArray
    close: FloatArray  # the last close at or before each minute (NaN before the first)
    last_end: np.ndarray  # when that last candle closed (int64 ns)
    entries: np.ndarray  # the entry rule on the candle closing at this minute
    exits: np.ndarray


class Backtester:
    """Run a strategy over historical candles. Blocking: call it from an executor thread.

    Parameters
    ----------
    engine
        The engine the live runner uses, so that both compile the rules the same way.
    """

    def __init__(self, engine: ProcessingEngine) -> None:
        self._engine = engine

    def run(
        self,
        strategy: Strategy,
        candles: Mapping[str, pd.DataFrame],
        instruments: Mapping[str, Instrument],
        config: BacktestConfig,
        *,
        progress: Progress | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> BacktestOutcome:
        """Return the trades, equity curve and metrics of *strategy* over *candles*.

        ``candles`` maps each of the strategy's symbols to a frame indexed by the time-zone aware
        start of each candle, with float columns open, high, low, close, volume. ``progress``
        receives the fraction done; ``is_cancelled`` is polled and a True answer raises
        :class:`BacktestCancelledError`.

        Raises
        ------
        FormulaError
            A rule of the strategy is not valid.
        CandleDataError
            Candles are missing for a symbol, or are not usable (naive or unsorted times).
        """
        from livetrader_gui.processing.backtest_run import BacktestRun

        entry = self._engine.compile(strategy.entry_rule)
        exit_rule = self._engine.compile(strategy.exit_rule)
        frames = [_checked(name, candles, instruments) for name in strategy.symbols]
        # Nanoseconds throughout: pandas may hold times in other units, and they are compared.
        ends = [pd.DatetimeIndex(frame.index).as_unit("ns") + config.candle for frame in frames]
        timeline = ends[0]
        for more in ends[1:]:
            timeline = timeline.union(more)
        timeline = timeline.as_unit("ns")
        if len(timeline) == 0:
            raise CandleDataError("there are no candles to backtest")
        times = timeline.asi8
        symbols = []
        for order, (name, frame, end) in enumerate(
            zip(strategy.symbols, frames, ends, strict=True)
        ):
            columns = candle_columns(frame)
            symbols.append(
                _laid(name, instruments[name], order, times, end.asi8, columns,
                      entry.evaluate(columns), exit_rule.evaluate(columns))
            )  # fmt: skip
        run = BacktestRun(strategy, config, symbols, timeline, progress, is_cancelled)
        return run.execute()


def _checked(
    name: str, candles: Mapping[str, pd.DataFrame], instruments: Mapping[str, Instrument]
) -> pd.DataFrame:
    frame = candles.get(name)
    if frame is None:
        raise CandleDataError(f"there are no candles for {name}")
    if name not in instruments:
        raise CandleDataError(f"there is no instrument description for {name}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise CandleDataError(f"the candles of {name} must be indexed by time-zone aware times")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise CandleDataError(f"the candles of {name} must be in time order without repeats")
    return frame


def _laid(
    name: str,
    instrument: Instrument,
    order: int,
    times: np.ndarray,
    ends: np.ndarray,
    columns: Mapping[str, FloatArray],
    entries: np.ndarray,
    exits: np.ndarray,
) -> SymbolData:
    """Return a symbol's candles on the common *times* of candle closes."""
    length = len(times)
    at = np.searchsorted(times, ends)
    has = np.zeros(length, dtype=bool)
    has[at] = True

    def placed(values: FloatArray) -> FloatArray:
        out = np.full(length, np.nan)
        out[at] = values
        return out

    # Index of the symbol's last candle closed at or before each minute (-1 before the first).
    last = np.maximum.accumulate(np.where(has, np.arange(length), -1))
    close = placed(columns["close"])[np.maximum(last, 0)]
    close[last < 0] = np.nan
    last_end = np.where(last >= 0, times[np.maximum(last, 0)], np.iinfo(np.int64).min)
    flags_entry = np.zeros(length, dtype=bool)
    flags_exit = np.zeros(length, dtype=bool)
    flags_entry[at] = np.asarray(entries, dtype=bool)
    flags_exit[at] = np.asarray(exits, dtype=bool)
    return SymbolData(
        name=name,
        instrument=instrument,
        order=order,
        has=has,
        open=placed(columns["open"]),
        high=placed(columns["high"]),
        low=placed(columns["low"]),
        close=close,
        last_end=last_end,
        entries=flags_entry,
        exits=flags_exit,
    )
