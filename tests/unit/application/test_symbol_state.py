"""A symbol's rules see every closed candle once, even after the runner stopped looking a while."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.symbols import MAX_CATCH_UP, SymbolState
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


def test_the_first_fetch_asks_for_a_warm_up() -> None:
    assert state().fetch_limit(LIMITS, OPEN) == 50


def test_after_a_long_pause_every_candle_missed_is_asked_for_and_fed_once() -> None:
    symbol = state()
    symbol.ingest([candle(0)], OPEN + timedelta(minutes=1))
    later = OPEN + timedelta(minutes=46)

    limit = symbol.fetch_limit(LIMITS, later)
    fed = symbol.ingest([candle(m) for m in range(46 - limit, 46)], later)

    assert limit >= 45
    assert [c.start for c, _ in fed] == [candle(m).start for m in range(1, 46)]


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


def test_after_weeks_away_the_rules_warm_up_again() -> None:
    symbol = state()
    symbol.ingest([candle(0)], OPEN + timedelta(minutes=1))

    limit = symbol.fetch_limit(LIMITS, OPEN + timedelta(minutes=MAX_CATCH_UP + 5))

    assert limit == 50
    assert symbol.candles_due(OPEN)  # nothing seen: the next tick fetches
