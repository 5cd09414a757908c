"""What ``replay`` and ``backtest`` share: their inputs, checked before anything runs, their
output, written whole or not at all, and how they stop.

Every problem is named with its file and line and ends the command with exit 2 before the
simulation starts; the output is checked first too (a folder, a link, a device, an existing file
without ``--force``, a folder that cannot be written), so that a long run never fails at its end.
Ctrl+C stops the command with exit 130 and leaves no output behind.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from livetrader_gui.adapters.calendars import (
    CalendarError,
    ExchangeCalendarProvider,
    ExchangeTradingCalendar,
)
from livetrader_gui.adapters.candle_file import CandleColumns, CandleFileError, read_candle_file
from livetrader_gui.adapters.strategy_file import StrategyFileError, load_strategy
from livetrader_gui.app.calendars import calendar_provider
from livetrader_gui.domain import (
    KRX_STOCK_TICKS,
    Instrument,
    InvalidValueError,
    Strategy,
    TickTable,
)
from livetrader_gui.domain.sizing import TradingCosts
from livetrader_gui.processing import ProcessingEngine

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # what a shell reports for a program ended by Ctrl+C
DEFAULT_CAPITAL = Decimal(10_000_000)
# The calendar reaches a month before the first candle (a runner looks back to the last session)
# and a week past the last one (it looks ahead to the next open).
CALENDAR_BEFORE = timedelta(days=30)
CALENDAR_AFTER = timedelta(days=7)


# A symbol whose last candle closed more than this before a minute does not trade in it (the
# replay's runner finds its quote stale; the backtest is told the same).
REPLAY_STALE_AFTER = 120.0


def instrument_of(symbol: str, exchange: str) -> Instrument:
    """Return the instrument a simulation trades *symbol* as: KRX's tick table for XKRX, else a
    fixed tick of 0.0001 (candle files carry no instrument descriptions)."""
    if exchange == "XKRX":
        return Instrument(symbol, symbol, exchange, "KRW", KRX_STOCK_TICKS)
    return Instrument(symbol, symbol, exchange, "USD", TickTable.fixed("0.0001"))


class InputError(ValueError):
    """An input of the command is unusable; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class SimulationInputs:
    """A checked strategy, its candles as columns, and its exchange's calendar."""

    strategy: Strategy
    candles: dict[str, CandleColumns]
    calendars: ExchangeCalendarProvider
    calendar: ExchangeTradingCalendar
    name: str

    @property
    def minutes(self) -> int:
        """Return how many distinct minutes the candles close at (the run's steps)."""
        return len(np.unique(np.concatenate([rows.start for rows in self.candles.values()])))

    @property
    def rows(self) -> int:
        """Return how many candles there are."""
        return sum(len(rows) for rows in self.candles.values())


def load_inputs(strategy_path: Path, candles_path: Path) -> SimulationInputs:
    """Read and check the strategy, its rules, the candles and the calendar; raise
    ``InputError`` naming the file and line of the first problem."""
    try:
        loaded = load_strategy(strategy_path, datetime.now(UTC))
    except StrategyFileError as error:
        raise InputError(str(error)) from None
    strategy = loaded.strategy
    engine = ProcessingEngine()
    for key in ("entry_rule", "exit_rule"):
        problems = engine.validate(getattr(strategy, key))
        if problems:
            raise InputError(f"{loaded.where(key)}: {key}: {problems[0]}")
    try:
        candles = read_candle_file(candles_path, strategy.symbols)
    except CandleFileError as error:
        raise InputError(str(error)) from None
    for symbol in strategy.symbols:
        if symbol not in candles:
            raise InputError(
                f"{loaded.where('symbols')}: symbol '{symbol}' has no candles in {candles_path}"
            )
    # The earliest and latest candles; of two at the same minute, the one higher in the file.
    first = min(candles.values(), key=lambda rows: (rows.start[0], rows.line[0]))
    last = max(candles.values(), key=lambda rows: (rows.start[-1], rows.line[-1]))
    first_day = _day(int(first.start[0]))
    last_day = _day(int(last.start[-1]))
    calendars = calendar_provider(first_day - CALENDAR_BEFORE, last_day + CALENDAR_AFTER)
    try:
        calendar = calendars.load(strategy.exchange)
    except CalendarError as error:
        raise InputError(f"{loaded.where('exchange')}: {error}") from None
    except ValueError as error:
        # exchange_calendars knows holidays for a range of years only (XKRX: 1956 to 2050).
        early = "back to" in str(error)
        rows, index = (first, 0) if early else (last, -1)
        raise InputError(
            f"{candles_path}:{int(rows.line[index])}: the {rows.symbol} candle of "
            f"{_day(int(rows.start[index]))} is outside the {strategy.exchange} calendar: {error}"
        ) from None
    return SimulationInputs(strategy, candles, calendars, calendar, candles_path.name)


def _day(ns: int) -> Any:
    return datetime.fromtimestamp(ns / 1e9, UTC).date()


