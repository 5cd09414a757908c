"""Market data that streams: broker requests, quote-to-signal latency and candle fan-out.

For 1, 3 and 10 sessions on the same ``--symbols`` symbols (default 500) of one gateway, with
the main window's market watch open (its service, headless), the real ``MarketDataHub`` is fed
``--quotes`` pushed quotes a second (default 1,000, round robin over the symbols) and, at every
minute of market time, the closed candle of every symbol. Market time runs ``--speed`` times
real time (default 20: a minute every 3 s), so that several minutes fit in a short run; every
rate is per real second. Each session is a real ``LiveTradingRunner`` (AUTO, storage in memory,
orders filled at once on a paper book by a gateway that answers without delay but yields to the
loop, as any network call does), with a 0.5 % stop-loss and take-profit. Every request to the
gateway goes through a ``BudgetedGateway`` without limits, which counts them per group.

Two kinds of session are run, each with 1, 3 and 10 sessions:

- **trading** (a stress): every flat symbol enters at each candle close and leaves on the stops
  its quotes hit: about 200 orders a second per session, and quote-driven signals all along.
- **rules**: the three-indicator rule of ``runner_bench.py``, which enters seldom, as a
  trader's rule does; its positions leave on the stops.

Figures, for each, once every runner has warmed its symbols up:

- broker requests a second in steady state, per group. Goal: no market-data request at all
  (the stream replaces them) and as many account requests for 1, 3 and 10 sessions (one shared
  account read). Order requests grow with the sessions, as each session trades.
- pushed quote → signal: from the hub taking a quote from the stream to a runner emitting the
  stop-loss or take-profit signal it triggered, p50/p99. Goal p99 <= 1 ms (headless).
- candle close → every symbol's rules evaluated: from handing the minute's candles to the
  stream until every session has fed them to its rules. Goal <= 50 ms.
- candle close → decided: until every session has also decided on them, and saved and told
  each signal they gave (its order follows). Goal <= 50 ms for the rules sessions. The stress
  is judged on its rules alone: its decisions are 500 entry signals a session every minute
  (5,000 with 10 sessions, 27 a millisecond at 20x), each saved and told, which no venue would
  take (Upbit accepts 8 orders a second, Binance 50 in 10 s); the figure is printed.

Every other goal is judged on every run. One JSON line is printed; ``goals_met`` says whether
every goal was met, ``goals`` which.

Usage: ``python bench/market_data_bench.py [--symbols N] [--quotes Q] [--seconds S]``
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
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

from runner_bench import EXIT_RULE, RULE, START, WARMUP, BenchClock, Market, SlowGateway, session_of

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.adapters.persistence.memory import (
    MemoryBudgetRepository,
    MemoryJournal,
    MemoryOrderRepository,
    MemorySessionRepository,
    MemorySignalRepository,
)
from livetrader_gui.app.collector import pace_collector, settle_heap
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.symbols import RuleLanes
from livetrader_gui.application.market_data.hub import FeedPolicy, MarketDataHub
from livetrader_gui.application.market_watch import MarketWatch
from livetrader_gui.application.read_models import SignalSnapshot
from livetrader_gui.application.request_budget import (
    BudgetedGateway,
    RequestBudget,
    RequestGroup,
    VenueBudget,
)
from livetrader_gui.domain import Candle, Quote, RiskConfig, RiskControls, SignalReason
from livetrader_gui.processing import ProcessingEngine
from tests.fakes import FakeCalendars, RecordingObserver, ScriptedFeed

# Trading: every flat symbol enters at each candle close and leaves on the stops its quotes
# hit, so quote-driven signals keep coming. Rules: the three-indicator rule of
# ``runner_bench.py``, which enters seldom, as a trader's rule does.
TRADING = ("close > 0", "close < 0")
RULES = (RULE, EXIT_RULE)
GOAL_P99_MS, GOAL_FANOUT_MS = 1.0, 50.0
SESSION_COUNTS = (1, 3, 10)
BATCH_SECONDS = 0.005  # the producer wakes every 5 ms and hands over what the rate asks


def _ignore(*_: object) -> None:
    return None


class Headless:
    """An ``ISessionObserver`` with no window behind it: it takes every fact and keeps none."""

    listening = False  # nobody draws: the engine builds no snapshot for a chart

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)
        return _ignore


class Signals(Headless):
    """Notes how long after its symbol's latest pushed quote each quote-driven signal came."""

    def __init__(self, pushed: dict[str, float]) -> None:
        self.latencies_ms: list[float] = []
        self._pushed = pushed
        self._seen: set[str] = set()

    def on_signal_emitted(self, signal: SignalSnapshot) -> None:
        if signal.signal_id in self._seen:
            return
        self._seen.add(signal.signal_id)
        pushed = self._pushed.get(signal.symbol)
        if pushed is not None and signal.reason in (
            SignalReason.STOP_LOSS,
            SignalReason.TAKE_PROFIT,
        ):
            self.latencies_ms.append((time.perf_counter() - pushed) * 1000)


