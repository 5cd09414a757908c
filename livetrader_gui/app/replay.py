"""``livetrader-gui replay``: the real session manager and runner on recorded candles.

The strategy runs in AUTO mode on the replay broker, minute by minute on a simulated clock and at
full speed, without the go-live gate (a simulation moves no money; the journal says so). The
journal is written as JSON lines, one object per event, ending with a ``summary``. It is written
to a temporary file and moved into place only when the replay has finished, so a failed replay
never leaves a journal that looks complete.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.brokers.simulated.replay import (
    MINUTE,
    ReplayBroker,
    ReplayDataError,
    load_candles_csv,
)
from livetrader_gui.adapters.calendars import CalendarError, ExchangeCalendarProvider
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
from livetrader_gui.adapters.strategy_file import StrategyFileError, load_strategy
from livetrader_gui.application.live_trading.config import LiveSessionConfig, RunnerLimits
from livetrader_gui.application.live_trading.services import RunnerServices
from livetrader_gui.application.live_trading.session_manager import LiveTradingSessionManager
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.application.ports import ICalendarProvider
from livetrader_gui.domain import (
    KRX_STOCK_TICKS,
    AuditEntry,
    Candle,
    Instrument,
    InvalidValueError,
    Strategy,
    TickTable,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.domain.values import plain
from livetrader_gui.processing import ProcessingEngine

EXIT_OK = 0
EXIT_BAD_INPUT = 2
DEFAULT_CAPITAL = Decimal(10_000_000)
# A symbol whose last candle closed more than this before a minute does not trade in it.
REPLAY_STALE_AFTER = 120.0


class ReplayInputError(ValueError):
    """An input of the replay is unusable; the message names the file and line."""


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a number of 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrader-gui replay",
        description="Replay a strategy on recorded 1-minute candles with the live runner.",
    )
    parser.add_argument("--strategy", type=Path, required=True, help="strategy file (TOML)")
    parser.add_argument("--candles", type=Path, required=True, help="candle file (CSV)")
    parser.add_argument("--out", type=Path, required=True, help="journal to write (JSON lines)")
    parser.add_argument("--capital", type=_decimal, default=DEFAULT_CAPITAL)
    parser.add_argument(
        "--commission", type=_decimal, default=Decimal(0), help="rate, e.g. 0.00015"
    )
    parser.add_argument("--sell-tax", type=_decimal, default=Decimal(0), help="rate on sales")
    return parser


def replay_main(argv: Sequence[str]) -> int:
    """Run a replay from the command line; return the exit code."""
    args = _parser().parse_args(list(argv))
    if args.capital <= 0:
        print("livetrader-gui replay: --capital must be above 0", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        costs = TradingCosts(commission_rate=args.commission, sell_tax_rate=args.sell_tax)
        lines = asyncio.run(replay(args.strategy, args.candles, args.capital, costs))
    except (ReplayInputError, StrategyFileError, ReplayDataError, InvalidValueError) as error:
        print(f"livetrader-gui replay: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _write_atomically(args.out, lines)
    summary = lines[-1]
    print(
        f"replayed {len(lines) - 1} events; equity {summary['equity']}, realized P&L "
        f"{summary['realized_pnl']}; journal written to {args.out}"
    )
    return EXIT_OK


def _write_atomically(path: Path, lines: list[dict[str, Any]]) -> None:
    if path.exists():
        print(f"livetrader-gui replay: replacing the existing {path}", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".partial", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    Path(temporary).replace(path)


async def replay(
    strategy_path: Path, candles_path: Path, capital: Decimal, costs: TradingCosts
) -> list[dict[str, Any]]:
    """Replay and return the journal lines, the summary last."""
    loaded = load_strategy(strategy_path, datetime.now(UTC))
    strategy = loaded.strategy
    engine = ProcessingEngine()
    for key in ("entry_rule", "exit_rule"):
        problems = engine.validate(getattr(strategy, key))
        if problems:
            raise ReplayInputError(f"{loaded.where(key)}: {key}: {problems[0]}")
    candles = load_candles_csv(candles_path, strategy.symbols)
    starts = sorted({c.start for rows in candles.values() for c in rows})
    calendars = ExchangeCalendarProvider(start=starts[0].date() - timedelta(days=30))
    try:
        calendar = calendars.load(strategy.exchange)
        calendar.is_open(starts[-1] + MINUTE)  # raises if the candles outrun the calendar
    except CalendarError as error:
        raise ReplayInputError(f"{loaded.where('exchange')}: {error}") from None
    return await run_replay(strategy, candles, calendars, capital, costs, candles_path.name)


async def run_replay(
    strategy: Strategy,
    candles: dict[str, list[Candle]],
    calendars: ICalendarProvider,
    capital: Decimal,
    costs: TradingCosts,
    name: str = "replay",
) -> list[dict[str, Any]]:
    """Replay *strategy* on *candles* with the live session manager and runner; return the
    journal lines, the summary last. Nothing is stored: the records live in memory."""
    instruments = {s: instrument_of(s, strategy.exchange) for s in strategy.symbols}
    starts = min(c.start for rows in candles.values() for c in rows)
    clock = ManualClock(starts)
    broker = ReplayBroker(candles, instruments, clock, capital, costs, name)
    return await _run(ProcessingEngine(), strategy, broker, clock, calendars, costs, candles)


def instrument_of(symbol: str, exchange: str) -> Instrument:
    """Return the instrument a replay trades *symbol* as: KRX's tick table for XKRX, else a
    fixed tick of 0.0001 (candle files carry no instrument descriptions)."""
    return _instrument(symbol, exchange)


def _instrument(symbol: str, exchange: str) -> Instrument:
    if exchange == "XKRX":
        return Instrument(symbol, symbol, exchange, "KRW", KRX_STOCK_TICKS)
    return Instrument(symbol, symbol, exchange, "USD", TickTable.fixed("0.0001"))


async def _run(
    engine: ProcessingEngine,
    strategy: Strategy,
    broker: ReplayBroker,
    clock: ManualClock,
    calendars: ICalendarProvider,
    costs: TradingCosts,
    candles: dict[str, list[Candle]],
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
    registry = BrokerRegistry(clock)
    registry.register(broker)
    manager = LiveTradingSessionManager(
        registry,
        engine,
        services,
        MemoryBacktestRepository(),
        MemoryPaperRepository(),
        calendars,
        clock,
        RunnerLimits(stale_quote_after=REPLAY_STALE_AFTER),
    )
    config = LiveSessionConfig(
        strategy=strategy,
        broker_id=broker.broker_id,
        tick_interval=MINUTE.total_seconds(),
        costs=costs,
        skip_prerequisites=True,
    )
    session = await manager.start_session(config)
    # A tick at every minute a candle closes, in time order.
    for end in sorted({c.end for rows in candles.values() for c in rows}):
        await clock.parked.wait()
        clock.parked.clear()
        clock.advance_to(end)
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
