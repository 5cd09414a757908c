"""Live runner speed: symbols per tick against a slow gateway, and quote-to-signal latency.

Throughput — the real ``LiveTradingRunner`` trades ``--symbols`` symbols (default 500) on the
three-indicator rule of ``formula_bench.py``, against a gateway that answers every call after a
round trip of ``--rtt-ms`` (default 20 ms, a real ``asyncio.sleep``). After a warm-up tick, each
measured minute has one tick at which a candle has closed for every symbol (quote and candles
fetched, rules fed, signals, risk checks, orders) followed by quote-only ticks. Next to it, in the
same run, the seed's serial loop — per symbol: await the quote, await 100 candles, build a pandas
frame, evaluate the rule with pandas rolling windows — is timed on ``--naive-symbols`` symbols and
scaled to the full count (a serial loop's time is linear in its symbols by construction).

Latency — the same runner on ``--latency-symbols`` symbols (a typical strategy list, whose data
all arrive at the same instant at each candle close, so each waits for the ones before it; the
goal is judged on this figure) and on one symbol alone, against a
gateway that answers at once: the time from the gateway handing over a symbol's market data to
the runner emitting that symbol's signal to its observers, for every signal of every tick
(entries and exits from candles, stop-loss and take-profit from quotes). The gateway answers
without delay but yields to the event loop on every call, as any network call does. Storage is
in memory (headless), so the figure is the engine's own cost.

One JSON line is printed; ``goals_met`` says whether every goal of issue 4 was met.

Usage: ``python bench/runner_bench.py [--symbols N] [--rtt-ms MS] [--minutes M]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

from formula_bench import FORMULAS

from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.app.collector import pace_collector
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.paper_trading import PaperBook
from livetrader_gui.application.ports import BrokerOrderState, BrokerPosition, ConnectionState
from livetrader_gui.application.read_models import SignalSnapshot
from livetrader_gui.domain import (
    DEFAULT_CLIENT_ORDER_IDS,
    KRX_STOCK_TICKS,
    Account,
    Candle,
    ClientOrderIds,
    ExecutionMode,
    Instrument,
    LiveTradingSession,
    OrderRequest,
    Quote,
    RiskConfig,
    RiskControls,
    Strategy,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine
from tests.fakes import (
    FakeBudgetRepository,
    FakeCalendars,
    FakeJournal,
    FakeOrderRepository,
    FakeSessionRepository,
    FakeSignalRepository,
    RecordingObserver,
)

RULE = "close >= highest(close, 20) and volume > sma(volume, 20) and close > sma(close, 50)"
EXIT_RULE = "close < sma(close, 20)"
NAIVE_RULE = FORMULAS[RULE]
WARMUP = 300
NAIVE_WINDOW = 100
START = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 09:30 KST, XKRX in session
GOAL_SYMBOLS, GOAL_TICK_MS, GOAL_SPEEDUP, GOAL_P99_MS = 500, 250.0, 20.0, 2.0


class BenchClock(SystemClock):
    """Market time set by the benchmark; waits and timeouts in real time."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Market:
    """Random-walk minutes for many symbols, as ``Candle`` values built once."""

    def __init__(self, symbols: list[str], minutes: int, seed: int = 11) -> None:
        rng = np.random.default_rng(seed)
        self.candles: dict[str, list[Candle]] = {}
        self.wiggle: dict[str, np.ndarray] = {}
        for symbol in symbols:
            steps = rng.normal(0.0, 0.004, minutes)
            close = np.round(50_000 * np.exp(np.cumsum(steps)), -1)
            volume = rng.integers(1_000, 50_000, minutes)
            rows = []
            for i in range(minutes):
                c = Decimal(int(close[i]))
                o = Decimal(int(close[i - 1])) if i else c
                rows.append(
                    Candle(
                        symbol,
                        START - timedelta(minutes=WARMUP) + timedelta(minutes=i),
                        o,
                        max(o, c),
                        min(o, c),
                        c,
                        Decimal(int(volume[i])),
                    )
                )
            self.candles[symbol] = rows
            # Intra-minute moves of the quote around the last close, so stops can fire.
            self.wiggle[symbol] = rng.normal(0.0, 0.003, 60)

    def closed(self, symbol: str, now: datetime) -> int:
        return int((now - self.candles[symbol][0].start) / timedelta(minutes=1))

    def quote(self, symbol: str, now: datetime) -> Quote:
        last = self.candles[symbol][self.closed(symbol, now) - 1].close
        moved = Decimal(int(float(last) * (1 + self.wiggle[symbol][now.second]) / 10) * 10)
        return Quote(symbol, moved - 10, moved + 10, moved, now)


