"""GUI load: the main window under 1,000 quotes a second on 200 symbols, offscreen.

The real ``MainWindow`` (sessions, the selected session's chart, risk gauge and tables, the market
watch) is attached to a real ``TradingDesk`` and session manager running one AUTO session on
``--symbols`` symbols, over the tests' fake broker and in-memory storage. Facts reach the window
the way they do in the app: the engine's ``ObserverHub`` → ``QtSessionObserver`` → Qt signals.

Load, for ``--seconds`` after ``--warm-up`` seconds of the same load:
- quotes at ``--rate`` a second, spread at random over the symbols, each a small random step, sent
  to the observer hub from a task on the GUI loop, as the runner sends them;
- every ``--candle-every`` seconds a minute closes on every symbol and the real runner runs one
  tick (rules, signals, risk checks, orders, positions, candles for the chart): this compresses
  market time, so the window sees more candle closes than a real minute brings.

Measured:
- event-loop lag: a probe asks the loop to call it back every 5 ms and records how late it was;
- CPU: the process's user + system time over the measured wall time, in % of one core;
- quote-to-screen: for every quote of a symbol whose market-watch row is on screen, the time
  from its hand-over to the observer hub to the end of painting its row's Last cell with it or
  a newer quote (a quote superseded before a repaint is shown by the newer one);
- RSS (Linux ``/proc/self/statm``) at the start and the end of the measured run, after a
  garbage collection.

One JSON line is printed; ``goals_met`` says whether every goal of issue 5 was met.

Usage: ``python bench/gui_load.py [--symbols N] [--rate Q] [--seconds S]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import resource
import sys
import time
from collections import deque
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.world

import numpy as np
import qasync
from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QStyleOptionViewItem

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.domain import Candle, Quote, RiskConfig
from livetrader_gui.ui.main_window import MainWindow
from livetrader_gui.ui.qt_bridge import EngineSignals, QtSessionObserver
from tests.builders import risk_controls, strategy
from tests.world import World

GOALS = {
    "lag_p99_ms": 16.0,
    "quote_to_screen_p99_ms": 50.0,
    "cpu_percent_of_one_core": 35.0,
    "rss_growth_mib": 5.0,
}
PROBE_S = 0.005
TICK = Decimal(10)  # KRX tick size between 5,000 and 20,000 KRW
LAST_COLUMN = 2  # of the market watch


def rss_bytes() -> int:
    """Return the resident set size now (Linux), or the peak where /proc is missing."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return pages * os.sysconf("SC_PAGE_SIZE")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentiles(values: np.ndarray) -> dict[str, float | None]:
    if not len(values):
        return {"p50": None, "p99": None, "max": None, "count": 0}
    array = values * 1_000
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p99": round(float(np.percentile(array, 99)), 2),
        "max": round(float(array.max()), 2),
        "count": len(values),
    }


class Samples:
    """Durations in a buffer allocated up front, so that measuring does not grow the RSS."""

    def __init__(self, capacity: int) -> None:
        self._values = np.empty(capacity)
        self._count = 0

    def add(self, seconds: float) -> None:
        if self._count < len(self._values):
            self._values[self._count] = seconds
            self._count += 1

    def clear(self) -> None:
        self._count = 0

    def values(self) -> np.ndarray:
        return self._values[: self._count]


class QuoteWatch(QStyledItemDelegate):
    """Paints the market watch's Last cells as usual and records when each quote got there."""

    def __init__(self, window: MainWindow, capacity: int) -> None:
        super().__init__(window.quotes)
        self._window = window
        self.sent: dict[str, deque[tuple[Quote, float]]] = {}
        self.latencies = Samples(capacity)

    def track(self, symbols: set[str]) -> None:
        self.sent = {symbol: deque() for symbol in symbols}

    def sending(self, quote: Quote) -> None:
        waiting = self.sent.get(quote.symbol)
        if waiting is not None:
            waiting.append((quote, time.perf_counter()))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        model = self._window.quote_model
        assert model is not None
        shown = model.item(index.row())
        waiting = self.sent.get(shown.symbol)
        if not waiting or not any(quote is shown for quote, _ in waiting):
            return  # a repaint of a value already counted
        now = time.perf_counter()
        while waiting:
            quote, at = waiting.popleft()
            self.latencies.add(now - at)
            if quote is shown:
                break

    def unpainted(self) -> int:
        return sum(len(waiting) for waiting in self.sent.values())


