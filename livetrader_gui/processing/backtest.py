"""The backtester: the strategy's rules over historical candles, traded as the live runner trades.

Signals come from the same compiled rules as live, over whole columns at once. Trading semantics
follow the runner: a rule is decided on a closed candle and a market order fills at that candle's
close, moved against us by the slippage; stop-loss and take-profit watch every later candle's
range and fill at their level (or at the open when the market gaps through it); sizing, max
positions and the daily loss limit are the runner's; commission and sell tax are charged per fill.
Per symbol the exit of a position is found with one vector search, so the Python loop runs once
per trade, not once per candle. Money is Decimal; the equity curve is float64 for charts and
statistics.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

import numpy as np
import pandas as pd

from livetrader_gui.domain.backtest import BacktestMetrics
from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.instrument import Instrument
from livetrader_gui.domain.sizing import TradingCosts, position_quantity
from livetrader_gui.domain.strategy import Strategy
from livetrader_gui.domain.values import positive
from livetrader_gui.processing.engine import CandleDataError, ProcessingEngine, candle_columns
from livetrader_gui.processing.indicators import FloatArray
from livetrader_gui.processing.metrics import compute_metrics


class BacktestCancelledError(Exception):
    """The backtest was cancelled before it finished."""


class ExitReason(Enum):
    """Why a backtest position was closed."""

    RULE = "exit rule"
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"
    END = "end of data"


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """What a backtest needs besides the strategy and the candles.

    ``timezone`` is the exchange's: it decides where a trading day ends, for the daily loss limit
    and the daily returns. ``risk_free_rate`` is annual, as a fraction.
    """

    initial_capital: Decimal
    costs: TradingCosts = field(default_factory=TradingCosts)
    timezone: str = "UTC"
    risk_free_rate: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "initial_capital", positive(self.initial_capital, "initial capital")
        )
        if not 0.0 <= self.risk_free_rate < 1.0:
            raise InvalidValueError(
                f"risk-free rate must be a fraction from 0 to 1, got {self.risk_free_rate}"
            )


@dataclass(frozen=True, slots=True)
class BacktestTrade:
    """One round trip: a position bought and sold, with its costs and net result."""

    symbol: str
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime
    exit_price: Decimal
    quantity: Decimal
    costs: Decimal
    pnl: Decimal
    exit_reason: ExitReason

    @property
    def return_pct(self) -> Decimal:
        """Return the net result as a percentage of the money put in."""
        return self.pnl / (self.entry_price * self.quantity) * 100


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """What a backtest produced: trades, the equity curve, metrics and final equity."""

    trades: tuple[BacktestTrade, ...]
    equity: pd.Series
    metrics: BacktestMetrics
    final_equity: Decimal
    skipped_entries: Mapping[str, int]


Progress = Callable[[float], None]


@dataclass(slots=True)
class _Symbol:
    name: str
    instrument: Instrument
    times: pd.DatetimeIndex
    columns: dict[str, FloatArray]
    entries: np.ndarray
    exits: np.ndarray
    master: np.ndarray  # position of each of its bars on the common timeline
    row: int = 0  # its row in the marks matrix: its place in the strategy's symbols
    busy_until: int = -1  # master index until which a position is open


@dataclass(slots=True)
class _Open:
    symbol: _Symbol
    entry_bar: int
    quantity: Decimal
    entry_price: Decimal
    entry_cost: Decimal
    exit_bar: int  # on the common timeline; one past the end for positions the data outlasts
    exit_time: datetime
    exit_price: Decimal
    reason: ExitReason
    cost_basis: Decimal


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

        ``candles`` maps each of the strategy's symbols to a frame indexed by time-zone aware
        timestamps with float columns open, high, low, close, volume. ``progress`` receives the
        fraction done; ``is_cancelled`` is polled and a True answer raises
        :class:`BacktestCancelledError`.

        Raises
        ------
        FormulaError
            A rule of the strategy is not valid.
        CandleDataError
            Candles are missing for a symbol, or are not usable (naive or unsorted times).
        """
        entry = self._engine.compile(strategy.entry_rule)
        exit_rule = self._engine.compile(strategy.exit_rule)
        symbols = [
            _prepare(name, candles, instruments, entry.evaluate, exit_rule.evaluate)
            for name in strategy.symbols
        ]
        timeline = symbols[0].times
        for symbol in symbols[1:]:
            timeline = timeline.union(symbol.times)
        if len(timeline) == 0:
            raise CandleDataError("there are no candles to backtest")
        for row, symbol in enumerate(symbols):
            symbol.master = timeline.get_indexer(symbol.times)
            symbol.row = row
        run = _Run(strategy, config, symbols, timeline, progress, is_cancelled)
        return run.execute()