class SlowGateway:
    """An ``IBrokerGateway`` answering every call after *rtt* seconds; orders fill on a
    ``PaperBook`` at the quote."""

    def __init__(
        self, market: Market, clock: BenchClock, rtt: float, answered: dict[str, float]
    ) -> None:
        self._market = market
        self._clock = clock
        self._rtt = rtt
        self.answered = answered  # symbol -> perf_counter when its data was handed over
        self.book = PaperBook(Decimal(1_000_000_000), TradingCosts())
        self.calls = 0

    async def _trip(self) -> None:
        self.calls += 1
        # Even an instant answer yields to the event loop, as every real network call does.
        await asyncio.sleep(self._rtt)

    broker_id = "BENCH"
    display_name = "Benchmark gateway"
    is_real_money = False

    @property
    def clock(self) -> BenchClock:
        return self._clock

    @property
    def client_order_ids(self) -> ClientOrderIds:
        return DEFAULT_CLIENT_ORDER_IDS

    @property
    def connection_state(self) -> ConnectionState:
        return ConnectionState.CONNECTED

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def get_instruments(self) -> list[Instrument]:
        await self._trip()
        return [self._instrument(s) for s in self._market.candles]

    @staticmethod
    def _instrument(symbol: str) -> Instrument:
        return Instrument(symbol, symbol, "XKRX", "KRW", KRX_STOCK_TICKS)

    async def get_instrument(self, symbol: str) -> Instrument:
        await self._trip()
        return self._instrument(symbol)

    async def get_latest_quote(self, symbol: str) -> Quote | None:
        await self._trip()
        quote = self._market.quote(symbol, self._clock.now())
        self.answered[symbol] = time.perf_counter()
        return quote

    async def get_recent_candles(self, symbol: str, limit: int) -> list[Candle]:
        await self._trip()
        closed = self._market.closed(symbol, self._clock.now())
        rows = self._market.candles[symbol][max(0, closed - limit) : closed]
        self.answered[symbol] = time.perf_counter()
        return rows

    async def get_historical_candles(
        self, symbol: str, start: datetime, end: datetime
    ) -> list[Candle]:
        await self._trip()
        return [c for c in self._market.candles[symbol] if start <= c.start and c.end <= end]

    async def place_order(self, request: OrderRequest) -> BrokerOrderState:
        await self._trip()
        now = self._clock.now()
        price = self._market.quote(request.symbol, now).ask
        return self.book.execute(request, price, self._instrument(request.symbol), now)

    async def cancel_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState:
        await self._trip()
        return self.book.orders[client_order_id]

    async def get_order(
        self, client_order_id: str, *, symbol: str | None = None
    ) -> BrokerOrderState | None:
        await self._trip()
        return self.book.orders.get(client_order_id)

    async def get_open_orders(self) -> list[BrokerOrderState]:
        await self._trip()
        return []

    async def get_positions(self) -> list[BrokerPosition]:
        await self._trip()
        return self.book.broker_positions()

    async def get_account(self) -> Account:
        await self._trip()
        cash = self.book.cash
        return Account("BENCH-1", "KRW", cash, cash, self.book.equity({}))