class StampedFeed(ScriptedFeed):
    """The bench's stream; notes when the hub takes each quote from it (the push)."""

    def __init__(self, pushed: dict[str, float]) -> None:
        super().__init__()
        self._pushed = pushed

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        async for fact in super().subscribe(symbols):
            if isinstance(fact, Quote):
                self._pushed[fact.symbol] = time.perf_counter()
            yield fact


class Fanout:
    """A listener registered after the sessions: when it has the minute's last candle, every
    session has fed all of them to its rules (the hub hands each fact to every listener in one
    go). The sessions decide on them right after, in callbacks queued during the hand-over:
    ``at`` is noted by a callback queued behind theirs, once every decision was made and every
    signal it gave was saved and told."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.seen = 0
        self.fed_at = self.at = 0.0
        self.done = asyncio.Event()

    def __call__(self, fact: Quote | Candle) -> None:
        if isinstance(fact, Candle):
            self.seen += 1
            if self.seen == self.expected:
                self.fed_at = time.perf_counter()
                asyncio.get_running_loop().call_soon(self._decided)

    def _decided(self) -> None:
        self.at = time.perf_counter()
        self.done.set()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def scenario(
    sessions: int,
    symbols: int,
    quotes: int,
    seconds: float,
    speed: float,
    rules: tuple[str, str],
) -> dict[str, Any]:
    names = [f"{100000 + i:06d}" for i in range(symbols)]
    minutes = int(seconds * speed / 60) + 3
    pushed: dict[str, float] = {}  # symbol -> when the hub took its latest quote
    clock = BenchClock(START)
    market = Market(names, WARMUP + minutes + 2)
    budget = RequestBudget(VenueBudget("BENCH"), clock)  # no limits: it only counts
    gateway = BudgetedGateway(SlowGateway(market, clock, 0.0, {}), budget)
    calendar = await FakeCalendars(ExchangeCalendarProvider().load("XKRX")).get("XKRX")
    feed = StampedFeed(pushed)
    hub = MarketDataHub(
        feed, clock, gateway=gateway, calendar=calendar, policy=FeedPolicy(stale_after=3600)
    )
    observer = Signals(pushed)
    controls = RiskControls(
        max_positions=1_000,
        max_position_size_pct=Decimal(1),
        max_daily_loss_pct=Decimal(90),
        stop_loss_pct=Decimal("0.5"),
        take_profit_pct=Decimal("0.5"),
    )
    runners = []
    lanes = RuleLanes()  # as the session manager shares them
    for number in range(sessions):
        session, _ = session_of(names, RecordingObserver())  # its session; the services are ours
        # In memory and without copies: the engine's cost, not the tests' fakes'.
        services = RunnerServices(
            MemorySessionRepository(),
            MemoryOrderRepository(),
            MemorySignalRepository(),
            MemoryBudgetRepository(),
            MemoryJournal(),
            observer,
        )
        strategy = replace(
            session.strategy,
            id=f"bench-{number}",
            entry_rule=rules[0],
            exit_rule=rules[1],
            risk_config=RiskConfig(controls),
        )
        session = replace(session, id=f"S-{number}", strategy=strategy, risk_controls=controls)
        runner = LiveTradingRunner(
            session,
            gateway,
            ProcessingEngine(),
            services,
            calendar,
            LiveSessionConfig(strategy=strategy, broker_id="BENCH"),
            RunnerLimits(warmup_candles=60),
            clock=clock,
            hub=hub,
            account=hub.account,
            lanes=lanes,
        )
        await runner.start()
        runners.append(runner)
    watch = MarketWatch(gateway, calendar, Headless(), clock, names, hub=hub)
    tasks = [asyncio.create_task(r.run()) for r in runners]
    tasks.append(asyncio.create_task(watch.run()))
    fanout = Fanout(symbols)
    hub.listen(names, fanout)

    # Warm-up: every session asks for each symbol's history once, then lives on the stream.
    while any(r.warming_up for r in runners):  # noqa: ASYNC110 - the runner has no such event
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.5)  # past the first account read and the first ticks
    settle_heap()  # as the app does once start-up is done

    fanouts: list[float] = []  # until every session decided on the minute's candles
    evaluated: list[float] = []  # until every session had fed them to its rules
    began = time.perf_counter()
    before = dict(budget.granted)
    first_signal = len(observer.latencies_ms)
    next_symbol = 0
    minute = 0
    while (elapsed := time.perf_counter() - began) < seconds:
        clock.at = START + timedelta(seconds=elapsed * speed)
        closed = int(elapsed * speed // 60)
        if closed > minute:
            minute = closed
            fanout.seen, fanout.done = 0, asyncio.Event()
            handed = time.perf_counter()
            for symbol in names:
                feed.send(market.candles[symbol][WARMUP + minute - 1])
            await fanout.done.wait()
            fanouts.append((fanout.at - handed) * 1000)
            evaluated.append((fanout.fed_at - handed) * 1000)
        # As many as the rate asks for by now: a late wake-up is made up, not lost.
        for _ in range(int(elapsed * quotes) - next_symbol):
            symbol = names[next_symbol % symbols]
            next_symbol += 1
            feed.send(market.quote(symbol, clock.at))
        await asyncio.sleep(BATCH_SECONDS)
    measured = time.perf_counter() - began
    after = dict(budget.granted)

    for runner in runners:
        runner.halt_loop()
    watch.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    await hub.close()
    gc.unfreeze()

    latencies = observer.latencies_ms[first_signal:]
    rates = {
        group.name.lower(): round((after[group] - before[group]) / measured, 2)
        for group in RequestGroup
    }
    return {
        "sessions": sessions,
        "rules": list(rules),
        "measured_s": round(measured, 1),
        "quotes_per_s": round(next_symbol / measured),
        "requests_per_s": rates,
        "quote_to_signal": {
            "signals": len(latencies),
            "p50_ms": round(statistics.median(latencies), 3) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99), 3) if latencies else None,
        },
        "candle_close_to_rules_ms": {
            "minutes": len(evaluated),
            "p50": round(statistics.median(evaluated), 1) if evaluated else None,
            "max": round(max(evaluated), 1) if evaluated else None,
        },
        "candle_close_to_decided_ms": {
            "p50": round(statistics.median(fanouts), 1) if fanouts else None,
            "max": round(max(fanouts), 1) if fanouts else None,
        },
    }


async def main(args: argparse.Namespace) -> dict[str, object]:
    def run(sessions: int, rules: tuple[str, str]) -> Coroutine[Any, Any, dict[str, Any]]:
        return scenario(sessions, args.symbols, args.quotes, args.seconds, args.speed, rules)

    trading = [await run(n, TRADING) for n in SESSION_COUNTS]
    rules = [await run(n, RULES) for n in SESSION_COUNTS]
    everything = trading + rules
    account = [float(r["requests_per_s"]["account"]) for r in trading]
    goals = {
        "no market-data request in steady state": all(
            r["requests_per_s"]["market_data"] == 0 for r in everything
        ),
        # Reads come with the ticks, whose phase varies: one more a second is the same rate.
        "account requests the same for 1, 3 and 10 sessions": max(account) <= account[0] + 1,
    }
    for kind, results in (("trading", trading), ("rules", rules)):
        for r in results:
            p99 = r["quote_to_signal"]["p99_ms"]
            fanout = r["candle_close_to_rules_ms"]["max"]
            decided = r["candle_close_to_decided_ms"]["max"]
            where = f"{kind}, {r['sessions']} session(s)"
            goals[f"{where}: pushed quote to signal p99 <= {GOAL_P99_MS:g} ms"] = (
                p99 is not None and p99 <= GOAL_P99_MS
            )
            goals[
                f"{where}: candle close to {args.symbols} symbols' rules <= {GOAL_FANOUT_MS:g} ms"
            ] = fanout is not None and fanout <= GOAL_FANOUT_MS
            if kind == "rules":
                goals[f"{where}: candle close to decided <= {GOAL_FANOUT_MS:g} ms"] = (
                    decided is not None and decided <= GOAL_FANOUT_MS
                )
    return {
        "bench": "market_data",
        "python": platform.python_version(),
        "symbols": args.symbols,
        "quotes_per_s_asked": args.quotes,
        "market_speed": args.speed,
        "trading": trading,
        "rules": rules,
        "goals": goals,
        "goals_met": all(goals.values()),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--quotes", type=int, default=1_000, help="pushed quotes a second")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured, per scenario")
    parser.add_argument("--speed", type=float, default=20.0, help="market time per real time")
    pace_collector()  # the app's pace
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
