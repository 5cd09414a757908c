"""The composition root: the only place that names concrete adapters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from livetrader_gui import __version__
from livetrader_gui.adapters.brokers.connections import ConnectionsError, ConnectionsFile
from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.simulated import (
    SimulatedBroker,
    SimulatedBrokerConfig,
    default_market_start,
    market_clock,
)
from livetrader_gui.adapters.brokers.simulated.store import SimulatedAccountStore
from livetrader_gui.adapters.brokers.venue_budgets import within_budget
from livetrader_gui.adapters.brokers.venue_connections import (
    VenueConnections,
    VenueGateway,
    connect_venues,
    venue_gateways,
)
from livetrader_gui.adapters.calendars import (
    DEFAULT_AHEAD,
    DEFAULT_HISTORY,
    ExchangeCalendarProvider,
)
from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.adapters.credentials import CredentialStore
from livetrader_gui.adapters.persistence.database import Database, DatabaseInfo, prepare_database
from livetrader_gui.adapters.persistence.repositories import (
    SqlAuditJournal,
    SqlBacktestRepository,
    SqlDailyBudgetRepository,
    SqlOrderRepository,
    SqlPaperTradingSessionRepository,
    SqlSessionRepository,
    SqlSignalRepository,
    SqlStrategyRepository,
)
from livetrader_gui.adapters.strategy_file import TomlStrategyFiles
from livetrader_gui.adapters.watchlists import WatchlistFile
from livetrader_gui.app.calendars import calendar_provider
from livetrader_gui.app.demo import HISTORY_START, DemoStores, needs_demo, prepare_demo
from livetrader_gui.app.settings import AppSettings
from livetrader_gui.app.trading import TradingStores, compose_trading
from livetrader_gui.application.backtesting import BacktestService
from livetrader_gui.application.desk import TradingDesk
from livetrader_gui.application.journal import NarratedJournal
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.session_manager import LiveTradingSessionManager
from livetrader_gui.application.market_data.hub import FeedPolicy
from livetrader_gui.application.market_data.hubs import MarketDataHubs
from livetrader_gui.application.market_watch_board import MarketWatchBoard
from livetrader_gui.application.ports import (
    Clock,
    IBrokerGateway,
    ISessionObserver,
    ITradingCalendar,
)
from livetrader_gui.domain import AuditEntry, Instrument

_log = logging.getLogger(__name__)
SIM_EXCHANGE = "XKRX"


@dataclass
class Workspace:
    """The running application: storage, brokers, calendars and services, wired together."""

    settings: AppSettings
    database: Database
    database_info: DatabaseInfo
    calendars: ExchangeCalendarProvider
    calendar: ITradingCalendar
    clock: Clock
    registry: BrokerRegistry
    # The broker the market watch shows (the first given; by default SIM).
    broker: IBrokerGateway
    instruments: list[Instrument]
    strategies: SqlStrategyRepository
    sessions: SqlSessionRepository
    orders: SqlOrderRepository
    backtests: SqlBacktestRepository
    paper_sessions: SqlPaperTradingSessionRepository
    journal: SqlAuditJournal
    # The market watch of every broker (the symbols watched on each, kept in the data folder).
    market_watch: MarketWatchBoard
    manager: LiveTradingSessionManager
    desk: TradingDesk
    services: RunnerServices
    hubs: MarketDataHubs
    # The trader's connections to real venues (the Brokers dialog), and what kept any out.
    connections: VenueConnections
    venue_problems: list[str] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    demo: asyncio.Task[None] | None = None
    # What reconciling the restored sessions with their brokers found at the last start.
    differences: list[str] = field(default_factory=list)
    # The start of the last run when it never recorded its stop (None: it stopped cleanly).
    unclean: AuditEntry | None = None

    @property
    def simulator(self) -> SimulatedBroker:
        """Return the built-in simulated market; ``LookupError`` if this workspace has none."""
        for gateway in self.registry.all():
            if isinstance(gateway, SimulatedBroker):
                return gateway
        raise LookupError("this workspace trades no simulated market")

    async def start(self, tell: Callable[[str], None] = lambda _: None) -> list[str]:
        """Start the background services and bring back the sessions of the last run, PAUSED.

        On a first launch the demo workspace is prepared in the background; *tell* receives
        its progress in words. Returns what reconciliation found different from the broker.
        """
        await self.market_watch.run()
        if await needs_demo(self.strategies):
            self.demo = asyncio.create_task(self._prepare_demo(tell), name="demo")
        self.differences = await self.manager.restore_sessions()
        if self.unclean is not None:
            found = "; ".join(self.differences) or "no difference from the brokers' records"
            # Narrated: the Activity log of every session shows it.
            await NarratedJournal(self.journal, self.services.observer).append(
                AuditEntry(
                    "unclean_shutdown",
                    f"LiveTrader did not stop cleanly last time (the run started "
                    f"{self.unclean.at:%Y-%m-%d %H:%M} UTC recorded no stop); the sessions "
                    f"came back paused and were reconciled: {found}",
                    self.clock.now(),
                    data={"differences": tuple(self.differences)},
                )
            )
        resumed = await self._resume_when_clean()
        _log.info(
            "start reconciled: %d difference(s), %d session(s) resumed",
            len(self.differences),
            len(resumed),
        )
        return self.differences

    async def _resume_when_clean(self) -> list[str]:
        """Under ``--resume-when-clean``, resume the sessions the restart paused if nothing
        differs from the brokers; otherwise say why they stay paused."""
        if not self.settings.resume_when_clean:
            return []
        if self.differences:
            await NarratedJournal(self.journal, self.services.observer).append(
                AuditEntry(
                    "resume_withheld",
                    f"the sessions stay paused although LiveTrader runs with "
                    f"--resume-when-clean: reconciling found {len(self.differences)} "
                    "difference(s); resume them once you have checked",
                    self.clock.now(),
                    data={"differences": tuple(self.differences)},
                )
            )
            return []
        return await self.manager.resume_restarted(
            "resumed after the restart: reconciling found no difference (--resume-when-clean)"
        )

    async def _prepare_demo(self, tell: Callable[[str], None]) -> None:
        stores = DemoStores(
            self.strategies, self.backtests, self.paper_sessions, self.journal, self.services
        )
        try:
            report = await prepare_demo(
                stores, self.calendars, self.clock, self.settings.sim_seed, tell
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("the demo workspace could not be prepared")
            tell("The demo workspace could not be prepared (details in the log)")
            return
        tell(
            f"Demo ready: {report.strategies[0].name} has passed the go-live checks; "
            "open Go live to start it"
        )

    async def shutdown(self) -> None:
        """Stop runners and services, close brokers, record the stop, close the database.

        Sessions are left as they are: the next start brings them back PAUSED.
        """
        if self.demo is not None:
            # Before the runners and the database go: the demo writes into both.
            self.demo.cancel()
            await asyncio.gather(self.demo, return_exceptions=True)
        try:
            await self.manager.shutdown()
        finally:
            self.market_watch.stop()
            await self.market_watch.wait_stopped()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
            await self.hubs.close()
        try:
            for gateway in self.registry.all():
                await gateway.disconnect()
            await self.journal.append(
                AuditEntry("app_stopped", "LiveTrader stopped", self.clock.now())
            )
        finally:
            # Whatever failed above, the database is closed cleanly.
            await self.database.dispose()


def simulator_books(settings: AppSettings, broker_id: str = "SIM") -> SimulatedAccountStore:
    """Return where the simulated broker keeps its books, in the data folder."""
    return SimulatedAccountStore(settings.data_dir / "simulator" / f"{broker_id}-books.sqlite")


async def build_workspace(
    settings: AppSettings,
    observer: ISessionObserver,
    *,
    clock: Clock | None = None,
    calendars: ExchangeCalendarProvider | None = None,
    gateways: Sequence[IBrokerGateway] | None = None,
    database: Database | None = None,
    busy_timeout_ms: int = 5_000,
    credentials: CredentialStore | None = None,
    feed_policy: FeedPolicy | None = None,
) -> Workspace:
    """Open storage, calendars and brokers and wire the services; blocking work runs off-loop.

    Every part can be given: *clock* is the real time (a test gives a fake one), *calendars* a
    provider that reaches back to the demo's history, *gateways* the brokers (the first one is
    shown in the market watch; by default the built-in simulated market, SIM) and *database*
    an opened database (by default the one of *settings*). Raises ``DatabaseError`` (with a
    message for the trader) when the database cannot be used. *busy_timeout_ms* is how long a
    write waits for another program holding the database's lock before it fails.

    Without *gateways*, the real venues the trader connected (``brokers.json`` in the data
    folder, keys in *credentials*) run beside SIM; one that cannot connect says why in the
    Brokers dialog and never stops the start. *feed_policy* is how the market-data hubs keep
    their links (by default ``FeedPolicy()``).
    """
    loop = asyncio.get_running_loop()
    url = database.url if database is not None else settings.database_url
    info = await loop.run_in_executor(None, prepare_database, url)
    database = database or Database(info.url, busy_timeout_ms=busy_timeout_ms)
    try:
        clock = clock or SystemClock()
        today = clock.now().date()
        # Back far enough for the demo's fixed periods as well as for recent history.
        calendars = calendars or calendar_provider(
            min(today - DEFAULT_HISTORY, HISTORY_START), today + DEFAULT_AHEAD
        )
        journal = SqlAuditJournal(database.sessions)
        # Finding the system's keyring reads its backends: off the event loop.
        keys = credentials
        if keys is None:
            keys = await loop.run_in_executor(None, CredentialStore, settings.data_dir)
        venues: list[VenueGateway] = []
        venue_problems: list[str] = []
        if gateways is None:
            gateways = [await _simulated_market(settings, clock, calendars, journal)]
            venues, venue_problems = await loop.run_in_executor(
                None, _venues, settings, keys, clock
            )
        # Within their venues' budgets from the first request on (start-up asks too).
        gateways = [within_budget(gateway, clock) for gateway in gateways]
        for gateway in gateways:
            await gateway.connect()
        main = gateways[0]
        instruments = await main.get_instruments()
        exchange = instruments[0].exchange if instruments else SIM_EXCHANGE
        calendar = await calendars.get(exchange)
        # A start with no stop after it: the last run ended by a crash, a kill or a power cut.
        last = await journal.latest_of_kinds("app_started", "app_stopped")
        unclean = last if last is not None and last.kind == "app_started" else None
        await journal.append(
            AuditEntry(
                "app_started",
                f"LiveTrader {__version__} started",
                clock.now(),
                data={
                    "version": __version__,
                    "schema": info.revision_after,
                    "created": info.created,
                },
            )
        )
    except BaseException:
        await database.dispose()
        raise
    strategies = SqlStrategyRepository(database.sessions)
    sessions = SqlSessionRepository(database.sessions)
    orders = SqlOrderRepository(database.sessions)
    backtests = SqlBacktestRepository(database.sessions)
    paper_sessions = SqlPaperTradingSessionRepository(database.sessions)
    services = RunnerServices(
        sessions=sessions,
        orders=orders,
        signals=SqlSignalRepository(database.sessions),
        budgets=SqlDailyBudgetRepository(database.sessions),
        journal=journal,
        observer=observer,
    )
    # One registry, one request budget, one subscription, one link and one account read per
    # broker, whatever the number of sessions.
    trading = compose_trading(
        [*gateways, *(v.gateway for v in venues)],
        TradingStores(services, backtests, paper_sessions),
        calendars,
        clock,
        feeds={v.gateway.broker_id: v.feed for v in venues},
        policy=feed_policy,
    )
    registry, manager, engine, hubs = (
        trading.registry,
        trading.manager,
        trading.engine,
        trading.hubs,
    )
    await connect_venues(registry, venues, clock)
    for problem in venue_problems:
        _log.warning("broker left out: %s", problem)
    await registry.refresh_health()
    return Workspace(
        settings=settings,
        database=database,
        database_info=info,
        calendars=calendars,
        calendar=calendar,
        clock=clock,
        registry=registry,
        broker=main,
        instruments=instruments,
        strategies=strategies,
        sessions=sessions,
        orders=orders,
        backtests=backtests,
        paper_sessions=paper_sessions,
        journal=journal,
        manager=manager,
        services=services,
        hubs=hubs,
        venue_problems=venue_problems,
        connections=VenueConnections(settings.data_dir, keys, registry, hubs, clock),
        desk=TradingDesk(
            manager,
            strategies,
            orders,
            registry,
            BacktestService(engine, backtests, clock),
            calendars,
            clock,
            engine,
            TomlStrategyFiles(clock, engine),
        ),
        unclean=unclean,
        market_watch=MarketWatchBoard(
            registry,
            hubs,
            calendars,
            observer,
            clock,
            WatchlistFile(settings.data_dir),
            {main.broker_id: [i.symbol for i in instruments]},
        ),
    )


def _venues(
    settings: AppSettings, credentials: CredentialStore, clock: Clock
) -> tuple[list[VenueGateway], list[str]]:
    """Return the gateways of the trader's venue connections, and what kept any out (read
    from disk and the keyring: off the event loop)."""
    try:
        connections = ConnectionsFile(settings.data_dir).read()
    except ConnectionsError as error:
        return [], [f"no venue connections: {error}"]
    return venue_gateways(connections, credentials, clock)


async def _simulated_market(
    settings: AppSettings,
    clock: Clock,
    calendars: ExchangeCalendarProvider,
    journal: SqlAuditJournal,
) -> SimulatedBroker:
    """Return the built-in simulated KRX market (the embedded default), with its books."""
    loop = asyncio.get_running_loop()
    calendar = await calendars.get(SIM_EXCHANGE)
    config = SimulatedBrokerConfig(seed=settings.sim_seed)
    store = simulator_books(settings, config.broker_id)
    books = await loop.run_in_executor(None, store.load)
    # The simulated market carries on from the latest time it or any session on it showed,
    # never earlier; if real time has gone past that, from now.
    shown = (
        books.clock if books else None,
        await journal.latest_time_of_broker(config.broker_id),
    )
    start = max([default_market_start(calendar, clock.now()), *(t for t in shown if t)])
    return SimulatedBroker(
        calendar,
        market_clock(clock, calendar, speed=settings.sim_speed, start=start),
        config,
        store=store,
        books=books,
    )
