"""A symbol's rules see every closed candle once, even after the runner stopped looking a while;
sessions trading the same rules on it share them and decide as if each had its own."""

from __future__ import annotations

import gc
import math
import random
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.symbols import (
    KEPT_VERDICTS,
    MAX_CATCH_UP_SESSIONS,
    Decision,
    RuleLanes,
    SymbolState,
    trading_ranges,
)
from livetrader_gui.domain import Candle
from livetrader_gui.processing import IndicatorScale, ProcessingEngine
from tests.runner_harness import OPEN

LIMITS = RunnerLimits(warmup_candles=50)


def state() -> SymbolState:
    engine = ProcessingEngine()
    return SymbolState("005930", engine.compile("close > 0"), engine.compile("close < 0"))


def candle(minute: int) -> Candle:
    price = Decimal(100 + minute)
    return Candle(
        "005930", OPEN + timedelta(minutes=minute), price, price, price, price, Decimal(1)
    )


def test_the_first_fetch_asks_for_a_warm_up(xkrx: ExchangeTradingCalendar) -> None:
    assert state().candle_request(LIMITS, OPEN, xkrx).warmup == 50


def test_after_a_long_pause_every_candle_missed_is_asked_for_and_fed_once(
    xkrx: ExchangeTradingCalendar,
) -> None:
    symbol = state()
    symbol.ingest([candle(0)], OPEN + timedelta(minutes=1))
    later = OPEN + timedelta(minutes=46)

    request = symbol.candle_request(LIMITS, later, xkrx)
    fed = symbol.ingest([candle(m) for m in range(1, 46)], later)

    assert request.ranges == ((OPEN + timedelta(minutes=1), later),)
    assert [c.start for c, _ in fed] == [candle(m).start for m in range(1, 46)]


