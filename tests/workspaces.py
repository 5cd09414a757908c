"""The app's own workspace (SQLite, SIM with its books, the session manager) on a fake clock.

``open_workspace`` builds it the way the app does, in a data folder of the test's; ``kill``
drops it the way ``kill -9`` would (nothing orderly: no shutdown, no last save), so that the
next ``open_workspace`` on the same folder is a restart after a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from livetrader_gui.adapters.calendars import ExchangeCalendarProvider
from livetrader_gui.app.bootstrap import Workspace, build_workspace
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import IBrokerGateway
from livetrader_gui.domain import ExecutionMode, Order, RiskConfig, Strategy
from tests.builders import risk_controls, strategy
from tests.fakes import FakeClock, RecordingObserver

SAMSUNG, HYNIX, KAKAO = "005930", "000660", "035720"


def always(*symbols: str, entry: str = "close > 0", exit_: str = "close > 0") -> Strategy:
    """Return a strategy that buys on one candle and sells on the next: it trades every minute."""
    return strategy(
        id="always",
        name="Always (test)",
        symbols=symbols or (SAMSUNG,),
        entry_rule=entry,
        exit_rule=exit_,
        risk_config=RiskConfig(
            risk_controls(
                max_positions=3,
                max_position_size_pct=Decimal(30),
                max_daily_loss_pct=Decimal(50),
                stop_loss_pct=None,
                take_profit_pct=None,
            )
        ),
        position_pct=Decimal(10),
    )


async def open_workspace(
    folder: Path,
    calendars: ExchangeCalendarProvider,
    clock: FakeClock,
    *,
    speed: float = 1,
    demo: bool = False,
    busy_timeout_ms: int = 5_000,
    gateways: Sequence[IBrokerGateway] | None = None,
    flags: Sequence[str] = (),
) -> tuple[Workspace, RecordingObserver]:
    """Start the app's workspace on *folder* (on *gateways*, by default SIM); without *demo*,
    a strategy is saved first so the demo is not prepared. *busy_timeout_ms*: the app's own
    wait for another writer (a test of a locked database gives a short one); *flags*: more of
    the app's command line."""
    settings = parse_settings(["--data-dir", str(folder), "--sim-speed", str(speed), *flags], {})
    observer = RecordingObserver()
    hub = ObserverHub()
    hub.add(observer)
    workspace = await build_workspace(
        settings,
        hub,
        clock=clock,
        calendars=calendars,
        gateways=gateways,
        busy_timeout_ms=busy_timeout_ms,
    )
    if not demo and not await workspace.strategies.list_all():
        await workspace.strategies.save(always())
    await workspace.start()
    # The market watch polls every quote each second: the tests here are about sessions.
    workspace.market_watch.stop()
    await workspace.market_watch.wait_stopped()
    await idle(workspace, clock)
    return workspace, observer


async def kill(workspace: Workspace) -> None:
    """Drop *workspace* as a SIGKILL would: every task stops where it is, nothing is saved."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await workspace.database.dispose()


def config(strategy_: Strategy, *, paper: bool = False, **kw: object) -> LiveSessionConfig:
    """Return a SIM session's configuration: it ticks once a minute of real time."""
    return LiveSessionConfig(
        strategy=strategy_,
        broker_id="SIM",
        execution_mode=kw.pop("mode", ExecutionMode.AUTO),  # type: ignore[arg-type]
        is_paper=paper,
        skip_prerequisites=not paper,
        tick_interval=kw.pop("tick_interval", 60),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def loops(workspace: Workspace) -> int:
    """Return how many tasks of the workspace run forever: each session's runner, and the
    market-data hubs' feeds and watchdogs; a signal being carried out counts as one more,
    so that time waits for it as it waits for a tick."""
    manager = workspace.manager
    active = manager.get_active_sessions()
    reacting = sum(manager.runner(s.id).reacting for s in active)
    return len(active) + workspace.hubs.loops + reacting


async def idle(workspace: Workspace, clock: FakeClock) -> None:
    """Wait until the workspace's loops wait for time (a tick under way finishes first)."""
    await clock.run_until(clock.now(), lambda: loops(workspace))


async def tick(workspace: Workspace, clock: FakeClock, seconds: float = 60) -> None:
    """Let *seconds* of real time pass, each session's loop ticking by itself, then rest.

    Sessions started here tick once a minute; sessions restored after a restart tick at the
    app's default, every second.
    """
    await clock.run_until(clock.now() + timedelta(seconds=seconds), lambda: loops(workspace))
    await idle(workspace, clock)


def runner(workspace: Workspace, session_id: str) -> LiveTradingRunner:
    return workspace.manager.runner(session_id)


async def stuck(workspace: Workspace, session_id: str) -> list[Order]:
    """Return the session's orders that are not finished (open, or never answered)."""
    orders = await workspace.orders.list_for_session(session_id)
    return [o for o in orders if not o.status.is_terminal]


async def fills_of(workspace: Workspace, session_id: str) -> int:
    return len(await workspace.orders.list_session_fills(session_id))
