"""``livetrader-gui replay``: the real session manager and runner on recorded candles.

The strategy runs in AUTO mode on the replay broker, minute by minute on a simulated clock and at
full speed, without the go-live gate (a simulation moves no money; the journal says so). The
journal is written as JSON lines, one object per event, ending with a ``summary``. It is written
to a temporary file and moved into place only when the replay has finished, so a failed or
stopped replay never leaves a journal that looks complete (see ``simulation_inputs``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

import numpy as np

from livetrader_gui.adapters.brokers.simulated.replay import MINUTE, ReplayBroker
from livetrader_gui.adapters.candle_file import MINUTE_NS, CandleColumns, moment
from livetrader_gui.adapters.clocks import ManualClock
from livetrader_gui.adapters.persistence.memory import (
    MemoryBacktestRepository,
    MemoryBudgetRepository,
    MemoryJournal,
    MemoryOrderRepository,
    MemoryPaperRepository,
    MemorySessionRepository,
    MemorySignalRepository,
)
from livetrader_gui.app.simulation_inputs import (
    REPLAY_STALE_AFTER,
    Progress,
    SimulationInputs,
    add_common_arguments,
    costs_of,
    instrument_of,
    run_command,
)
from livetrader_gui.app.trading import TradingStores, compose_trading
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import ICalendarProvider
from livetrader_gui.domain import (
    AuditEntry,
    Strategy,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import plain


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrader-gui replay",
        description="Replay a strategy on recorded 1-minute candles with the live runner.",
    )
    add_common_arguments(parser, "journal to write (JSON lines)")
    return parser


def replay_main(argv: Sequence[str]) -> int:
    """Run a replay from the command line; return the exit code."""
    args = _parser().parse_args(list(argv))
    costs = costs_of(args)

    def work(inputs: SimulationInputs) -> tuple[list[dict[str, Any]], str]:
        progress = Progress("replay", inputs.minutes, "minutes")
        try:
            lines = asyncio.run(
                run_replay(
                    inputs.strategy,
                    inputs.candles,
                    inputs.calendars,
                    args.capital,
                    costs,
                    inputs.name,
                    progress=progress.update,
                )
            )
        finally:
            progress.close()
        summary = lines[-1]
        return lines, (
            f"replayed {len(lines) - 1} events; equity {summary['equity']}, realized P&L "
            f"{summary['realized_pnl']}; journal written to {args.out}"
        )

    return run_command("replay", args, work)


async def run_replay(
    strategy: Strategy,
    candles: Mapping[str, CandleColumns],
    calendars: ICalendarProvider,
    capital: Decimal,
    costs: TradingCosts,
    name: str = "replay",
    *,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Replay *strategy* on *candles* with the live session manager and runner; return the
    journal lines, the summary last. Nothing is stored: the records live in memory.
    *progress* is told how many minutes have been replayed."""
    instruments = {s: instrument_of(s, strategy.exchange) for s in strategy.symbols}
    clock = ManualClock(moment(min(int(rows.start[0]) for rows in candles.values())))
    broker = ReplayBroker(candles, instruments, clock, capital, costs, name)
    return await _run(strategy, broker, clock, calendars, costs, candles, progress)


async def _run(
    strategy: Strategy,
    broker: ReplayBroker,
    clock: ManualClock,
    calendars: ICalendarProvider,
    costs: TradingCosts,
    candles: Mapping[str, CandleColumns],
    progress: Callable[[int], None] | None,
) -> list[dict[str, Any]]:
    journal = MemoryJournal()
    services = RunnerServices(
        MemorySessionRepository(),
        MemoryOrderRepository(),
        MemorySignalRepository(),
        MemoryBudgetRepository(),
        journal,
        ObserverHub(),
    )
    # Ticked, not streamed: a replay decides every symbol at every minute, in order.
    manager = compose_trading(
        [broker],
        TradingStores(services, MemoryBacktestRepository(), MemoryPaperRepository()),
        calendars,
        clock,
        limits=RunnerLimits(stale_quote_after=REPLAY_STALE_AFTER),
        streaming=False,
    ).manager
    config = LiveSessionConfig(
        strategy=strategy,
        broker_id=broker.broker_id,
        tick_interval=MINUTE.total_seconds(),
        costs=costs,
        skip_prerequisites=True,
    )
    session = await manager.start_session(config)
    # A tick at every minute a candle closes, in time order.
    ends = np.unique(np.concatenate([rows.start for rows in candles.values()])) + MINUTE_NS
    for done, end in enumerate(ends.tolist(), start=1):
        await clock.parked.wait()
        clock.parked.clear()
        clock.advance_to(moment(end))
        if progress is not None:
            progress(done)
    await clock.parked.wait()
    runner = manager.runner(session.id)
    book = runner.book
    account = await broker.get_account()
    await manager.stop_session(session.id, "the replay reached the end of its candles")
    entries = await journal.list_entries(session.id, limit=10**9)
    lines = [_line(entry) for entry in entries]
    lines.append(
        {
            "type": "summary",
            "ts": clock.now().astimezone(UTC).isoformat(),
            "positions": {
                s: plain(p.quantity) for s, p in sorted(book.positions.items()) if not p.is_flat
            },
            "realized_pnl": plain(book.realized_pnl),
            "equity": plain(account.equity),
            "simulation": True,
        }
    )
    return lines


def _line(entry: AuditEntry) -> dict[str, Any]:
    line: dict[str, Any] = {"type": entry.kind, "ts": entry.at.isoformat()}
    for key, value in entry.data.items():
        line[key] = list(value) if isinstance(value, tuple) else value
    line["message"] = entry.message
    return line
