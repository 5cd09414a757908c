"""Soak: a paper session on SIM at 120 times real time, for ten minutes of real time.

The app's own workspace (SQLite in a temporary data folder, SIM keeping its books, the market
watch, the session manager) runs headless on the real clock; one paper session trades three
symbols with a rule that fires most minutes. At 120 times real time a trading day of 390
minutes passes in 195 seconds, nights and weekends are skipped, so ten minutes cover about
three trading days, each of them crossing a close, where sessions used to stop trading.

One JSON line is printed: orders and fills, the simulated trading days and those that traded,
orders left unfinished, errors (the activity log's and the application log's), and the
resident memory after the warm-up and at the end (and every 30 s in between). The warm-up
covers the first close (a trading day is 195 s at 120 times real time): the caches of the
simulated market and of SQLite fill up to their bounds by then, and what grows after it is
what would grow for ever. Goals (issue 18): every simulated trading day trades, no order stuck,
no error, memory growth after the warm-up at most 5 MiB.

Usage: ``python bench/soak.py [--seconds 600] [--warm-up 240] [--speed 120]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from livetrader_gui.app.bootstrap import build_workspace  # noqa: E402
from livetrader_gui.app.settings import parse_settings  # noqa: E402
from livetrader_gui.application.live_trading.config import LiveSessionConfig  # noqa: E402
from livetrader_gui.application.observers import ObserverHub  # noqa: E402
from livetrader_gui.application.ports import ITradingCalendar  # noqa: E402
from livetrader_gui.application.read_models import LogEntry, LogLevel  # noqa: E402
from livetrader_gui.domain import RiskConfig, RiskControls, Strategy  # noqa: E402

SYMBOLS = ("005930", "000660", "035420")
GROWTH_GOAL_MIB = 5.0
MIN_MINUTES = 30
SAMPLE_EVERY = 30.0
ONE_DAY = timedelta(days=1)


class Errors(logging.Handler):
    """Counts what the application logs as an error, and what the activity log says is one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.logged: list[str] = []
        self.activity: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.logged.append(record.getMessage())

    def on_log(self, entry: LogEntry) -> None:
        if entry.level is LogLevel.ERROR:
            self.activity.append(entry.message)

    def __getattr__(self, name: str) -> object:
        if name.startswith("on_"):
            return lambda *_: None
        raise AttributeError(name)


def rss_mib() -> float:
    """Return the resident set size now, in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def strategy(now: object) -> Strategy:
    return Strategy(
        id="soak",
        name="Soak (momentum)",
        symbols=SYMBOLS,
        exchange="XKRX",
        entry_rule="close > ref(close, 1)",
        exit_rule="close < ref(close, 1)",
        risk_config=RiskConfig(
            RiskControls(
                max_positions=3, max_position_size_pct=Decimal(30), max_daily_loss_pct=Decimal(50)
            )
        ),
        position_pct=Decimal(10),
        created_at=now,  # type: ignore[arg-type]
        updated_at=now,  # type: ignore[arg-type]
    )


def traded_days(calendar: ITradingCalendar, began: datetime, ended: datetime) -> list[date]:
    """Return the trading days the session ran through for at least ``MIN_MINUTES`` (a day
    the run only touched at its start or end is not asked to trade)."""
    days = []
    for day in calendar.sessions_between(began.date() - ONE_DAY, ended.date() + ONE_DAY):
        opens, closes = calendar.session_bounds(day)
        if min(closes, ended) - max(opens, began) >= timedelta(minutes=MIN_MINUTES):
            days.append(day)
    return days


async def soak(seconds: float, warm_up: float, speed: float) -> dict[str, object]:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    hub = ObserverHub()
    hub.add(errors)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="livetrader-soak-") as folder:
        settings = parse_settings(["--data-dir", folder, "--sim-speed", str(speed)], {})
        workspace = await build_workspace(settings, hub)
        try:
            chosen = strategy(workspace.clock.now())
            await workspace.strategies.save(chosen)  # no demo: this run is about one session
            await workspace.start()
            market = workspace.simulator.clock
            session = await workspace.manager.start_session(
                LiveSessionConfig(strategy=chosen, broker_id="SIM", is_paper=True)
            )
            began = market.now()
            started = time.perf_counter()
            samples: list[tuple[float, float]] = []
            while (elapsed := time.perf_counter() - started) < seconds:
                await asyncio.sleep(min(SAMPLE_EVERY, max(1.0, seconds / 10), seconds - elapsed))
                samples.append((round(time.perf_counter() - started), round(rss_mib(), 1)))
            warm = next((m for t, m in samples if t >= warm_up), samples[-1][1])
            end = samples[-1][1]
            elapsed = time.perf_counter() - started
            ended = market.now()
            await workspace.manager.stop_session(session.id)
            orders = await workspace.orders.list_for_session(session.id)
            fills = await workspace.orders.list_session_fills(session.id)
            days = traded_days(workspace.calendar, began, ended)
            traded = sorted({workspace.calendar.session_date(f.at) for f in fills})
        finally:
            await workspace.shutdown()
    logging.getLogger().removeHandler(errors)
    stuck = [o.client_order_id for o in orders if not o.status.is_terminal]
    growth = end - warm
    return {
        "benchmark": "soak",
        "seconds": round(elapsed, 1),
        "speed": speed,
        "symbols": len(SYMBOLS),
        "orders": len(orders),
        "fills": len(fills),
        "trading_days": len(days),
        "days_traded": len(traded),
        "days_without_trades": [d.isoformat() for d in days if d not in traded],
        "stuck_orders": len(stuck),
        "errors": len(errors.logged) + len(errors.activity),
        "first_errors": (errors.activity + errors.logged)[:5],
        "rss_mib": {"warm": round(warm, 1), "end": round(end, 1), "growth": round(growth, 2)},
        "rss_samples": samples,
        "goals_met": bool(
            days
            and len(traded) >= len(days)
            and not stuck
            and not errors.logged
            and not errors.activity
            and growth <= GROWTH_GOAL_MIB
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="real seconds to run")
    parser.add_argument("--warm-up", type=float, default=240.0, help="real seconds before RSS")
    parser.add_argument("--speed", type=float, default=120.0, help="simulated market speed")
    args = parser.parse_args()
    report = asyncio.run(soak(args.seconds, args.warm_up, args.speed))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
