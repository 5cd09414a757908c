"""The trading core, wired once for every caller: the app, the demo's paper days and replays.

Each gives its own gateways, stores, calendars and clock; what connects them (the registry, the
venues' request budgets, the market-data hubs and the session manager) is made here only, so the
demo and a replay run the very engine the app runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.venue_budgets import within_budget
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.session_manager import LiveTradingSessionManager
from livetrader_gui.application.market_data.hub import FeedPolicy
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.ports import (
    Clock,
    IBacktestRepository,
    IBrokerGateway,
    ICalendarProvider,
    IMarketDataFeed,
    IPaperTradingSessionRepository,
)
from livetrader_gui.processing import ProcessingEngine


@dataclass(frozen=True, slots=True)
class TradingStores:
    """Where the trading core keeps what it does (the database's, or memory for a replay)."""

    services: RunnerServices
    backtests: IBacktestRepository
    paper_sessions: IPaperTradingSessionRepository


@dataclass(frozen=True, slots=True)
class Trading:
    """The wired core: every gateway registered within its venue's budget, and the manager."""

    registry: BrokerRegistry
    manager: LiveTradingSessionManager
    engine: ProcessingEngine
    hubs: MarketDataHubs  # the runners' only with streaming; the market watch's always


def compose_trading(
    gateways: Sequence[IBrokerGateway],
    stores: TradingStores,
    calendars: ICalendarProvider,
    clock: Clock,
    *,
    limits: RunnerLimits | None = None,
    streaming: bool = True,
    engine: ProcessingEngine | None = None,
    feeds: Mapping[str, IMarketDataFeed] | None = None,
    policy: FeedPolicy | None = None,
) -> Trading:
    """Wire the trading core over *gateways* (the first is the one shown by default).

    With *streaming*, runners are driven by one market-data hub per gateway; without, each
    tick asks the broker, which is what a replay needs to decide every symbol every minute.
    *clock* is real time for the app (venues count real seconds) and the replayed time for a
    replay. *feeds* are the market-data streams of the gateways that push (by broker id);
    any other gateway is polled. *policy* is how the hubs keep their links (the default's
    figures unless given: a test shortens the silence a feed may keep).
    """
    if not gateways:
        raise ValueError("the trading core needs at least one broker")
    registry = BrokerRegistry(clock)
    for gateway in gateways:
        registry.register(within_budget(gateway, clock))
    engine = engine or ProcessingEngine()
    hubs = MarketDataHubs(clock, feeds=feeds, policy=policy)
    manager = LiveTradingSessionManager(
        registry,
        engine,
        stores.services,
        stores.backtests,
        stores.paper_sessions,
        calendars,
        clock,
        limits,
        hubs=hubs if streaming else None,
    )
    return Trading(registry, manager, engine, hubs)