def test_a_weekend_asks_for_the_trading_minutes_missed_only(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # Friday 27 November 2026, 15:00 KST: half an hour before the close.
    friday = OPEN + timedelta(days=3, hours=5)
    monday_open = friday + timedelta(days=3, hours=-6)  # 09:00 KST
    symbol = state()
    price = Decimal(100)
    last_seen = Candle("005930", friday - timedelta(minutes=1), price, price, price, price, price)
    symbol.ingest([last_seen], friday)

    request = symbol.candle_request(LIMITS, monday_open + timedelta(minutes=10), xkrx)

    assert request.warmup == 0
    assert request.ranges == (
        (friday, friday + timedelta(minutes=30)),
        (monday_open, monday_open + timedelta(minutes=10)),
    )
    minutes = sum((end - start) / timedelta(minutes=1) for start, end in request.ranges)
    assert minutes == 40  # not the 3,850 clock minutes in between


def test_trading_ranges_leave_out_the_time_the_exchange_is_shut(
    xkrx: ExchangeTradingCalendar,
) -> None:
    start = OPEN - timedelta(hours=20)  # Monday 14:00 KST
    ranges = trading_ranges(xkrx, start, OPEN)

    assert [(a.isoformat(), b.isoformat()) for a, b in ranges] == [
        ("2026-11-23T05:00:00+00:00", "2026-11-23T06:30:00+00:00"),
        ("2026-11-24T00:00:00+00:00", "2026-11-24T01:00:00+00:00"),
    ]
    assert trading_ranges(xkrx, OPEN, OPEN) == []


def test_each_candle_fed_comes_with_the_rules_indicators_on_it() -> None:
    engine = ProcessingEngine()
    symbol = SymbolState(
        "005930", engine.compile("close > sma(close, 3)"), engine.compile("rsi(close, 2) > 90")
    )

    fed = symbol.ingest([candle(m) for m in range(4)], OPEN + timedelta(minutes=4))

    by_label = [{v.label: (v.scale, v.value) for v in values} for _, values in fed]
    assert by_label[3] == {
        "sma(close, 3)": (IndicatorScale.PRICE, 102.0),
        "rsi(close, 2)": (IndicatorScale.OWN, 100.0),
    }
    assert math.isnan(by_label[1]["sma(close, 3)"][1])  # still warming up


def test_after_weeks_away_the_rules_warm_up_again(xkrx: ExchangeTradingCalendar) -> None:
    symbol = state()
    symbol.ingest([candle(0)], OPEN + timedelta(minutes=1))
    weeks_later = OPEN + timedelta(days=7 * 3)
    assert len(trading_ranges(xkrx, OPEN, weeks_later)) > MAX_CATCH_UP_SESSIONS

    request = symbol.candle_request(LIMITS, weeks_later, xkrx)

    assert request.warmup == 50
    assert symbol.candles_due(OPEN)  # nothing seen: the next tick fetches


def test_a_chart_read_back_has_the_indicators_the_live_rules_had_and_leaves_them_alone() -> None:
    engine = ProcessingEngine()
    live = SymbolState(
        "005930", engine.compile("close > sma(close, 3)"), engine.compile("close < sma(close, 3)")
    )
    candles = [candle(m) for m in range(10)]
    seen = live.ingest(candles, OPEN + timedelta(minutes=10))

    drawn = live.chart(candles)

    assert drawn == seen
    assert live.chart([]) == []
    assert live.candles_due(OPEN + timedelta(minutes=11)) is True
    later = live.ingest([candle(10)], OPEN + timedelta(minutes=11))
    assert [c.start for c, _ in later] == [candle(10).start], "the live streams went on"


ENTRY, EXIT = "close > sma(close, 3) and rsi(close, 2) > 50", "close < ema(close, 4)"


def priced(minute: int, close: float) -> Candle:
    price = Decimal(str(round(close, 2)))
    return Candle(
        "005930", OPEN + timedelta(minutes=minute), price, price, price, price, Decimal(1)
    )


def walk(minutes: int, seed: int) -> list[Candle]:
    rng = random.Random(seed)
    close, candles = 100.0, []
    for minute in range(minutes):
        close = max(1.0, close + rng.uniform(-2, 2))
        candles.append(priced(minute, close))
    return candles


def states(lanes: RuleLanes | None, count: int, broker_id: str = "SIM") -> list[SymbolState]:
    engine = ProcessingEngine()
    entry, exit_ = engine.compile(ENTRY), engine.compile(EXIT)
    return [
        SymbolState("005930", entry, exit_, lanes=lanes, broker_id=broker_id) for _ in range(count)
    ]


def test_sessions_sharing_a_lane_decide_as_sessions_with_rules_of_their_own() -> None:
    candles = walk(120, seed=3)
    end = candles[-1].end
    for seed in range(20):
        rng = random.Random(seed)
        lanes = RuleLanes()
        shared, alone = states(lanes, 3), states(None, 3)
        cursors = [0, 0, 0]
        while min(cursors) < len(candles):
            who = rng.randrange(3)
            if max(cursors) - min(cursors) > KEPT_VERDICTS // 2:
                who = cursors.index(min(cursors))  # sessions on one hub keep close together
            at = cursors[who]
            if at == len(candles):
                continue
            if at and rng.random() < 0.6:  # pushed, one candle; else a fetch of several
                chunk = candles[at : at + 1]
                taken = [s.take(chunk[0], end) for s in (shared[who], alone[who])]
                assert taken == [True, True]
            else:
                chunk = candles[at : at + rng.randint(1, 8)]
                ours = shared[who].ingest(chunk, end, indicators=False)
                theirs = alone[who].ingest(chunk, end, indicators=False)
                assert [c for c, _ in ours] == [c for c, _ in theirs]
            cursors[who] += len(chunk)
            if rng.random() < 0.5:
                assert shared[who].consume_decision() == alone[who].consume_decision(), (
                    f"seed {seed}: session {who} after minute {cursors[who]}"
                )
        assert len(lanes) == 1, "three sessions, one lane"
        for mine, own in zip(shared, alone, strict=True):
            assert mine.consume_decision() == own.consume_decision()
            assert mine.indicator_values() == own.indicator_values()


def test_the_rules_of_a_shared_lane_see_each_candle_once() -> None:
    lanes = RuleLanes()
    first, second = states(lanes, 2)
    candles = walk(10, seed=1)
    first.ingest(candles[:6], candles[-1].end)
    second.ingest(candles[:6], candles[-1].end)
    for candle in candles[6:]:
        first.take(candle, candle.end)
        second.take(candle, candle.end)

    (lane,) = lanes._lanes.values()
    assert lane.last_start == candles[-1].start
    assert len(lane._verdicts) == 10, "fed ten candles, not twenty"


def test_lanes_are_apart_for_another_first_candle_another_broker_or_other_rules() -> None:
    lanes = RuleLanes()
    candles = walk(10, seed=2)
    engine = ProcessingEngine()
    other_rules = SymbolState(
        "005930", engine.compile("close > 0"), engine.compile(EXIT), lanes=lanes, broker_id="SIM"
    )
    (base,) = states(lanes, 1)
    (later,) = states(lanes, 1)
    (elsewhere,) = states(lanes, 1, broker_id="UPBIT")
    base.ingest(candles, candles[-1].end)
    later.ingest(candles[1:], candles[-1].end)  # its warm-up began a minute later
    elsewhere.ingest(candles, candles[-1].end)
    other_rules.ingest(candles, candles[-1].end)

    assert len(lanes) == 4


def test_a_lane_no_session_uses_is_let_go() -> None:
    lanes = RuleLanes()
    candles = walk(5, seed=4)
    sessions = states(lanes, 2)
    for state_ in sessions:
        state_.ingest(candles, candles[-1].end)
    assert len(lanes) == 1

    del sessions, state_
    gc.collect()

    assert len(lanes) == 0


def test_after_weeks_away_a_session_leaves_the_shared_lane_and_the_others_go_on(
    xkrx: ExchangeTradingCalendar,
) -> None:
    lanes = RuleLanes()
    away, staying = states(lanes, 2)
    candles = walk(10, seed=5)
    for state_ in (away, staying):
        state_.ingest(candles[:5], candles[-1].end)
    weeks_later = OPEN + timedelta(days=7 * 3)

    assert away.candle_request(LIMITS, weeks_later, xkrx).warmup == 50  # it starts afresh
    staying.ingest(candles[5:], candles[-1].end)
    (alone,) = states(None, 1)
    alone.ingest(candles, candles[-1].end)

    assert staying.indicator_values() == alone.indicator_values()
    assert math.isnan(away.indicator_values()["sma(close, 3)"]), "a fresh lane of its own"


def test_a_session_further_behind_than_the_lane_remembers_starts_afresh_with_a_warm_up(
    xkrx: ExchangeTradingCalendar,
) -> None:
    lanes = RuleLanes()
    ahead, behind = states(lanes, 2)
    candles = walk(KEPT_VERDICTS + 10, seed=6)
    end = candles[-1].end
    ahead.ingest(candles[:5], end)
    behind.ingest(candles[:5], end)
    ahead.ingest(candles[5:], end)

    behind.ingest(candles[5:6], end)  # its verdict is long gone from the lane

    assert behind.behind, "the runner fetches before it uses pushed candles again"
    assert behind.consume_decision() == Decision(), "no verdict it cannot vouch for"
    assert behind.candle_request(LIMITS, end, xkrx).warmup == 50