def money(text: str) -> Decimal:
    """Parse a command-line amount or rate: a finite number of 0 or more."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a number of 0 or more")
    return value


def capital(text: str) -> Decimal:
    """Parse the command line's capital: a finite amount above 0."""
    value = money(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be above 0")
    return value


def ticks(text: str) -> int:
    """Parse a command-line slippage: a whole number of ticks from 0 to 100."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of ticks") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"'{text}' must be from 0 to 100 ticks")
    return value


def add_common_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """Add the inputs and output both commands take."""
    parser.add_argument("--strategy", type=Path, required=True, help="strategy file (TOML)")
    parser.add_argument("--candles", type=Path, required=True, help="candle file (CSV)")
    parser.add_argument("--out", type=Path, required=True, help=out_help)
    parser.add_argument("--capital", type=capital, default=DEFAULT_CAPITAL)
    parser.add_argument("--commission", type=money, default=Decimal(0), help="rate, e.g. 0.00015")
    parser.add_argument("--sell-tax", type=money, default=Decimal(0), help="rate on sales")
    parser.add_argument(
        "--slippage", type=ticks, default=0, help="ticks a market order fills against you"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace --out if it is an existing file"
    )


def costs_of(args: argparse.Namespace) -> TradingCosts:
    """Return the costs the command line asks for (none unless asked for)."""
    return TradingCosts(
        commission_rate=args.commission, sell_tax_rate=args.sell_tax, slippage_ticks=args.slippage
    )


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class OutputFile:
    """The command's output: checked before the run, written to a hidden temporary file in the
    same folder, and moved into place only once complete (so it is whole or absent).

    Never replaced: a folder, a symbolic link, a device, a pipe or a socket; an existing file
    only with ``force``.
    """

    def __init__(self, path: Path, *, force: bool) -> None:
        self._path = path
        self._force = force
        self._temporary: Path | None = None
        self._handle: IO[str] | None = None

    @property
    def path(self) -> Path:
        return self._path

    def open(self) -> None:
        """Check the path and create the temporary file; raise ``InputError``."""
        path = self._path
        if path.is_symlink():
            raise InputError(
                f"--out {path}: is a symbolic link; it is never replaced (name a regular file)"
            )
        if path.exists():
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                raise InputError(f"--out {path}: is a folder; name a file inside it")
            if not stat.S_ISREG(mode):
                raise InputError(
                    f"--out {path}: is not a regular file (a device, pipe or socket); "
                    "it is never replaced"
                )
            if not self._force:
                raise InputError(f"--out {path}: already exists; pass --force to replace it")
        folder = path.parent
        if not folder.is_dir():
            raise InputError(f"--out {path}: the folder {folder} does not exist")
        try:
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
        except OSError as error:
            raise InputError(
                f"--out {path}: cannot write in the folder {folder}: {error.strerror}"
            ) from None
        self._temporary = Path(name)
        # mkstemp makes the file private (0600): give it the mode a new file gets, or the mode
        # of the file it replaces.
        os.chmod(handle, stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode())
        self._handle = os.fdopen(handle, "w", encoding="utf-8")

    def write(self, lines: Iterable[dict[str, Any]]) -> None:
        """Write *lines* as JSON lines and move the file into place."""
        assert self._handle is not None, "open() first"
        assert self._temporary is not None
        try:
            encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every line
            for line in lines:
                self._handle.write(encode(line) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        except OSError as error:
            self.discard()
            raise InputError(f"--out {self._path}: cannot write: {error.strerror}") from None
        self._temporary.replace(self._path)
        self._temporary = None

    def discard(self) -> None:
        """Remove the temporary file (a run that failed or was stopped leaves nothing)."""
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None


class Progress:
    """A progress bar on a terminal (stderr), redrawn at most ten times a second; silent when
    stderr is not a terminal (a log file wants no bars)."""

    WIDTH = 30

    def __init__(self, label: str, total: int, unit: str, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._shown = self._stream.isatty()
        self._label = label
        self._total = max(total, 1)
        self._unit = unit
        self._began = time.monotonic()
        self._drawn = 0.0

    def update(self, done: int) -> None:
        """Show that *done* of the total are done."""
        if not self._shown:
            return
        now = time.monotonic()
        if now - self._drawn < 0.1 and done < self._total:
            return
        self._drawn = now
        fraction = min(done / self._total, 1.0)
        filled = int(fraction * self.WIDTH)
        rate = done / max(now - self._began, 1e-9)
        left = (self._total - done) / rate if rate > 0 else 0.0
        self._stream.write(
            f"\r{self._label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%} "
            f"{done:,}/{self._total:,} {self._unit} {rate:,.0f}/s, {left:,.0f} s left "
        )
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


def run_command(
    command: str,
    args: argparse.Namespace,
    work: Callable[[SimulationInputs], tuple[list[dict[str, Any]], str]],
) -> int:
    """Check the inputs (``args`` of ``add_common_arguments``) and the output, run *work* and
    write what it returns; return the exit code. *work* returns the lines to write and the
    sentence that reports them."""
    out = OutputFile(args.out, force=args.force)
    try:
        loaded = load_inputs(args.strategy, args.candles)
        out.open()
        lines, report = work(loaded)
        out.write(lines)
    except (InputError, InvalidValueError) as error:
        out.discard()
        print(f"livetrader-gui {command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        out.discard()
        print(
            f"\nlivetrader-gui {command}: stopped by Ctrl+C; nothing was written to {out.path}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BaseException:
        out.discard()
        raise
    print(report)
    return EXIT_OK
