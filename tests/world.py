"""A session manager over a fake broker and in-memory storage, with evidence the tests fill."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.adapters.strategy_file import TomlStrategyFiles
from livetrader_gui.application.backtesting import BacktestService
from livetrader_gui.application.desk import TradingDesk
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.session_manager import LiveTradingSessionManager
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import ISessionObserver
from livetrader_gui.domain import (
    BacktestMetrics,
    BacktestResult,
    Order,
    PaperTradingSession,
    Quote,
    Strategy,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine
from tests.fakes import (
    FakeBacktestRepository,
    FakeCalendars,
    FakePaperRepository,
    FakeStrategyRepository,
)
from tests.runner_harness import OPEN, Harness


class World:
    """A manager over a fake broker, with evidence repositories the tests fill."""

    def __init__(
        self,
        calendar: ExchangeTradingCalendar,
        observer: ISessionObserver | None = None,
        strategy: Strategy | None = None,
        *,
        record: bool = True,
        warmup_candles: int = 50,
        streaming: bool = False,
    ) -> None:
        """*record* False: only *observer* hears the facts (a benchmark keeps none of them).
        *streaming*: the runners are driven by the broker's pushed quotes and candles through
        the manager's market-data hubs, as in the app (``trade`` pushes them); else each trade
        runs one tick of the runner, which asks the broker."""
        self.h = Harness(calendar) if strategy is None else Harness(calendar, strategy)
        self.streaming = streaming
        self.hubs = (
            MarketDataHubs(self.h.clock, feeds={self.h.broker.broker_id: self.h.feed})
            if streaming
            else None
        )
        if observer is not None:
            # The window's observer hears every fact; the recording one still keeps them.
            hub = ObserverHub()
            if record:
                hub.add(self.h.observer)
            hub.add(observer)
            self.h.services = dataclasses.replace(self.h.services, observer=hub)
        self.backtests = FakeBacktestRepository()
        self.paper = FakePaperRepository()
        self.registry = BrokerRegistry(self.h.clock)
        self.registry.register(self.h.broker)
        self.manager = LiveTradingSessionManager(
            self.registry,
            ProcessingEngine(),
            self.h.services,
            self.backtests,
            self.paper,
            FakeCalendars(calendar),
            self.h.clock,
            RunnerLimits(warmup_candles=warmup_candles),
            hubs=self.hubs,
        )

    def desk(self) -> TradingDesk:
        """Return the trader's desk over this world's manager."""
        strategies = FakeStrategyRepository()
        strategies.strategies[self.h.strategy.id] = self.h.strategy
        return TradingDesk(
            self.manager,
            strategies,
            self.h.orders,
            self.registry,
            BacktestService(ProcessingEngine(), self.backtests, self.h.clock),
            FakeCalendars(self.h.calendar),
            self.h.clock,
            ProcessingEngine(),
            TomlStrategyFiles(self.h.clock, ProcessingEngine()),
        )

    def restarted(self) -> LiveTradingSessionManager:
        """Return a new manager over the same storage and broker, as after an app restart."""
        return LiveTradingSessionManager(
            self.registry,
            ProcessingEngine(),
            self.h.services,
            self.backtests,
            self.paper,
            FakeCalendars(self.h.calendar),
            self.h.clock,
            hubs=self.hubs,
        )

    def config(self, strategy: Strategy | None = None, **kw: object) -> LiveSessionConfig:
        return LiveSessionConfig(
            strategy=strategy or self.h.strategy,
            broker_id="FAKE",
            costs=TradingCosts(Decimal(0), Decimal(0)),
            **kw,  # type: ignore[arg-type]
        )

    async def add_backtest(self, sharpe: str | None, strategy: Strategy | None = None) -> None:
        strategy = strategy or self.h.strategy
        metrics = BacktestMetrics(
            Decimal(10),
            Decimal(8),
            None if sharpe is None else Decimal(sharpe),
            None,
            Decimal(5),
            Decimal(50),
            20,
            Decimal(30),
        )
        await self.backtests.add(
            BacktestResult(
                f"b-{len(self.backtests.results)}",
                strategy.id,
                strategy.rules_hash,
                strategy.symbols,
                OPEN - timedelta(days=60),
                OPEN,
                Decimal(10_000_000),
                Decimal(11_000_000),
                metrics,
                OPEN + timedelta(seconds=len(self.backtests.results)),  # the newest counts
            )
        )

    async def add_paper_days(self, *days: int, strategy: Strategy | None = None) -> None:
        strategy = strategy or self.h.strategy
        paper = PaperTradingSession(
            f"p-{len(self.paper.sessions)}", strategy.id, strategy.rules_hash, OPEN
        )
        for day in days:
            paper.record_activity(date(2026, 11, day))
        await self.paper.save(paper)

    async def ready(self) -> None:
        """Record evidence that passes the gate."""
        await self.add_backtest("1.34")
        await self.add_paper_days(17, 18, 19)
        await self.add_paper_days(19, 20, 23)


async def trade(world: World, session_id: str, **closes: int) -> None:
    """Close one minute on the given symbols; then run one tick of the manager's runner, or,
    streaming, push each symbol's quote and closed candle as a venue's websocket would."""
    world.h.clock.advance(60)
    for key, close in closes.items():
        symbol = key.removeprefix("s")
        candle = world.h.broker.close_minute(symbol, close)
        if world.streaming:
            price = Decimal(close)
            world.h.feed.send(Quote(symbol, price, price, price, world.h.clock.now()))
            world.h.feed.send(candle)
    if world.streaming:
        for _ in range(50):  # the hub hands them on; the runner decides and its orders go
            await asyncio.sleep(0)
    else:
        await world.manager.runner(session_id).run_once()


async def started_with_a_position(world: World) -> str:
    # A long tick interval: the test drives the ticks, the runner's own loop stays parked.
    session = await world.manager.start_session(
        world.config(skip_prerequisites=True, tick_interval=3_600)
    )
    for _ in range(3):
        await trade(world, session.id, s005930=100, s000660=100)
    await trade(world, session.id, s005930=110, s000660=100)
    assert world.manager.runner(session.id).book.held("005930") == 9_090
    return session.id


async def left_resting_at_a_restart(world: World) -> tuple[str, Order]:
    """A session holds SAMSUNG and has one more order resting at the broker when the app
    stops; return the session's id and that order."""
    session_id = await started_with_a_position(world)
    world.h.broker.fill_orders = False  # the next order rests at the broker
    await trade(world, session_id, s005930=110, s000660=110)
    (resting,) = world.manager.runner(session_id).book.open_orders.values()
    await world.manager.shutdown()
    return session_id, resting
