"""The synthetic market is deterministic, on the tick grid, realistic, and self-consistent."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from livetrader_gui.adapters.brokers.simulated import KRX_UNIVERSE
from livetrader_gui.adapters.brokers.simulated.market import SyntheticMarket
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar

DAY = date(2026, 11, 24)
T10 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 KST


def market(xkrx: ExchangeTradingCalendar, seed: int = 7) -> SyntheticMarket:
    return SyntheticMarket(list(KRX_UNIVERSE), xkrx, seed=seed)


def test_the_same_seed_gives_the_same_prices_whatever_is_asked_first(
    xkrx: ExchangeTradingCalendar,
) -> None:
    forwards, backwards = market(xkrx), market(xkrx)
    days = xkrx.sessions_between(date(2026, 11, 2), DAY)
    first = [forwards.day_path("005930", d).prices for d in days]
    second = [backwards.day_path("005930", d).prices for d in reversed(days)][::-1]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_another_seed_gives_another_market(xkrx: ExchangeTradingCalendar) -> None:
    a = market(xkrx, seed=1).day_path("005930", DAY).prices
    b = market(xkrx, seed=2).day_path("005930", DAY).prices
    assert not np.array_equal(a, b)


def test_another_seed_moves_every_symbols_level_not_only_its_noise(
    xkrx: ExchangeTradingCalendar,
) -> None:
    one, other = market(xkrx, seed=1), market(xkrx, seed=2)
    symbols = [s.instrument.symbol for s in KRX_UNIVERSE]

    gaps = [
        abs(one.day_path(s, DAY).previous_close / other.day_path(s, DAY).previous_close - 1)
        for s in symbols
    ]

    assert sum(gap > 0.03 for gap in gaps) >= len(symbols) - 1, gaps


def test_volume_is_no_perfect_u_it_varies_by_minute_and_by_day(
    xkrx: ExchangeTradingCalendar,
) -> None:
    sim = market(xkrx)
    days = xkrx.sessions_between(date(2026, 11, 2), DAY)
    totals = [int(sim.day_path("005930", d).volumes.sum()) for d in days]
    minutes = sim.day_path("005930", DAY).volumes.reshape(-1, 60).sum(axis=1).astype(float)
    midday = minutes[120:270]

    assert np.std(totals) / np.mean(totals) > 0.15, "every day trades its own volume"
    assert minutes[:10].mean() > 1.5 * midday.mean(), "the open is busy"
    assert minutes[-10:].mean() > 1.2 * midday.mean(), "so is the run into the close"
    # Poisson noise alone around a smooth curve would leave the midday minutes within ~1 %.
    assert np.std(midday) / np.mean(midday) > 0.1
    ups = np.diff(midday) > 0
    assert 0.3 < ups.mean() < 0.7, "midday volume goes up and down, it does not follow a curve"


def test_prices_move_every_few_seconds_not_in_staircase_steps(
    xkrx: ExchangeTradingCalendar,
) -> None:
    for symbol in ("005930", "051910"):
        path = market(xkrx).day_path(symbol, DAY)
        minutes = path.prices[: len(path.prices) // 60 * 60].reshape(-1, 60)
        flat = (minutes.max(axis=1) == minutes.min(axis=1)).mean()
        changes = np.flatnonzero(np.diff(path.prices))

        assert flat < 0.1, f"{symbol}: {flat:.0%} of the minutes never trade at two prices"
        assert np.median(np.diff(changes)) <= 5, f"{symbol}: the price sits still too long"
        assert len(np.unique(path.prices)) >= 15


def test_every_quoted_price_is_on_the_krx_tick_grid(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    for spec in KRX_UNIVERSE:
        symbol = spec.instrument.symbol
        for minute in range(0, 390, 37):
            quote = sim.quote_at(symbol, xkrx.session_bounds(DAY)[0] + timedelta(minutes=minute))
            assert spec.instrument.is_valid_price(quote.bid)
            assert spec.instrument.is_valid_price(quote.ask)
            assert quote.ask == quote.bid + spec.instrument.tick_size(quote.bid)


def test_samsung_trades_around_72000_won_over_a_year(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    closes = [
        sim.day_path("005930", d).prices[-1] for d in xkrx.sessions_between(date(2025, 11, 24), DAY)
    ]
    assert 240 <= len(closes) <= 250
    assert min(closes) > 50_000
    assert max(closes) < 100_000
    assert abs(np.median(closes) - 72_000) < 10_000


def test_a_day_opens_near_the_previous_close(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    today = sim.day_path("005930", DAY)
    yesterday = sim.day_path("005930", sim.previous_session(DAY))
    assert today.previous_close == yesterday.prices[-1]
    assert abs(today.prices[0] / today.previous_close - 1) < 0.05


def test_a_candle_spans_exactly_the_quotes_of_its_minute(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    candle = sim.candles("005930", T10, T10 + timedelta(minutes=1))[0]
    quotes = [sim.quote_at("005930", T10 + timedelta(seconds=s)).last for s in range(60)]
    assert candle.start == T10
    assert (candle.open, candle.close) == (quotes[0], quotes[-1])
    assert (candle.high, candle.low) == (max(quotes), min(quotes))
    assert candle.volume > 0


def test_candles_end_before_now_and_never_come_from_the_future(
    xkrx: ExchangeTradingCalendar,
) -> None:
    sim = market(xkrx)
    now = T10 + timedelta(seconds=30)
    candles = sim.candles("005930", T10 - timedelta(minutes=10), now)
    assert len(candles) == 10
    assert all(c.end <= now for c in candles)
    assert [c.start for c in candles] == [T10 - timedelta(minutes=10 - i) for i in range(10)]


def test_recent_candles_reach_back_into_earlier_sessions(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    candles = sim.recent_candles("005930", T10, 100)
    assert len(candles) == 100
    assert candles[-1].end == T10
    assert candles[0].start.date() == date(2026, 11, 23)  # 60 today, 40 yesterday
    assert all(a.start < b.start for a, b in itertools.pairwise(candles))


def test_recent_candles_are_the_tail_of_the_day_whatever_the_second_it_is_asked(
    xkrx: ExchangeTradingCalendar,
) -> None:
    sim = market(xkrx)
    opens, _ = xkrx.session_bounds(DAY)
    for now in (T10, T10 + timedelta(seconds=30), T10 + timedelta(seconds=59)):
        whole_day = sim.candles("005930", opens, now)
        for limit in (1, 2, 59, 60):
            assert sim.recent_candles("005930", now, limit) == whole_day[-limit:]


def test_after_the_close_the_quote_is_the_closing_quote(xkrx: ExchangeTradingCalendar) -> None:
    sim = market(xkrx)
    _, close = xkrx.session_bounds(DAY)
    evening = sim.quote_at("005930", close + timedelta(hours=3))
    assert evening.at == close
    assert evening.last == sim.to_price("005930", sim.day_path("005930", DAY).prices[-1])
    early = sim.quote_at("005930", xkrx.session_bounds(DAY)[0] - timedelta(minutes=5))
    assert early.last == sim.to_price(
        "005930", sim.day_path("005930", sim.previous_session(DAY)).prices[-1]
    )


def test_prices_convert_to_exact_decimals(xkrx: ExchangeTradingCalendar) -> None:
    assert market(xkrx).to_price("005930", 72_100.00000000001) == Decimal(72_100)
