"""The demo workspace: two strategies whose go-live evidence was really produced on SIM.

On a first launch the strategy store is empty. The demo then backtests two strategies on the
simulated market's history and paper-trades the first through five trading days with the real
paper runner, minute by minute on a manual clock, into the workspace's own database. Nothing is
made up: the Sharpe ratios and paper days the go-live wizard shows are what these runs produced.

* "Gap fill" buys a sharp one-minute drop (most of them are opening gaps, which the simulated
  market, like many real ones, tends to close) and sells once the price is back above its
  average of the last two trading days. On SIM (seed 7) its backtest Sharpe is above 1: it passes.
* "SMA crossover" buys when a 10-minute average crosses above a 30-minute one. It trades often
  and costs eat it: its Sharpe is far below 1 and it has no paper days, so the wizard keeps
  Start disabled and shows why.

The periods are fixed dates, so every new user, and the tests, see the same evidence. The
strategies are saved last: a demo interrupted by closing the app is prepared again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from livetrader_gui.adapters.brokers.simulated import SimulatedBroker, SimulatedBrokerConfig
from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.app.trading import TradingStores, compose_trading
from livetrader_gui.application.backtesting import BacktestRequest, BacktestService
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import (
    Clock,
    IAuditJournal,
    IBacktestRepository,
    ICalendarProvider,
    IPaperTradingSessionRepository,
    IStrategyRepository,
    ITradingCalendar,
)
from livetrader_gui.domain import AuditEntry, RiskConfig, RiskControls, Strategy
from livetrader_gui.domain.backtest import BacktestResult
from livetrader_gui.processing import ProcessingEngine

_log = logging.getLogger(__name__)

DEMO_EXCHANGE = "XKRX"
DEMO_SYMBOLS = ("005930", "000660", "035720")
BACKTEST_START = datetime(2026, 1, 1, tzinfo=UTC)
BACKTEST_END = datetime(2026, 7, 1, tzinfo=UTC)
# The paper days follow the backtest period: evidence on prices the backtest never saw.
PAPER_FIRST_DAY = date(2026, 7, 1)
PAPER_DAYS = 5
DEMO_CAPITAL = Decimal(10_000_000)
MINUTE = timedelta(minutes=1)
# How far back the demo reads calendars: the backtest and the indicators' warm-up before it.
HISTORY_START = BACKTEST_START.date() - timedelta(days=60)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What preparing the demo produced, for the log and the status bar."""

    strategies: tuple[Strategy, ...]
    backtests: tuple[BacktestResult, ...]
    paper_days: int

    @property
    def summary(self) -> str:
        """Return one line a trader reads."""
        sharpes = ", ".join(
            f"{s.name} Sharpe {b.metrics.sharpe_ratio:.2f}"
            for s, b in zip(self.strategies, self.backtests, strict=True)
        )
        return f"demo workspace ready: {sharpes}; {self.paper_days} paper days of Gap fill"


@dataclass(frozen=True, slots=True)
class DemoStores:
    """The workspace's stores the demo writes its strategies and evidence into."""

    strategies: IStrategyRepository
    backtests: IBacktestRepository
    paper_sessions: IPaperTradingSessionRepository
    journal: IAuditJournal
    services: RunnerServices


def demo_strategies(now: datetime) -> tuple[Strategy, Strategy]:
    """Return the two demo strategies, created at *now*; only their rules differ."""
    controls = RiskControls(
        max_positions=3,
        max_position_size_pct=Decimal(30),
        max_daily_loss_pct=Decimal(3),
    )

    def demo(key: str, name: str, entry: str, exit_: str) -> Strategy:
        return Strategy(
            id=f"demo-{key}",
            name=f"{name} (demo)",
            symbols=DEMO_SYMBOLS,
            exchange=DEMO_EXCHANGE,
            entry_rule=entry,
            exit_rule=exit_,
            risk_config=RiskConfig(controls),
            position_pct=Decimal(20),
            created_at=now,
            updated_at=now,
        )

    return (
        demo("gap-fill", "Gap fill", "close < ref(close, 1) * 0.992", "close > sma(close, 780)"),
        demo(
            "sma-crossover",
            "SMA crossover",
            "crossover(sma(close, 10), sma(close, 30))",
            "crossunder(sma(close, 10), sma(close, 30))",
        ),
    )