def _prepare(
    name: str,
    candles: Mapping[str, pd.DataFrame],
    instruments: Mapping[str, Instrument],
    entry: Callable[[Mapping[str, FloatArray]], np.ndarray],
    exit_rule: Callable[[Mapping[str, FloatArray]], np.ndarray],
) -> _Symbol:
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
    columns = candle_columns(frame)
    return _Symbol(
        name=name,
        instrument=instruments[name],
        times=index,
        columns=columns,
        entries=entry(columns),
        exits=exit_rule(columns),
        master=np.empty(0, dtype=np.intp),
    )


class _Run:
    """The state of one backtest while it runs."""

    _PROGRESS_EVERY = 256

    def __init__(
        self,
        strategy: Strategy,
        config: BacktestConfig,
        symbols: list[_Symbol],
        timeline: pd.DatetimeIndex,
        progress: Progress | None,
        is_cancelled: Callable[[], bool] | None,
    ) -> None:
        self.strategy = strategy
        self.controls = strategy.risk_config.controls
        self.config = config
        self.costs = config.costs
        self.symbols = symbols
        self.timeline = timeline
        self.progress = progress or (lambda fraction: None)
        self.is_cancelled = is_cancelled or (lambda: False)
        self.cash = config.initial_capital
        self.cash_history: list[tuple[int, Decimal]] = [(-1, self.cash)]
        self.open: list[_Open] = []
        self.positions: list[_Open] = []
        self.trades: list[BacktestTrade] = []
        self.skipped = {"max_positions": 0, "daily_loss": 0, "position_size": 0}
        self.marks = self._marks()
        local = timeline.tz_convert(config.timezone)
        day = local.normalize()
        starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
        self.day_start = np.repeat(starts, np.diff(np.append(starts, len(timeline))))
        self.day_equity: dict[int, Decimal] = {}

    def _marks(self) -> np.ndarray:
        """Return each symbol's close carried forward over the common timeline."""
        marks = np.full((len(self.symbols), len(self.timeline)), np.nan)
        for row, symbol in enumerate(self.symbols):
            marks[row, symbol.master] = symbol.columns["close"]
            marks[row] = pd.Series(marks[row]).ffill().to_numpy()
        return marks

    def execute(self) -> BacktestOutcome:
        candidates = sorted(
            (int(symbol.master[bar]), order, int(bar))
            for order, symbol in enumerate(self.symbols)
            for bar in np.flatnonzero(symbol.entries)
        )
        for done, (moment, order, bar) in enumerate(candidates):
            if done % self._PROGRESS_EVERY == 0:
                if self.is_cancelled():
                    raise BacktestCancelledError("the backtest was cancelled")
                self.progress(done / max(len(candidates), 1))
            self._close_until(moment)
            self._consider_entry(moment, self.symbols[order], bar)
        self._close_until(len(self.timeline) + 1)
        self.progress(1.0)
        return self._outcome()

    def _close_until(self, moment: int) -> None:
        due = sorted((p for p in self.open if p.exit_bar <= moment), key=lambda p: p.exit_bar)
        for position in due:
            self.open.remove(position)
            self._close(position)

    def _consider_entry(self, moment: int, symbol: _Symbol, bar: int) -> None:
        if moment <= symbol.busy_until:
            return  # in a position, or exited on this very bar: the runner decides once per bar
        if self._daily_loss_reached(moment):
            self.skipped["daily_loss"] += 1
            return
        if len(self.open) >= self.controls.max_positions:
            self.skipped["max_positions"] += 1
            return
        close = Decimal(repr(float(symbol.columns["close"][bar])))
        price = self.costs.fill_price(symbol.instrument, close, buying=True)
        quantity = position_quantity(
            equity=self._equity_at(moment),
            cash=self.cash,
            price=price,
            position_pct=self.strategy.position_pct,
            max_position_size_pct=self.controls.max_position_size_pct,
            commission_rate=self.costs.commission_rate,
            instrument=symbol.instrument,
        )
        if quantity <= 0:
            self.skipped["position_size"] += 1
            return
        cost = self.costs.buy_costs(quantity * price, symbol.instrument.currency)
        self._move_cash(moment, -(quantity * price + cost))
        exit_bar, exit_price, reason = self._find_exit(symbol, bar, price)
        # A position the data outlasts closes after the last bar, once every entry is decided.
        exit_moment = (
            len(self.timeline) if reason is ExitReason.END else int(symbol.master[exit_bar])
        )
        position = _Open(symbol, moment, quantity, price, cost, exit_moment,
                         symbol.times[exit_bar].to_pydatetime(), exit_price, reason,
                         quantity * price + cost)  # fmt: skip
        symbol.busy_until = position.exit_bar
        self.open.append(position)
        self.positions.append(position)

    def _find_exit(
        self, symbol: _Symbol, bar: int, entry: Decimal
    ) -> tuple[int, Decimal, ExitReason]:
        """Return the bar, fill price and reason of the first exit after *bar*."""
        later = slice(bar + 1, None)
        cols = symbol.columns
        signal = symbol.exits[later].copy()
        stop = target = None
        hit_stop = hit_target = np.zeros(signal.shape, dtype=bool)
        if self.controls.stop_loss_pct is not None:
            stop = entry * (1 - self.controls.stop_loss_pct / 100)
            hit_stop = cols["low"][later] <= float(stop)
        if self.controls.take_profit_pct is not None:
            target = entry * (1 + self.controls.take_profit_pct / 100)
            hit_target = cols["high"][later] >= float(target)
        anything = signal | hit_stop | hit_target
        if not anything.any():
            last = len(symbol.times) - 1
            return last, self._sell_price(symbol, cols["close"][last]), ExitReason.END
        step = int(anything.argmax())
        at = bar + 1 + step
        opening = Decimal(repr(float(cols["open"][at])))
        # Within one candle the order of prices is unknown: assume the stop came first.
        if hit_stop[step] and stop is not None:
            raw = min(opening, stop)
            return at, self._sell_price(symbol, float(raw)), ExitReason.STOP_LOSS
        if hit_target[step] and target is not None:
            raw = max(opening, target)
            return at, self._sell_price(symbol, float(raw)), ExitReason.TAKE_PROFIT
        return at, self._sell_price(symbol, cols["close"][at]), ExitReason.RULE

    def _sell_price(self, symbol: _Symbol, raw: float) -> Decimal:
        return self.costs.fill_price(symbol.instrument, Decimal(repr(float(raw))), buying=False)

    def _close(self, position: _Open) -> None:
        instrument = position.symbol.instrument
        proceeds = position.quantity * position.exit_price
        cost = self.costs.sell_costs(proceeds, instrument.currency)
        self._move_cash(position.exit_bar, proceeds - cost)
        self.trades.append(
            BacktestTrade(
                symbol=position.symbol.name,
                entry_time=self.timeline[position.entry_bar].to_pydatetime(),
                entry_price=position.entry_price,
                exit_time=position.exit_time,
                exit_price=position.exit_price,
                quantity=position.quantity,
                costs=position.entry_cost + cost,
                pnl=proceeds - cost - position.cost_basis,
                exit_reason=position.reason,
            )
        )

    def _move_cash(self, moment: int, amount: Decimal) -> None:
        self.cash += amount
        self.cash_history.append((moment, self.cash))

    def _cash_at(self, moment: int) -> Decimal:
        index = bisect.bisect_right(self.cash_history, moment, key=lambda item: item[0]) - 1
        return self.cash_history[index][1]

    def _equity_at(self, moment: int) -> Decimal:
        """Return cash plus open positions marked at their close, as of the end of *moment*."""
        equity = self._cash_at(moment)
        for position in self.positions:
            if position.entry_bar <= moment < position.exit_bar:
                mark = self.marks[position.symbol.row, moment]
                equity += position.quantity * Decimal(repr(float(mark)))
        return equity

    def _daily_loss_reached(self, moment: int) -> bool:
        start = int(self.day_start[moment])
        if start not in self.day_equity:
            self.day_equity[start] = (
                self.config.initial_capital if start == 0 else self._equity_at(start - 1)
            )
        start_equity = self.day_equity[start]
        loss = start_equity - self._equity_at(moment)
        return loss > 0 and loss >= start_equity * self.controls.max_daily_loss_pct / 100

    def _outcome(self) -> BacktestOutcome:
        length = len(self.timeline)
        cash = np.zeros(length)
        for moment, value in self.cash_history[1:]:
            cash[moment:] = float(value)  # moments past the end (closing at the end) change nothing
        first_change = self.cash_history[1][0] if len(self.cash_history) > 1 else length
        cash[:first_change] = float(self.config.initial_capital)
        holdings = np.zeros(length)
        in_market = np.zeros(length, dtype=bool)
        for position in self.positions:
            span = slice(position.entry_bar, position.exit_bar)
            holdings[span] += float(position.quantity) * self.marks[position.symbol.row, span]
            in_market[span] = True
        equity = pd.Series(cash + holdings, index=self.timeline, name="equity")
        metrics = compute_metrics(
            equity,
            [trade.pnl for trade in self.trades],
            initial_capital=float(self.config.initial_capital),
            timezone=self.config.timezone,
            risk_free_rate=self.config.risk_free_rate,
            bars_in_market=int(in_market.sum()),
        )
        return BacktestOutcome(
            trades=tuple(sorted(self.trades, key=lambda t: (t.entry_time, t.symbol))),
            equity=equity,
            metrics=metrics,
            final_equity=self.cash,
            skipped_entries=dict(self.skipped),
        )