class Market:
    """Prices that walk a tick at a time, as quotes and as one-minute candles."""

    def __init__(self, world: World, symbols: list[str], seed: int, keep: int) -> None:
        self._world = world
        self._keep = keep
        self._symbols = symbols
        self._random = random.Random(seed)
        self.prices = {s: Decimal(12_000 + 10 * self._random.randrange(-100, 100)) for s in symbols}
        self._opens = dict(self.prices)
        self._highs = dict(self.prices)
        self._lows = dict(self.prices)

    def history(self, minutes: int) -> None:
        """Give the broker *minutes* of candles before the clock's time, for the warm-up."""
        now = self._world.h.clock.now()
        for minute in range(minutes, 0, -1):
            start = now - timedelta(minutes=minute)
            for symbol in self._symbols:
                for _ in range(5):
                    self._step(symbol)
                self._world.h.broker.candles[symbol].append(self._candle(symbol, start))

    def quote(self) -> Quote:
        symbol = self._symbols[self._random.randrange(len(self._symbols))]
        last = self._step(symbol)
        return Quote(symbol, last - TICK, last + TICK, last, self._world.h.clock.now())

    async def close_minute(self) -> None:
        """Close a minute on every symbol and run one tick of the session's runner."""
        h = self._world.h
        h.clock.advance(60)
        start = h.clock.now() - timedelta(minutes=1)
        for n, symbol in enumerate(self._symbols, 1):
            kept = h.broker.candles[symbol]
            kept.append(self._candle(symbol, start))
            del kept[: -self._keep]  # the fake broker's memory is not the window's
            h.broker.set_price(symbol, self.prices[symbol])
            if n % 20 == 0:
                await asyncio.sleep(0)  # a feed delivers in packets, not in one block
        await self._world.manager.runner(h.session.id).run_once()

    def _step(self, symbol: str) -> Decimal:
        price = self.prices[symbol] + TICK * self._random.choice((-1, 0, 1))
        price = min(max(price, Decimal(5_010)), Decimal(19_990))
        self.prices[symbol] = price
        self._highs[symbol] = max(self._highs[symbol], price)
        self._lows[symbol] = min(self._lows[symbol], price)
        return price

    def _candle(self, symbol: str, start: Any) -> Candle:
        close = self.prices[symbol]
        candle = Candle(
            symbol,
            start,
            self._opens[symbol],
            self._highs[symbol],
            self._lows[symbol],
            close,
            Decimal(1_000 + self._random.randrange(5_000)),
        )
        self._opens[symbol] = self._highs[symbol] = self._lows[symbol] = close
        return candle