async def needs_demo(strategies: IStrategyRepository) -> bool:
    """Tell whether this is a first launch: no strategy has been saved yet."""
    return not await strategies.list_all()


async def prepare_demo(
    stores: DemoStores,
    calendars: ICalendarProvider,
    clock: Clock,
    seed: int,
    progress: Progress = lambda _: None,
) -> DemoReport:
    """Produce the demo's evidence on SIM history, then save its strategies.

    *calendars* must reach back to ``HISTORY_START``.
    """
    calendar = await calendars.get(DEMO_EXCHANGE)
    first_open, _ = calendar.session_bounds(PAPER_FIRST_DAY)
    market_clock = ManualClock(first_open)
    broker = SimulatedBroker(calendar, market_clock, SimulatedBrokerConfig(seed=seed))
    await broker.connect()
    strategies = demo_strategies(clock.now())
    engine = ProcessingEngine()

    results = []
    backtester = BacktestService(engine, stores.backtests, clock)
    for strategy in strategies:
        progress(f"Demo: backtesting {strategy.name} on SIM history")
        request = BacktestRequest(
            strategy, BACKTEST_START, BACKTEST_END, DEMO_CAPITAL, calendar=calendar
        )
        result, _ = await backtester.run(request, broker)
        results.append(result)

    days = await _paper_trade(
        strategies[0], broker, market_clock, calendar, calendars, engine, stores, progress
    )
    for strategy in strategies:
        await stores.strategies.save(strategy)
    report = DemoReport(strategies, tuple(results), days)
    await stores.journal.append(
        AuditEntry(
            "demo_prepared",
            report.summary,
            clock.now(),
            data={"seed": seed, "paper_days": days, "simulation": True},
        )
    )
    _log.info("%s", report.summary)
    return report


async def _paper_trade(
    strategy: Strategy,
    broker: SimulatedBroker,
    market_clock: ManualClock,
    calendar: ITradingCalendar,
    calendars: ICalendarProvider,
    engine: ProcessingEngine,
    stores: DemoStores,
    progress: Progress,
) -> int:
    """Run *strategy* in a paper session through ``PAPER_DAYS`` sessions; return the days."""
    # The workspace's stores, but a quiet observer: this history is not the live window's.
    services = RunnerServices(
        sessions=stores.services.sessions,
        orders=stores.services.orders,
        signals=stores.services.signals,
        budgets=stores.services.budgets,
        journal=stores.journal,
        observer=ObserverHub(),
    )
    # Ticked, not streamed: each minute is decided whole before the clock moves on.
    manager = compose_trading(
        [broker],
        TradingStores(services, stores.backtests, stores.paper_sessions),
        calendars,
        market_clock,
        limits=RunnerLimits(stale_quote_after=120),
        streaming=False,
        engine=engine,
    ).manager
    config = LiveSessionConfig(
        strategy=strategy,
        broker_id=broker.broker_id,
        is_paper=True,
        paper_capital=DEMO_CAPITAL,
        tick_interval=MINUTE.total_seconds(),
    )
    session = await manager.start_session(config)
    try:
        day = PAPER_FIRST_DAY
        for number in range(1, PAPER_DAYS + 1):
            progress(f"Demo: paper-trading {strategy.name}, day {number} of {PAPER_DAYS}")
            opens, closes = calendar.session_bounds(day)
            minute = opens + MINUTE
            while minute <= closes:
                # Time moves on only once the runner has finished its tick and parked.
                await market_clock.parked.wait()
                market_clock.parked.clear()
                market_clock.advance_to(minute)
                minute += MINUTE
            day = calendar.session_date(calendar.next_open(closes))
        await market_clock.parked.wait()
    finally:
        await manager.stop_session(session.id, "demo: the paper-trading days are done")
    papers = await stores.paper_sessions.get_by_strategy(strategy.id, strategy.rules_hash)
    return len(set().union(*(p.trading_days for p in papers)))