class SignalClock(RecordingObserver):
    """An observer that notes when each signal is first emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.emitted: list[tuple[str, float]] = []
        self._seen: set[str] = set()

    def on_signal_emitted(self, signal: SignalSnapshot) -> None:
        if signal.signal_id not in self._seen:
            self._seen.add(signal.signal_id)
            self.emitted.append((signal.symbol, time.perf_counter()))


def session_of(
    symbols: list[str], observer: RecordingObserver
) -> tuple[LiveTradingSession, RunnerServices]:
    controls = RiskControls(
        max_positions=1000,
        max_position_size_pct=Decimal(1),
        max_daily_loss_pct=Decimal(50),
        stop_loss_pct=Decimal("0.5"),
        take_profit_pct=Decimal("0.5"),
    )
    strategy = Strategy(
        id="bench",
        name="three indicators",
        symbols=tuple(symbols),
        exchange="XKRX",
        entry_rule=RULE,
        exit_rule=EXIT_RULE,
        risk_config=RiskConfig(controls),
        position_pct=Decimal("0.05"),
        created_at=START,
        updated_at=START,
    )
    session = LiveTradingSession(
        "S-BENCH", strategy, "BENCH", strategy.symbols, ExecutionMode.AUTO, controls, START
    )
    services = RunnerServices(
        FakeSessionRepository(),
        FakeOrderRepository(),
        FakeSignalRepository(),
        FakeBudgetRepository(),
        FakeJournal(),
        observer,
    )
    return session, services


async def runner_on(
    symbols: list[str], rtt: float, minutes: int, limits: RunnerLimits
) -> tuple[LiveTradingRunner, BenchClock, SlowGateway, SignalClock]:
    from livetrader_gui.adapters.calendars import ExchangeCalendarProvider

    clock = BenchClock(START)
    market = Market(symbols, WARMUP + minutes + 2)
    # The market's candles stand for the broker's memory, which is not in the app's heap: keep
    # the collector from walking them on every full collection.
    gc.collect()
    gc.freeze()
    gateway = SlowGateway(market, clock, rtt, {})
    observer = SignalClock()
    session, services = session_of(symbols, observer)
    calendar = await FakeCalendars(ExchangeCalendarProvider().load("XKRX")).get("XKRX")
    config = LiveSessionConfig(strategy=session.strategy, broker_id="BENCH")
    runner = LiveTradingRunner(
        session, gateway, ProcessingEngine(), services, calendar, config, limits, clock=clock
    )
    await runner.start()
    return runner, clock, gateway, observer


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


async def throughput(
    symbols: int, rtt: float, minutes: int, quote_ticks: int, concurrency: int | None
) -> dict[str, object]:
    names = [f"{100000 + i:06d}" for i in range(symbols)]
    limits = RunnerLimits() if concurrency is None else RunnerLimits(concurrency)
    runner, clock, gateway, observer = await runner_on(names, rtt, minutes, limits)
    warmup_ms = await timed(runner.run_once)
    candle_ticks, quote_only = [], []
    for minute in range(1, minutes + 1):
        clock.at = START + timedelta(minutes=minute, seconds=1)
        candle_ticks.append(await timed(runner.run_once))
        for second in range(2, 2 + quote_ticks):
            clock.at = START + timedelta(minutes=minute, seconds=second)
            quote_only.append(await timed(runner.run_once))
    return {
        "max_concurrent_symbols": limits.max_concurrent_symbols,
        "warmup_tick_ms": round(warmup_ms, 1),
        "candle_tick_ms_p50": round(statistics.median(candle_ticks), 1),
        "candle_tick_ms_max": round(max(candle_ticks), 1),
        "quote_tick_ms_p50": round(statistics.median(quote_only), 1),
        "quote_tick_ms_max": round(max(quote_only), 1),
        "signals": len(observer.emitted),
        "broker_calls": gateway.calls,
    }


async def naive_serial(symbols: int, rtt: float) -> dict[str, object]:
    """The seed's loop: one symbol after the other, pandas on every tick."""
    names = [f"{100000 + i:06d}" for i in range(symbols)]
    clock = BenchClock(START + timedelta(minutes=1, seconds=1))
    gateway = SlowGateway(Market(names, WARMUP + 3), clock, rtt, {})
    verdicts = 0
    began = time.perf_counter()
    for symbol in names:
        quote = await gateway.get_latest_quote(symbol)
        candles = await gateway.get_recent_candles(symbol, NAIVE_WINDOW)
        frame = pd.DataFrame(
            [
                {
                    "timestamp": c.start,
                    "open": float(c.open),
                    "high": float(c.high),
                    "low": float(c.low),
                    "close": float(c.close),
                    "volume": float(c.volume),
                }
                for c in candles
            ]
        )
        if quote is not None and NAIVE_RULE(frame):
            verdicts += 1
    elapsed = (time.perf_counter() - began) * 1000
    return {"measured_symbols": symbols, "ms_per_symbol": round(elapsed / symbols, 2)}