async def run(args: argparse.Namespace) -> dict[str, Any]:
    calendar = ExchangeCalendarProvider().load("XKRX")
    symbols = [f"{100_000 + i:06d}" for i in range(args.symbols)]
    traded = strategy(
        symbols=tuple(symbols),
        entry_rule="close > sma(close, 20) and close > ref(close, 1)",
        exit_rule="close < sma(close, 20)",
        risk_config=RiskConfig(
            risk_controls(max_positions=10, stop_loss_pct=None, take_profit_pct=None)
        ),
        position_pct=Decimal(5),
    )
    signals = EngineSignals()
    # A chart like a trader's in the afternoon: most of a day of one-minute candles.
    world = World(
        calendar, QtSessionObserver(signals), traded, record=False, warmup_candles=args.history
    )
    market = Market(world, symbols, args.seed, keep=args.history)
    market.history(args.history)
    world.h.broker.suspends = True  # its answers let other tasks run, as a network call does
    window = MainWindow(signals)
    window.confirm = lambda _title, _question: True
    window.show_workspace(
        world.desk(),
        "Fake broker",
        "FAKE",
        {s: f"Company {s}" for s in symbols},
        "Asia/Seoul",
        ":memory:",
    )
    window.show()
    session = await world.manager.start_session(
        world.config(traded, skip_prerequisites=True, tick_interval=3_600)
    )
    world.h.session = world.manager.runner(session.id).session
    await window.commands.wait()
    await market.close_minute()  # the first tick takes in the history: not part of the load
    capacity = int(args.rate * (args.seconds + args.warm_up + 1))
    watch = QuoteWatch(window, capacity)
    window.quotes.setItemDelegateForColumn(LAST_COLUMN, watch)
    hub = world.h.services.observer
    loop = asyncio.get_running_loop()

    lags = Samples(int(2 * args.seconds / PROBE_S))
    probing = True

    def probe(due: float) -> None:
        now = time.perf_counter()
        lags.add(now - due)
        if probing:
            loop.call_later(PROBE_S, probe, time.perf_counter() + PROBE_S)

    tick_times = Samples(1_000)

    async def load(seconds: float) -> None:
        started = time.perf_counter()
        sent = 0
        next_candle = started + args.candle_every / 2
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(int(elapsed * args.rate) - sent):
                quote = market.quote()
                watch.sending(quote)
                hub.on_quote_received(quote)
                sent += 1
            if time.perf_counter() >= next_candle:
                tick = time.perf_counter()
                await market.close_minute()
                tick_times.add(time.perf_counter() - tick)
                next_candle += args.candle_every
            await asyncio.sleep(0.001)

    await load(args.warm_up)  # fills every row, warms caches, scrolls nothing
    view = window.quotes
    model = window.quote_model
    assert model is not None
    first = view.rowAt(0)
    last = view.rowAt(view.viewport().height() - 1)
    last = model.rowCount() - 1 if last < 0 else last
    watch.track({model.item(row).symbol for row in range(max(first, 0), last + 1)})
    lags.clear()
    tick_times.clear()
    gc.collect()
    rss_start = rss_bytes()
    cpu_start, wall_start = cpu_seconds(), time.perf_counter()
    loop.call_later(PROBE_S, probe, time.perf_counter() + PROBE_S)
    await load(args.seconds)
    probing = False
    cpu = cpu_seconds() - cpu_start
    wall = time.perf_counter() - wall_start
    await asyncio.sleep(0.5)  # the last quotes' repaint
    gc.collect()
    rss_end = rss_bytes()
    runner = world.manager.runner(session.id)
    facts = {
        "orders": len(world.h.broker.placed),
        "positions_held": sum(1 for s in symbols if runner.book.held(s)),
        "chart_candles": window.workbench.session.chart.caption.text() if window.workbench else "",
    }
    await world.manager.stop_session(session.id)
    await window.commands.wait()
    window.close()

    lag = percentiles(lags.values())
    screen = percentiles(watch.latencies.values())
    cpu_percent = 100 * cpu / wall
    growth = (rss_end - rss_start) / 2**20
    figures = {
        "lag_p99_ms": lag["p99"],
        "quote_to_screen_p99_ms": screen["p99"],
        "cpu_percent_of_one_core": cpu_percent,
        "rss_growth_mib": growth,
    }
    return {
        "bench": "gui_load",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "symbols": args.symbols,
        "quotes_per_second": args.rate,
        "seconds": args.seconds,
        "candle_every_s": args.candle_every,
        "event_loop_lag_ms": lag,
        "cpu_percent_of_one_core": round(cpu_percent, 1),
        "quote_to_screen_ms": {
            **screen,
            "rows_watched": len(watch.sent),
            "never_painted": watch.unpainted(),
        },
        "rss_mib": {
            "start": round(rss_start / 2**20, 1),
            "end": round(rss_end / 2**20, 1),
            "growth": round(growth, 2),
        },
        "runner_tick_ms": percentiles(tick_times.values()),
        "what_happened": facts,
        "goals": GOALS,
        "goals_met": all(
            (figure := figures[name]) is not None and figure <= goal for name, goal in GOALS.items()
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--rate", type=int, default=1_000, help="quotes a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured run")
    parser.add_argument("--warm-up", type=float, default=5.0, help="unmeasured load first")
    parser.add_argument("--candle-every", type=float, default=10.0, help="seconds per minute")
    parser.add_argument("--history", type=int, default=300, help="candles on the chart at start")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
