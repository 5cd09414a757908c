"""The replay broker's quote: the last close, or after a gap the running candle's open."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from livetrader_gui.adapters.brokers.simulated.replay import ReplayBroker
from livetrader_gui.adapters.candle_file import CandleColumns
from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.domain import Candle
from livetrader_gui.domain.sizing import TradingCosts
from tests.builders import T0, samsung


def candle(start_minutes: int, open_: int, close: int) -> Candle:
    o, c = Decimal(open_), Decimal(close)
    start = T0 + timedelta(minutes=start_minutes)
    return Candle("005930", start, o, max(o, c), min(o, c), c, Decimal(1))


def broker(clock: ManualClock) -> ReplayBroker:
    # Two minutes on one day, then the next morning's first minute.
    rows = [candle(0, 100, 101), candle(1, 101, 102), candle(24 * 60, 110, 111)]
    return ReplayBroker(
        {"005930": CandleColumns.of("005930", rows)},
        {"005930": samsung()},
        clock,
        Decimal(1_000_000),
        TradingCosts(),
    )


async def test_the_quote_is_the_close_of_the_last_closed_candle() -> None:
    clock = ManualClock(T0 + timedelta(minutes=2))

    quote = await broker(clock).get_latest_quote("005930")

    assert quote is not None
    assert (quote.last, quote.at) == (Decimal(102), T0 + timedelta(minutes=2))


async def test_after_the_overnight_gap_the_first_candles_open_is_the_quote() -> None:
    clock = ManualClock(T0 + timedelta(days=1))

    quote = await broker(clock).get_latest_quote("005930")

    assert quote is not None
    assert (quote.last, quote.at) == (Decimal(110), T0 + timedelta(days=1))


async def test_before_any_candle_there_is_no_quote() -> None:
    clock = ManualClock(T0 - timedelta(minutes=1))

    assert await broker(clock).get_latest_quote("005930") is None
