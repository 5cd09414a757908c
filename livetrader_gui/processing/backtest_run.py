"""One backtest while it runs: the live runner's minute, repeated where something can happen.

``BacktestRun.tick`` is the runner's tick on one minute of candles, rule for rule: the account as
the minute begins, the day's budget opened on a new trading day, the symbols decided in order
(marked at their last close; exits by protective level or by rule; entries sized on the account
as the minute began and checked on the slots and the day's P&L the decisions before them saw),
fills at once, and the daily loss limit checked once the minute is done. ``next_event`` finds,
with vector searches, the next minute at which a tick would change anything; every minute in
between only moves the marks.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from livetrader_gui.domain.orders import Fill, TradeDirection
from livetrader_gui.domain.position import Position
from livetrader_gui.domain.risk_rules import (
    EntryProposal,
    ProtectiveExit,
    check_entry,
    check_exit,
    daily_loss_limit,
    is_daily_limit_reached,
    next_trading_state,
    protective_exit,
    protective_fill_price,
    stop_loss_level,
    take_profit_level,
)
from livetrader_gui.domain.session import TradingState
from livetrader_gui.domain.signals import SignalReason
from livetrader_gui.domain.sizing import position_quantity
from livetrader_gui.domain.strategy import Strategy
from livetrader_gui.processing.backtest import (
    BacktestCancelledError,
    BacktestConfig,
    BacktestOutcome,
    BacktestTrade,
    ExitPrices,
    ExitReason,
    Progress,
    SymbolData,
)
from livetrader_gui.processing.metrics import measure

_NEVER = np.iinfo(np.int64).max
_REASONS = {
    SignalReason.STOP_LOSS: ExitReason.STOP_LOSS,
    SignalReason.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    SignalReason.EXIT_RULE: ExitReason.RULE,
}
# Float searches only propose minutes; each is confirmed in Decimal by the domain rules.
_SLACK = 1e-9
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _decimal(value: float) -> Decimal:
    # The decimal the price was written as (candles hold at most 15 digits): 61600, not 61600.0.
    number = float(value)
    return Decimal(int(number)) if number.is_integer() else Decimal(repr(number))


@dataclass(slots=True)
class _Held:
    """A position of the backtest, with what its trade record needs."""

    symbol: SymbolData
    position: Position
    entry_bar: int
    entry_time: datetime
    entry_price: Decimal
    entry_cost: Decimal
    exit_bar: int  # the next minute an exit may come (found when the position opens)


@dataclass(slots=True)
class _Budget:
    """The day's loss budget, opened as the runner's ``DailyRisk`` opens it."""

    day: int
    start_equity: Decimal
    realized_at_start: Decimal
    unrealized_at_start: Decimal
    reached: bool = False

    def pnl(self, realized: Decimal, unrealized: Decimal) -> Decimal:
        return realized - self.realized_at_start + unrealized - self.unrealized_at_start


class BacktestRun:
    """The state of one backtest while it runs."""

    _PROGRESS_EVERY = 0.2  # seconds between two progress reports

    def __init__(
        self,
        strategy: Strategy,
        config: BacktestConfig,
        symbols: Sequence[SymbolData],
        timeline: pd.DatetimeIndex,
        progress: Progress | None,
        is_cancelled: Callable[[], bool] | None,
    ) -> None:
        self.strategy = strategy
        self.controls = strategy.risk_config.controls
        self.config = config
        self.costs = config.costs
        self.symbols = list(symbols)
        self.timeline = timeline
        self.length = len(timeline)
        self.progress = progress or (lambda fraction: None)
        self.is_cancelled = is_cancelled or (lambda: False)
        self.in_session, self.day = self._calendar()
        times = self.times = timeline.asi8
        self.zone = timeline[0].to_pydatetime().tzinfo if len(timeline) else UTC
        stale = config.stale_after
        limit = _NEVER if stale is None else int(stale * 1e9)
        self.fresh = {
            s.name: (times - s.last_end <= limit) & ~np.isnan(s.close) for s in self.symbols
        }
        tradable = {s.name: self.in_session & self.fresh[s.name] for s in self.symbols}
        self.tradable = tradable
        self.entry_bars = {s.name: np.flatnonzero(s.entries & tradable[s.name]) for s in symbols}
        self.rule_exit_bars = {s.name: np.flatnonzero(s.exits & tradable[s.name]) for s in symbols}
        self.day_starts = np.flatnonzero(np.diff(self.day, prepend=self.day[0] - 1))
        self.cash = config.initial_capital
        self.realized = Decimal(0)
        self.held: dict[str, _Held] = {}
        self.state = TradingState.ACTIVE
        self.budget: _Budget | None = None
        self.trades: list[BacktestTrade] = []
        self.skipped: Counter[str] = Counter()
        self.cash_changes: list[tuple[int, Decimal]] = []
        self.spans: list[tuple[int, float, int, int]] = []  # symbol order, quantity, from, to

    def _calendar(self) -> tuple[np.ndarray, np.ndarray]:
        """Return, per minute, whether the exchange is open and the trading day's number."""
        hours = self.config.hours
        if hours is None:
            local = self.timeline.tz_convert(self.config.timezone).tz_localize(None)
            days = local.normalize().as_unit("ns").asi8 // (86_400 * 10**9)
            return np.ones(self.length, dtype=bool), days
        if hours.open_mask is not None and hours.session_days is not None:
            instants = self.timeline.asi8
            return hours.open_mask(instants), hours.session_days(instants)
        stamps = [moment.to_pydatetime() for moment in self.timeline]
        is_open = np.fromiter((hours.is_open(s) for s in stamps), dtype=bool, count=self.length)
        days = np.fromiter(
            (hours.session_date(s).toordinal() for s in stamps), dtype=np.int64, count=self.length
        )
        return is_open, days

    # ------------------------------------------------------------------ the loop

    def execute(self) -> BacktestOutcome:
        bar, reported = 0, 0.0
        self.progress(0.0)
        while True:
            bar = self.next_event(bar)
            if bar >= self.length:
                break
            self.tick(bar)
            bar += 1
            if time.monotonic() - reported > self._PROGRESS_EVERY:
                reported = time.monotonic()
                if self.is_cancelled():
                    raise BacktestCancelledError("the backtest was cancelled")
                self.progress(bar / self.length)
        self.progress(1.0)
        return self._outcome()

    def next_event(self, start: int) -> int:
        """Return the first minute from *start* at which a tick changes anything."""
        soonest = self.length
        if self.budget is None:
            return start
        after = bisect.bisect_left(self.day_starts, start)
        if after < len(self.day_starts):
            soonest = int(self.day_starts[after])
        for symbol in self.symbols:
            held = self.held.get(symbol.name)
            if held is None:
                bars = self.entry_bars[symbol.name]
                at = bisect.bisect_left(bars, start)
                if at < len(bars):
                    soonest = min(soonest, int(bars[at]))
            else:
                if held.exit_bar < start:
                    held.exit_bar = self._exit_from(held, start)
                soonest = min(soonest, held.exit_bar)
        if self.held and not self.budget.reached and soonest > start:
            soonest = min(soonest, self._limit_reached_from(start, soonest))
        return soonest

    def _exit_from(self, held: _Held, start: int) -> int:
        """Return the first minute from *start* at which *held* may exit (a rule exit, or a
        protective level its prices reach), or the end."""
        symbol = held.symbol
        bars = self.rule_exit_bars[symbol.name]
        at = bisect.bisect_left(bars, start)
        rule = int(bars[at]) if at < len(bars) else self.length
        price = held.position.average_price
        stop = stop_loss_level(price, self.controls.stop_loss_pct)
        target = take_profit_level(price, self.controls.take_profit_pct)
        if stop is None and target is None:
            return rule
        if self.config.exits is ExitPrices.CLOSE:
            low = high = symbol.close
            where = self.tradable[symbol.name]
        else:
            low, high = symbol.low, symbol.high
            where = self.tradable[symbol.name] & symbol.has
        span = 1024
        begin = start
        while begin < rule:
            end = min(rule, begin + span)
            hits = np.zeros(end - begin, dtype=bool)
            if stop is not None:
                hits |= low[begin:end] <= float(stop) * (1 + _SLACK)
            if target is not None:
                hits |= high[begin:end] >= float(target) * (1 - _SLACK)
            for offset in np.flatnonzero(hits & where[begin:end]):
                bar = begin + int(offset)
                if self._protective(held, bar) is not None:
                    return bar
            begin, span = end, span * 4
        return rule

    def _protective(self, held: _Held, bar: int) -> ProtectiveExit | None:
        symbol = held.symbol
        price = held.position.average_price
        if self.config.exits is ExitPrices.CLOSE:
            close = _decimal(symbol.close[bar])
            return protective_exit(self.controls, price, close, close)
        if not symbol.has[bar]:
            return None
        return protective_exit(
            self.controls, price, _decimal(symbol.low[bar]), _decimal(symbol.high[bar])
        )

    def _limit_reached_from(self, start: int, end: int) -> int:
        """Return the first minute in ``[start, end)`` whose close leaves the day's loss at its
        limit, or *end*; the positions do not change in between."""
        budget = self.budget
        assert budget is not None
        if not start < end:
            return end
        pnl = np.full(end - start, float(self.realized - budget.realized_at_start))
        pnl -= float(budget.unrealized_at_start)
        for held in self.held.values():
            position = held.position
            pnl += float(position.quantity) * (
                held.symbol.close[start:end] - float(position.average_price)
            )
        limit = float(daily_loss_limit(budget.start_equity, self.controls.max_daily_loss_pct))
        for offset in np.flatnonzero(pnl <= -limit * (1 - _SLACK)):
            bar = start + int(offset)
            if self._day_pnl_at(bar) is not None:
                return bar
        return end

    def _day_pnl_at(self, bar: int) -> Decimal | None:
        """Return the day's P&L at the end of *bar* if it reaches the limit, with the positions
        held now marked at their closes."""
        budget = self.budget
        assert budget is not None
        unrealized = sum(
            (
                h.position.quantity * (_decimal(h.symbol.close[bar]) - h.position.average_price)
                for h in self.held.values()
            ),
            Decimal(0),
        )
        pnl = budget.pnl(self.realized, unrealized)
        reached = is_daily_limit_reached(pnl, budget.start_equity, self.controls.max_daily_loss_pct)
        return pnl if reached else None

    # ------------------------------------------------------------------ one minute

    def tick(self, bar: int) -> None:
        """Do what the runner's tick does at the close of minute *bar*."""
        in_session = bool(self.in_session[bar])
        # As the timeline's own time zone holds it (pandas' indexing costs 20 µs a bar).
        moment = (_UTC_EPOCH + timedelta(microseconds=int(self.times[bar]) // 1000)).astimezone(
            self.zone
        )
        # The account as the tick begins: cash, and holdings at their latest close.
        cash = self.cash
        equity = cash + sum(
            (h.position.quantity * _decimal(h.symbol.close[bar]) for h in self.held.values()),
            Decimal(0),
        )
        # Marks as they stood when the tick began (a position bought last tick is not marked).
        for held in self.held.values():
            held.position.last_price = (
                _decimal(held.symbol.close[bar - 1]) if held.entry_bar < bar - 1 else None
            )
        self._roll(bar, equity)
        budget = self.budget
        assert budget is not None
        slots = len(self.held)
        realized = self.realized
        holdings = {
            name: (h.position.quantity, h.position.average_price, h.position.last_price)
            for name, h in self.held.items()
        }
        marks: dict[str, Decimal] = {}
        for symbol in self.symbols:
            if np.isnan(symbol.close[bar]):
                continue  # no quote yet
            close = _decimal(symbol.close[bar])
            current = self.held.get(symbol.name)
            if current is not None:
                current.position.mark(close)
            marks[symbol.name] = close
            if not (in_session and self.fresh[symbol.name][bar]):
                continue
            if current is not None:
                self._consider_exit(current, bar, moment, close, in_session)
            elif symbol.has[bar] and symbol.entries[bar]:
                unrealized = Decimal(0)
                for name, (quantity, average, last) in holdings.items():
                    mark = marks.get(name, last)
                    if mark is not None:
                        unrealized += quantity * (mark - average)
                if self._consider_entry(
                    symbol, bar, moment, close, equity, cash, slots,
                    budget.pnl(realized, unrealized), in_session,
                ):  # fmt: skip
                    slots += 1
        self._check_limit(bar)

    def _roll(self, bar: int, equity: Decimal) -> None:
        day = int(self.day[bar])
        if self.budget is not None and self.budget.day == day:
            return
        unrealized = sum((h.position.unrealized_pnl for h in self.held.values()), Decimal(0))
        self.budget = _Budget(day, equity, self.realized, unrealized)
        self.state = next_trading_state(self.state, limit_reached=False, new_trading_day=True)

    def _check_limit(self, bar: int) -> None:
        budget = self.budget
        assert budget is not None
        if budget.reached:
            return
        unrealized = sum((h.position.unrealized_pnl for h in self.held.values()), Decimal(0))
        pnl = budget.pnl(self.realized, unrealized)
        if is_daily_limit_reached(pnl, budget.start_equity, self.controls.max_daily_loss_pct):
            budget.reached = True
            self.state = next_trading_state(self.state, limit_reached=True, new_trading_day=False)

    def _consider_exit(
        self, held: _Held, bar: int, moment: datetime, close: Decimal, in_session: bool
    ) -> None:
        symbol = held.symbol
        protective = self._protective(held, bar)
        if protective is not None:
            reason = protective.reason
        elif symbol.has[bar] and symbol.exits[bar]:
            reason = SignalReason.EXIT_RULE
        else:
            return
        if not check_exit(self.state, in_session).approved:
            return
        if protective is not None and self.config.exits is ExitPrices.RANGE:
            raw = protective_fill_price(protective, _decimal(symbol.open[bar]))
        else:
            raw = close
        price = self.costs.fill_price(symbol.instrument, raw, buying=False)
        quantity = held.position.quantity
        cost = self.costs.sell_costs(quantity * price, symbol.instrument.currency)
        self.realized += held.position.apply_fill(
            Fill("S", "backtest", symbol.name, TradeDirection.SELL, quantity, price, moment,
                 commission=cost)
        )  # fmt: skip
        self.cash += quantity * price - cost
        self.cash_changes.append((bar, self.cash))
        del self.held[symbol.name]
        self.spans.append((symbol.order, float(quantity), held.entry_bar, bar))
        self.trades.append(
            BacktestTrade(
                symbol=symbol.name,
                entry_time=held.entry_time,
                entry_price=held.entry_price,
                exit_time=moment,
                exit_price=price,
                quantity=quantity,
                costs=held.entry_cost + cost,
                pnl=quantity * (price - held.entry_price) - held.entry_cost - cost,
                exit_reason=_REASONS[reason],
            )
        )

    def _consider_entry(
        self,
        symbol: SymbolData,
        bar: int,
        moment: datetime,
        close: Decimal,
        equity: Decimal,
        cash: Decimal,
        slots: int,
        day_pnl: Decimal,
        in_session: bool,
    ) -> bool:
        """Size and check an entry as the runner does; return whether it took a slot."""
        budget = self.budget
        assert budget is not None
        quantity = position_quantity(
            equity=equity,
            cash=max(cash, Decimal(0)),
            price=close,
            position_pct=self.strategy.position_pct,
            max_position_size_pct=self.controls.max_position_size_pct,
            commission_rate=self.costs.commission_rate,
            instrument=symbol.instrument,
        )
        decision = check_entry(
            self.controls,
            EntryProposal(
                open_positions=slots,
                quantity=quantity,
                price=close,
                equity=equity,
                daily_pnl=day_pnl,
                start_of_day_equity=budget.start_equity,
                within_trading_hours=in_session,
                trading_state=self.state,
            ),
        )
        if not decision.approved:
            self.skipped.update(decision.codes)
            return False
        # The order fills at once, as a cash account fills it, or is refused for want of cash.
        price = self.costs.fill_price(symbol.instrument, close, buying=True)
        cost = self.costs.buy_costs(quantity * price, symbol.instrument.currency)
        if quantity * price + cost > self.cash:
            self.skipped["insufficient_cash"] += 1
            return True  # the slot was taken when the order went out, as in the runner
        position = Position(symbol.name)
        self.realized += position.apply_fill(
            Fill("B", "backtest", symbol.name, TradeDirection.BUY, quantity, price, moment,
                 commission=cost)
        )  # fmt: skip
        self.cash -= quantity * price + cost
        self.cash_changes.append((bar, self.cash))
        self.held[symbol.name] = _Held(symbol, position, bar, moment, price, cost, -1)
        return True

    # ------------------------------------------------------------------ the outcome

    def _outcome(self) -> BacktestOutcome:
        length = self.length
        last = length - 1
        cash = np.full(length, float(self.config.initial_capital))
        for bar, value in self.cash_changes:
            cash[bar:] = float(value)
        holdings = np.zeros(length)
        in_market = np.zeros(length, dtype=bool)
        still_open = [(h.symbol.order, float(h.position.quantity), h.entry_bar, length)
                      for h in self.held.values()]  # fmt: skip
        for order, size, begin, end in [*self.spans, *still_open]:
            span = slice(begin, end)
            holdings[span] += size * self.symbols[order].close[span]
            in_market[span] = True
        equity = pd.Series(cash + holdings, index=self.timeline, name="equity")
        open_trades = []
        marked = self.cash
        for held in self.held.values():
            close = _decimal(held.symbol.close[last])
            quantity = held.position.quantity
            marked += quantity * close
            open_trades.append(
                BacktestTrade(
                    symbol=held.symbol.name,
                    entry_time=held.entry_time,
                    entry_price=held.entry_price,
                    exit_time=None,
                    exit_price=None,
                    quantity=quantity,
                    costs=held.entry_cost,
                    pnl=quantity * (close - held.entry_price) - held.entry_cost,
                    exit_reason=None,
                )
            )
        figures = measure(
            equity,
            [trade.pnl for trade in self.trades],
            initial_capital=float(self.config.initial_capital),
            timezone=self.config.timezone,
            risk_free_rate=self.config.risk_free_rate,
            bars_in_market=int(in_market.sum()),
        )
        trades = sorted([*self.trades, *open_trades], key=lambda t: (t.entry_time, t.symbol))
        return BacktestOutcome(
            trades=tuple(trades),
            equity=equity,
            metrics=figures.rounded(),
            figures=figures,
            final_equity=marked,
            skipped_entries=dict(self.skipped),
        )
