"""A runner on a scripted broker and a fake clock, with every repository in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.market_data.hub import MarketDataHub
from livetrader_gui.application.ports import IBrokerGateway
from livetrader_gui.application.request_budget import BudgetedGateway, RequestBudget, VenueBudget
from livetrader_gui.domain import (
    ExecutionMode,
    LiveTradingSession,
    RiskConfig,
    Strategy,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine
from tests.builders import risk_controls, strategy
from tests.fake_broker import FakeBroker
from tests.fakes import (
    FakeBudgetRepository,
    FakeClock,
    FakeJournal,
    FakeOrderRepository,
    FakeSessionRepository,
    FakeSignalRepository,
    RecordingObserver,
    ScriptedFeed,
)

OPEN = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 KST, XKRX in session
# Up three minutes then a jump: ``close > sma(close, 3)`` holds on the fourth candle only.
ENTRY = "close > sma(close, 3)"
EXIT = "close < sma(close, 3)"


def trading_strategy(**controls: Any) -> Strategy:
    """Return a strategy on two symbols with the test rules; *controls* override the limits."""
    limits = {"stop_loss_pct": None, "take_profit_pct": None, **controls}
    return strategy(
        symbols=("005930", "000660"),
        entry_rule=ENTRY,
        exit_rule=EXIT,
        risk_config=RiskConfig(risk_controls(**limits)),
        position_pct=Decimal(10),
    )


@dataclass
class Harness:
    """Everything a runner test touches."""

    calendar: ExchangeTradingCalendar
    strategy: Strategy = field(default_factory=trading_strategy)
    mode: ExecutionMode = ExecutionMode.AUTO
    start: datetime = OPEN
    # Streaming: the runner is fed by a hub over a feed the test scripts (``feed.send``).
    streaming: bool = False
    # Runners on the same hub share these (a second session on the same broker).
    shared: Harness | None = None
    # The venue's request budget the runner's requests spend (``gateway``), if any.
    budget: VenueBudget | None = None
    limits: RunnerLimits = field(
        default_factory=lambda: RunnerLimits(warmup_candles=50, stale_quote_after=90)
    )

    def __post_init__(self) -> None:
        shared = self.shared
        self.clock: FakeClock = shared.clock if shared else FakeClock(self.start)
        self.broker: FakeBroker = (
            shared.broker if shared else FakeBroker(self.clock, self.strategy.symbols)
        )
        self.gateway: IBrokerGateway = (
            shared.gateway
            if shared
            else BudgetedGateway(self.broker, RequestBudget(self.budget, self.clock))
            if self.budget is not None
            else self.broker
        )
        self.feed: ScriptedFeed = shared.feed if shared else ScriptedFeed()
        self.hub: MarketDataHub | None = (
            shared.hub
            if shared
            else MarketDataHub(self.feed, self.clock, gateway=self.gateway, calendar=self.calendar)
            if self.streaming
            else None
        )
        self.sessions = FakeSessionRepository()
        self.orders = FakeOrderRepository()
        self.signals = FakeSignalRepository()
        self.budgets = FakeBudgetRepository()
        self.journal = FakeJournal()
        self.observer = RecordingObserver()
        self.services = RunnerServices(
            self.sessions, self.orders, self.signals, self.budgets, self.journal, self.observer
        )
        self.config = LiveSessionConfig(
            strategy=self.strategy,
            broker_id=self.broker.broker_id,
            execution_mode=self.mode,
            costs=TradingCosts(commission_rate=Decimal(0), sell_tax_rate=Decimal(0)),
            signal_ttl=120,
        )
        self.session = LiveTradingSession(
            id=f"S-{id(self)}" if shared else "S-1",
            strategy=self.strategy,
            broker_id=self.broker.broker_id,
            symbols=self.strategy.symbols,
            execution_mode=self.mode,
            risk_controls=self.strategy.risk_config.controls,
            created_at=self.start,
        )
        self.runner = LiveTradingRunner(
            self.session,
            self.gateway,
            ProcessingEngine(),
            self.services,
            self.calendar,
            self.config,
            self.limits,
            hub=self.hub,
            account=self.hub.account if self.hub is not None else None,
        )

    async def started(self) -> Harness:
        await self.runner.start()
        return self

    async def minute(self, **closes: int) -> None:
        """Let a minute pass, close a candle per symbol (``s005930=100``), and run one tick."""
        self.clock.advance(60)
        for key, close in closes.items():
            self.broker.close_minute(key.removeprefix("s"), close)
        await self.runner.run_once()

    async def warm_up(self, *symbols: str, price: int = 100, minutes: int = 3) -> None:
        """Close *minutes* flat candles on *symbols* so the rules are defined."""
        for _ in range(minutes):
            await self.minute(**{f"s{s}": price for s in symbols})

    def codes(self, kind: str, key: str) -> list[Any]:
        """Return *key* of every journal entry of *kind*."""
        return [e.data[key] for e in self.journal.kinds(kind)]
