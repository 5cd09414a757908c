"""A symbol's rules see every closed candle once, even after the runner stopped looking a while."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.symbols import (
    MAX_CATCH_UP_SESSIONS,
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
