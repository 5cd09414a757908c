"""Run a backtest of a strategy and keep its result as go-live evidence."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pandas as pd

from livetrader_gui.application.ports import (
    Clock,
    IBacktestRepository,
    IBrokerGateway,
    ISessionTable,
    ITradingCalendar,
)
from livetrader_gui.domain.backtest import BacktestResult
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.strategy import Strategy
from livetrader_gui.processing.backtest import (
    BacktestConfig,
    Backtester,
    BacktestOutcome,
    ExitPrices,
    TradingHours,
)
from livetrader_gui.processing.engine import CandleDataError, ProcessingEngine
from livetrader_gui.processing.frames import candles_frame


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """A backtest to run: the strategy, the period ``[start, end)`` and the money.

    With the exchange's *calendar* the backtest trades only while the exchange is open and counts
    trading days as the live runner does; *exits* says how stop-loss and take-profit fill.
    """

    strategy: Strategy
    start: datetime
    end: datetime
    initial_capital: Decimal
    costs: TradingCosts = field(default_factory=TradingCosts)
    calendar: ITradingCalendar | None = None
    risk_free_rate: float = 0.0
    exits: ExitPrices = ExitPrices.RANGE


def trading_hours(calendar: ITradingCalendar) -> TradingHours:
    """Return what the backtester needs of *calendar*: the questions the live runner asks it."""
    if isinstance(calendar, ISessionTable):
        return TradingHours(
            calendar.is_open, calendar.session_date, calendar.open_mask, calendar.session_days
        )
    return TradingHours(is_open=calendar.is_open, session_date=calendar.session_date)


class BacktestService:
    """Fetch history from a broker, backtest off the event loop, store the result.

    The computation runs in an executor thread so the GUI thread never waits on it; ``progress``
    is called from that thread, so a GUI caller must hand it to Qt through a signal. Setting
    ``cancel`` stops the run with :class:`BacktestCancelledError`.
    """

    def __init__(
        self, engine: ProcessingEngine, results: IBacktestRepository, clock: Clock
    ) -> None:
        self._backtester = Backtester(engine)
        self._results = results
        self._clock = clock

    async def latest(self, strategy: Strategy) -> BacktestResult | None:
        """Return the newest stored backtest of *strategy*'s current rules, if any."""
        return await self._results.get_latest_by_strategy(strategy.id, strategy.rules_hash)

    async def run(
        self,
        request: BacktestRequest,
        broker: IBrokerGateway,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[BacktestResult, BacktestOutcome]:
        """Return the stored result and the full outcome (trades, equity curve) of *request*."""
        strategy = request.strategy
        history = {}
        instruments = {}
        for symbol in strategy.symbols:
            candles = await broker.get_historical_candles(symbol, request.start, request.end)
            if not candles:
                raise CandleDataError(
                    f"{broker.display_name} has no candles for {symbol} between "
                    f"{request.start:%Y-%m-%d %H:%M} and {request.end:%Y-%m-%d %H:%M}"
                )
            history[symbol] = candles
            instruments[symbol] = await broker.get_instrument(symbol)
        calendar = request.calendar
        config = BacktestConfig(
            request.initial_capital,
            costs=request.costs,
            timezone=calendar.timezone if calendar is not None else "UTC",
            risk_free_rate=request.risk_free_rate,
            hours=trading_hours(calendar) if calendar is not None else None,
            exits=request.exits,
        )
        stop = cancel or threading.Event()
        frames: dict[str, pd.DataFrame] = {}

        def compute() -> BacktestOutcome:
            # Turning months of candles into frames is as slow as the backtest: both off-loop.
            frames.update((symbol, candles_frame(rows)) for symbol, rows in history.items())
            return self._backtester.run(
                strategy, frames, instruments, config, progress=progress, is_cancelled=stop.is_set
            )

        outcome = await asyncio.get_running_loop().run_in_executor(None, compute)
        first = min(frame.index[0] for frame in frames.values()).to_pydatetime()
        last = max(frame.index[-1] for frame in frames.values()).to_pydatetime()
        result = BacktestResult(
            id=f"bt-{uuid.uuid4().hex[:16]}",
            strategy_id=strategy.id,
            rules_hash=strategy.rules_hash,
            symbols=strategy.symbols,
            start=first,
            end=last if last > first else request.end,
            initial_capital=request.initial_capital,
            final_equity=outcome.final_equity,
            metrics=outcome.metrics,
            created_at=self._clock.now(),
            curve=daily_curve(outcome.equity, config.timezone),
            costs=request.costs,
        )
        await self._results.add(result)
        return result, outcome


def daily_curve(equity: pd.Series, timezone: str) -> tuple[tuple[datetime, Decimal], ...]:
    """Return the equity at the last minute of each local trading day, oldest first: what a
    stored backtest keeps of its curve (a few hundred points, not every minute)."""
    if equity.empty:
        return ()
    index = pd.DatetimeIndex(equity.index)
    if index.tz is None:
        index = index.tz_localize("UTC")
    series = pd.Series(equity.to_numpy(dtype=float), index=index)
    last = series.groupby(index.tz_convert(timezone).date).tail(1)
    moments = pd.DatetimeIndex(last.index).to_pydatetime()
    return tuple(
        (at, Decimal(repr(round(float(value), 2))))
        for at, value in zip(moments, last.to_numpy(), strict=True)
    )