async def latency(symbols: int, minutes: int) -> dict[str, object]:
    names = [f"{100000 + i:06d}" for i in range(symbols)]
    runner, clock, gateway, observer = await runner_on(names, 0.0, minutes, RunnerLimits())
    await runner.run_once()
    samples: list[float] = []
    gc.collect()
    for minute in range(1, minutes + 1):
        for second in range(1, 60, 5):
            clock.at = START + timedelta(minutes=minute, seconds=second)
            first = len(observer.emitted)
            await runner.run_once()
            for symbol, emitted in observer.emitted[first:]:
                samples.append((emitted - gateway.answered[symbol]) * 1000)
    if not samples:
        raise SystemExit(
            f"no signal on {symbols} symbol(s) in {minutes} minutes: raise --latency-minutes"
        )
    samples.sort()
    return {
        "symbols": symbols,
        "signals": len(samples),
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
        "max_ms": round(samples[-1], 3),
    }


async def main(args: argparse.Namespace) -> dict[str, object]:
    rtt = args.rtt_ms / 1000
    runner = await throughput(args.symbols, rtt, args.minutes, args.quote_ticks, args.concurrency)
    naive = await naive_serial(args.naive_symbols, rtt)
    naive_tick_ms = float(naive["ms_per_symbol"]) * args.symbols  # type: ignore[arg-type]
    speedup = naive_tick_ms / float(runner["candle_tick_ms_p50"])  # type: ignore[arg-type]
    lat = await latency(args.latency_symbols, args.latency_minutes)
    alone = await latency(1, args.latency_minutes)
    worst_tick = max(float(runner["candle_tick_ms_max"]), float(runner["quote_tick_ms_max"]))  # type: ignore[arg-type]
    goals = {
        f"{GOAL_SYMBOLS} symbols per tick within {GOAL_TICK_MS:g} ms": args.symbols >= GOAL_SYMBOLS
        and worst_tick <= GOAL_TICK_MS,
        f">= {GOAL_SPEEDUP:g}x the serial naive runner": speedup >= GOAL_SPEEDUP,
        f"quote-to-signal p99 <= {GOAL_P99_MS:g} ms": float(lat["p99_ms"]) <= GOAL_P99_MS,  # type: ignore[arg-type]
    }
    return {
        "bench": "runner",
        "python": platform.python_version(),
        "rule": RULE,
        "symbols": args.symbols,
        "rtt_ms": args.rtt_ms,
        "runner": runner,
        "naive_serial": {**naive, "tick_ms_for_all_symbols": round(naive_tick_ms, 1)},
        "speedup_vs_naive": round(speedup, 1),
        "quote_to_signal": lat,
        "quote_to_signal_one_symbol": alone,
        "goals": goals,
        "goals_met": all(goals.values()),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--minutes", type=int, default=5, help="measured minutes")
    parser.add_argument("--quote-ticks", type=int, default=5, help="quote-only ticks per minute")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="symbols in flight (the runner's default)"
    )
    parser.add_argument("--naive-symbols", type=int, default=25)
    parser.add_argument("--latency-symbols", type=int, default=20)
    parser.add_argument("--latency-minutes", type=int, default=120)
    pace_collector()  # the app's pace
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
