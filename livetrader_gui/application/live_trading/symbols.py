"""The per-symbol state of a runner: the rules' running state and the last candle seen."""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.ports import IBrokerGateway, ITradingCalendar
from livetrader_gui.application.read_models import IndicatorValue
from livetrader_gui.domain import Candle, Instrument, Quote
from livetrader_gui.processing import CompiledFormula

CANDLE = timedelta(minutes=1)
_DAY = timedelta(days=1)
# Trading days missed beyond which the rules warm up again instead of catching up.
MAX_CATCH_UP_SESSIONS = 10
# Verdicts a rule lane keeps: a session that shares it may be this many candles behind.
KEPT_VERDICTS = 16


@dataclass(frozen=True, slots=True)
class CandleRequest:
    """What to ask the broker for: a warm-up of *warmup* recent candles, or each range missed
    (at most one trading session each, so that no single request is unbounded)."""

    warmup: int = 0
    ranges: tuple[tuple[datetime, datetime], ...] = ()


def trading_ranges(
    calendar: ITradingCalendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the parts of ``[start, end)`` when the exchange trades, one per session."""
    if end <= start:
        return []
    if end - start <= CANDLE and start.second == 0 and start.microsecond == 0:
        # The usual case, a minute missed: sessions and breaks begin and end on whole minutes,
        # so a minute that begins open is open throughout.
        return [(start, end)] if calendar.is_open(start) else []
    ranges = []
    # Session dates are exchange-local: widen the UTC dates by a day on each side.
    for day in calendar.sessions_between(start.date() - _DAY, end.date() + _DAY):
        opens, closes = calendar.session_bounds(day)
        low, high = max(opens, start), min(closes, end)
        if low < high:
            ranges.append((low, high))
    return ranges


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules said on the newest candle."""

    entry: bool = False
    exit: bool = False


# Shared: a decision is frozen, and a candle decides one of four ways.
_DECISIONS = {
    (entry, exit_): Decision(entry, exit_) for entry in (False, True) for exit_ in (False, True)
}


class _Bars:
    """The numbers a rule reads from a candle, for the candle last asked about.

    The hub hands one pushed candle to every session on the symbol in turn: converting its
    prices from ``Decimal`` once serves them all.
    """

    __slots__ = ("_bar", "_candle")

    def __init__(self) -> None:
        self._candle: Candle | None = None
        self._bar = (0.0, 0.0, 0.0, 0.0, 0.0)

    def of(self, candle: Candle) -> tuple[float, float, float, float, float]:
        if candle is not self._candle:
            self._bar = (
                float(candle.open),
                float(candle.high),
                float(candle.low),
                float(candle.close),
                float(candle.volume),
            )
            self._candle = candle
        return self._bar


_BARS = _Bars()


class RuleLane:
    """One symbol's entry and exit rules, fed each closed candle once.

    Sessions that trade the same rules on the same symbol of the same broker, from the same
    first candle, share a lane: their rules would be fed the same candles in the same order, so
    their states would be equal. Each session keeps its own place in the lane; a candle the
    lane has already been fed gives the session the verdict the lane kept for it.
    """

    __slots__ = ("__weakref__", "_entry", "_exit", "_verdicts", "last_start")

    def __init__(self, entry: CompiledFormula, exit_: CompiledFormula) -> None:
        self._entry = entry.stream()
        self._exit = exit_.stream()
        self.last_start: datetime | None = None
        self._verdicts: deque[tuple[datetime, Decision]] = deque(maxlen=KEPT_VERDICTS)

    def feed(self, candle: Candle) -> None:
        """Feed *candle*, newer than every candle fed before, to both rules."""
        bar = _BARS.of(candle)
        decision = _DECISIONS[self._entry.update(*bar), self._exit.update(*bar)]
        self.last_start = candle.start
        self._verdicts.append((candle.start, decision))

    def verdict(self, start: datetime) -> Decision | None:
        """Return what the rules said on the candle that started at *start*; None when it is
        older than the verdicts kept."""
        for at, decision in reversed(self._verdicts):
            if at == start:
                return decision
            if at < start:
                break
        return None

    def indicator_values(self) -> dict[str, float]:
        """Return the rules' indicators on the newest candle fed."""
        return {**self._entry.indicator_values(), **self._exit.indicator_values()}


class RuleLanes:
    """The rule lanes the sessions of one session manager share; a lane lives while a session
    uses it."""

    def __init__(self) -> None:
        self._lanes: weakref.WeakValueDictionary[tuple[object, ...], RuleLane] = (
            weakref.WeakValueDictionary()
        )

    def join(
        self, broker_id: str, entry: CompiledFormula, exit_: CompiledFormula, first: Candle
    ) -> RuleLane:
        """Return the lane of these rules on *first*'s symbol at *broker_id* that began with
        *first*, made if no session uses one."""
        key = (broker_id, entry.source, exit_.source, first.symbol, first.start)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = RuleLane(entry, exit_)
        return lane

    def __len__(self) -> int:
        return len(self._lanes)


class SymbolState:
    """Feeds each new closed candle of one symbol to the entry and exit rules, once.

    Candles are fetched only when one may have closed since the last seen; each is fed to both
    rules whatever the position, because indicators carry state. The rules' verdict on the newest
    candle waits in ``decision`` until the runner consumes it.

    With *lanes*, the rules run in a lane shared with the other sessions that trade them on the
    symbol at *broker_id* from the same first candle (``RuleLane``): ten such sessions cost the
    rules of one.
    """

    def __init__(
        self,
        symbol: str,
        entry: CompiledFormula,
        exit_: CompiledFormula,
        *,
        lanes: RuleLanes | None = None,
        broker_id: str = "",
    ) -> None:
        self.symbol = symbol
        self._entry_rule, self._exit_rule = entry, exit_
        self._lanes, self._broker_id = lanes, broker_id
        self._lane = RuleLane(entry, exit_)  # its own, until the first candle picks a lane
        self._lookback = max(entry.lookback, exit_.lookback)
        self._recursive = entry.recursive or exit_.recursive
        self._last_start: datetime | None = None
        self._decision = Decision()
        self._instrument: Instrument | None = None
        self._scales = {**entry.indicator_scales(), **exit_.indicator_scales()}
        # Set when a pushed candle showed that candles were missed: fetch them before any other.
        self.behind = False
        # The quote and average price a held position's protective exits last found nothing
        # on: the runner need not judge them again on the same.
        self.judged_quote: Quote | None = None
        self.judged_average: Decimal | None = None

    @property
    def needs_fetch(self) -> bool:
        """Tell whether the broker must be asked before pushed data can be used: the symbol
        has not warmed up yet, or candles were missed."""
        return self._instrument is None or self.behind

    def gap_before(self, candle: Candle, calendar: ITradingCalendar) -> bool:
        """Tell whether trading minutes passed between the last candle seen and *candle*
        (a pushed candle after a lost link, or after the warm-up)."""
        last = self._last_start
        if last is None or candle.start <= last + CANDLE:
            return False
        return bool(trading_ranges(calendar, last + CANDLE, candle.start))

    def candles_due(self, now: datetime) -> bool:
        """Tell whether a candle may have closed since the last one seen."""
        return self._last_start is None or now >= self._last_start + 2 * CANDLE

    def candle_request(
        self, limits: RunnerLimits, now: datetime, calendar: ITradingCalendar
    ) -> CandleRequest:
        """Return what to fetch: a warm-up first, then the trading minutes missed since.

        Only trading minutes are asked for (a weekend is not 3,000 minutes of candles), one
        session at a time. After more than ``MAX_CATCH_UP_SESSIONS`` sessions away the rules
        start afresh with a new warm-up, as they do after a gap in the data.
        """
        if self._last_start is not None:
            ranges = trading_ranges(calendar, self._last_start + CANDLE, now)
            if len(ranges) <= MAX_CATCH_UP_SESSIONS:
                return CandleRequest(ranges=tuple(ranges))
            self._restart()
        # Recursive indicators (EMA, RSI) converge: give them several lookbacks of history.
        factor = 5 if self._recursive else 1
        return CandleRequest(warmup=max(limits.warmup_candles, factor * (self._lookback + 1)))

    def _restart(self) -> None:
        self._lane = RuleLane(self._entry_rule, self._exit_rule)
        self._last_start = None
        self._decision = Decision()

    def _lane_from(self, first: Candle) -> RuleLane:
        """Return the lane to feed, joining a shared one on the first candle."""
        lane = self._lane
        if self._last_start is None and lane.last_start is None and self._lanes is not None:
            lane = self._lane = self._lanes.join(
                self._broker_id, self._entry_rule, self._exit_rule, first
            )
        return lane

    def ingest(
        self, candles: Sequence[Candle], now: datetime, *, indicators: bool = True
    ) -> list[tuple[Candle, tuple[IndicatorValue, ...]]]:
        """Feed the candles newer than the last seen; return each with the indicators on it
        (none unless *indicators*: only a view wants them).

        A candle that another session already fed the shared lane with is not fed again; its
        indicators are known only if it is the lane's newest (a chart that opens computes its
        history afresh, ``chart``)."""
        last = self._last_start
        new = [c for c in candles if (last is None or c.start > last) and c.end <= now]
        if not new:
            return []
        lane = self._lane_from(new[0])
        fed: list[tuple[Candle, tuple[IndicatorValue, ...]]] = []
        for candle in new:
            start = candle.start
            known = lane.last_start
            if known is None or start > known:
                lane.feed(candle)
            elif start != known:
                fed.append((candle, ()))
                continue
            fed.append((candle, self._indicators() if indicators else ()))
        self._last_start = new[-1].start
        self._decide(lane)
        return fed

    def take(self, candle: Candle, now: datetime) -> bool:
        """Feed one pushed candle if it is newer than the last seen and closed by *now*; return
        whether it was taken. The way of a pushed candle: every session on the symbol takes it
        at each close, so nothing is built that only a view needs."""
        last = self._last_start
        start = candle.start
        if (last is not None and start <= last) or candle.end > now:
            return False
        lane = self._lane if last is not None else self._lane_from(candle)
        known = lane.last_start
        if known is None or start > known:
            lane.feed(candle)
        self._last_start = start
        self._decide(lane)
        return True

    def _decide(self, lane: RuleLane) -> None:
        """Take the lane's verdict on the newest candle seen. A session so far behind the
        others that the lane no longer has it starts afresh: ``behind`` has the runner fetch a
        warm-up before pushed candles are used again."""
        assert self._last_start is not None
        verdict = lane.verdict(self._last_start)
        if verdict is None:
            self._restart()
            self.behind = True
        else:
            self._decision = verdict

    @property
    def entry_pending(self) -> bool:
        """Tell whether the rules' verdict on the newest candle, not yet consumed, is to enter."""
        return self._decision.entry

    @property
    def exit_pending(self) -> bool:
        """Tell whether the rules' verdict on the newest candle, not yet consumed, is to exit."""
        return self._decision.exit

    def chart(self, candles: Sequence[Candle]) -> list[tuple[Candle, tuple[IndicatorValue, ...]]]:
        """Return *candles* (oldest first), each with the rules' indicators on it, computed on
        fresh streams: what the session would have drawn. The live streams are untouched."""
        if not candles:
            return []
        fresh = SymbolState(self.symbol, self._entry_rule, self._exit_rule)
        return fresh.ingest(candles, candles[-1].end, indicators=True)

    def _indicators(self) -> tuple[IndicatorValue, ...]:
        scales = self._scales
        return tuple(
            IndicatorValue(label, scales[label], value)
            for label, value in self.indicator_values().items()
        )

    def consume_decision(self) -> Decision:
        """Return the verdict on the newest candle and forget it (each candle decides once)."""
        decision, self._decision = self._decision, Decision()
        return decision

    def indicator_values(self) -> dict[str, float]:
        """Return the rules' indicators on the newest candle."""
        return self._lane.indicator_values()

    @property
    def has_instrument(self) -> bool:
        """Tell whether the instrument was fetched already."""
        return self._instrument is not None

    @property
    def known_instrument(self) -> Instrument | None:
        """Return the instrument if it was fetched already."""
        return self._instrument

    async def instrument(self, broker: IBrokerGateway) -> Instrument:
        """Return the instrument (asked of the broker once)."""
        if self._instrument is None:
            self._instrument = await broker.get_instrument(self.symbol)
        return self._instrument
