"""Candle files (CSV): read fast, checked row by row, every problem named with its file and line.

The header names ``timestamp, symbol, open, high, low, close, volume`` in any order (more columns
are allowed and ignored). A file saved by Excel as "CSV UTF-8" starts with a byte-order mark: it
is accepted. A file in another encoding (Excel's Korean CSV is CP949) is refused with the line
of the first character that is not UTF-8.

Numbers are read as binary floats, which hold every number of up to 15 significant digits
exactly; the candles hand them on as the exact decimals written in the file. A number with more
digits is refused rather than rounded.

The whole file is parsed by pandas' C reader in one pass; only when that pass finds something
wrong does a second, careful pass name the line and the value.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from livetrader_gui.domain import Candle, InvalidValueError

CSV_COLUMNS = ("timestamp", "symbol", "open", "high", "low", "close", "volume")
NUMBERS = ("open", "high", "low", "close", "volume")
MINUTE_NS = 60 * 10**9
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
# A run of 16 or more digits (with at most one point) cannot be held exactly by a float.
_TOO_LONG = re.compile(r"(?<![\w.])(?=(?:\d\.?){16})[\d.]+")


class CandleFileError(ValueError):
    """The candle file cannot be used; the message starts with ``FILE:LINE:``."""


@dataclass(frozen=True, slots=True)
class CandleColumns:
    """One symbol's one-minute candles as columns, oldest first.

    ``start`` holds UTC nanoseconds; ``line`` the file line each candle came from.
    """

    symbol: str
    start: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def of(cls, symbol: str, candles: Sequence[Candle]) -> CandleColumns:
        """Return *candles* (one-minute, oldest first, at most 15 digits a number) as columns."""
        return cls.build(
            symbol,
            np.array([instant_ns(c.start) for c in candles], dtype=np.int64),
            {n: np.array([float(getattr(c, n)) for c in candles]) for n in NUMBERS},
            np.zeros(len(candles), dtype=np.int64),
        )

    @classmethod
    def build(
        cls, symbol: str, start: np.ndarray, numbers: Mapping[str, np.ndarray], line: np.ndarray
    ) -> CandleColumns:
        """Return the columns from *start*, the *numbers* by name, and *line*."""
        return cls(
            symbol,
            start,
            numbers["open"],
            numbers["high"],
            numbers["low"],
            numbers["close"],
            numbers["volume"],
            line,
        )

    def candle(self, index: int) -> Candle:
        """Return candle *index* with its prices as the decimals the file wrote.

        The columns were checked as a whole when they were read (``read_candle_file``) or come
        from valid candles (``of``): the candle is not checked again.
        """
        return Candle.prechecked(
            self.symbol,
            moment(int(self.start[index])),
            (
                exact(float(self.open[index])),
                exact(float(self.high[index])),
                exact(float(self.low[index])),
                exact(float(self.close[index])),
            ),
            exact(float(self.volume[index])),
        )

    def frame(self) -> pd.DataFrame:
        """Return the candles as float columns indexed by their start (UTC)."""
        index = pd.DatetimeIndex(pd.to_datetime(self.start, unit="ns", utc=True), name="start")
        return pd.DataFrame(
            {name: getattr(self, name) for name in NUMBERS}, index=index, copy=False
        )


def exact(value: float) -> Decimal:
    """Return the decimal of at most 15 significant digits that *value* was read from."""
    return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))


def instant_ns(at: datetime) -> int:
    """Return the time-zone aware *at* as UTC nanoseconds."""
    return (at - EPOCH) // MICROSECOND * 1000


def moment(ns: int) -> datetime:
    """Return UTC nanoseconds *ns* (whole microseconds) as an aware datetime."""
    return EPOCH + timedelta(microseconds=ns // 1000)


def read_candle_file(path: Path, symbols: Iterable[str]) -> dict[str, CandleColumns]:
    """Read the one-minute candles of *symbols* from *path*; raise ``CandleFileError``.

    Symbols of the strategy that have no candle are simply absent from the result (the caller
    names the strategy's line); a symbol the strategy does not trade is an error.
    """
    wanted = set(symbols)
    text = _decoded(path)
    frame = _parsed(path, text)
    _check_rows(path, frame, wanted, spaced=" " in text or "\t" in text)
    return _columns(path, frame)


def _decoded(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CandleFileError(f"{path}: cannot read the candle file: {error.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise CandleFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column {column}); "
            "save the file as UTF-8 (in Excel: CSV UTF-8)"
        ) from None


def _parsed(path: Path, text: str) -> pd.DataFrame:
    header_line = text.split("\n", 1)[0]
    header = [name.strip() for name in header_line.split(",")]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise CandleFileError(
            f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the header must name {', '.join(CSV_COLUMNS)})"
        )
    if (long := _too_long(text)) is not None:
        line = text.count("\n", 0, long.start()) + 1
        raise CandleFileError(
            f"{path}:{line}: the number '{long.group()}' has more than 15 significant digits, "
            "more than LiveTrader holds exactly"
        )
    types = dict.fromkeys(NUMBERS, np.float64) | {"timestamp": str, "symbol": str}
    dtypes = {raw: types[raw.strip()] for raw in header_line.split(",") if raw.strip() in types}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=dtypes,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError):
        _careful(path, text)  # names the line and the value, or the reader's own complaint
        raise
    frame.columns = [str(name).strip() for name in frame.columns]
    frame["line"] = np.arange(2, len(frame) + 2)
    return frame


# Every digit becomes "d" and dots vanish, so that a run of 16 "d" marks where a number may
# have more than 15 significant digits; only there does the exact pattern run (a regular
# expression over a whole file of numbers takes seconds).
_DIGITS = str.maketrans(dict.fromkeys("0123456789", "d") | {".": None})


def _too_long(text: str) -> re.Match[str] | None:
    """Return the first number with more than 15 significant digits."""
    marked = text.translate(_DIGITS)
    if "d" * 16 not in marked:
        return None
    lines = text.split("\n")
    marked_lines = marked.split("\n")
    offset = 0
    for line, marked_line in zip(lines, marked_lines, strict=True):
        if "d" * 16 in marked_line:
            found = _TOO_LONG.search(line)
            if found is not None:
                return _TOO_LONG.search(text, offset, offset + len(line))
        offset += len(line) + 1
    return None


def _careful(path: Path, text: str) -> None:
    """Read *text* again as strings and raise the first problem, with its line."""
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as error:
        found = re.search(r"line (\d+)", str(error))
        line = found.group(1) if found else "1"
        raise CandleFileError(f"{path}:{line}: not a valid CSV row: {error}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    empty = np.logical_and.reduce([frame[c].str.strip().eq("").to_numpy() for c in frame.columns])
    if empty.any():
        raise CandleFileError(f"{path}:{int(np.argmax(empty)) + 2}: an empty line")
    for name in NUMBERS:
        values = pd.to_numeric(frame[name].str.strip(), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise CandleFileError(
                f"{path}:{row + 2}: {name} '{frame[name].iloc[row]}' is not a number"
            )
    raise CandleFileError(f"{path}: the file cannot be read as CSV")


def _fail(path: Path, frame: pd.DataFrame, mask: np.ndarray, message: str) -> None:
    """Raise *message* (formatted with the first row where *mask* holds) if there is one."""
    rows = np.flatnonzero(mask)
    if len(rows):
        row = frame.iloc[int(rows[0])]
        fields = {str(key): value for key, value in row.to_dict().items()}
        raise CandleFileError(f"{path}:{row['line']}: " + message.format(**fields))


def _check_rows(path: Path, frame: pd.DataFrame, wanted: set[str], spaced: bool) -> None:
    # Stripping half a million cells takes a second: only a file with blanks needs it.
    symbols = frame["symbol"].str.strip() if spaced else frame["symbol"]
    stamps = frame["timestamp"].str.strip() if spaced else frame["timestamp"]
    blank = (stamps == "") & (symbols == "")
    _fail(path, frame, blank.to_numpy(), "an empty line")
    frame["symbol"] = symbols
    known = ", ".join(sorted(wanted))
    _fail(
        path,
        frame,
        ~frame["symbol"].isin(wanted).to_numpy(),
        "symbol '{symbol}' is not one of the strategy's symbols (" + known + ")",
    )
    # Each minute's timestamp is written once per symbol: each distinct one is checked once.
    codes, uniques = pd.factorize(stamps)
    distinct = pd.Series(uniques, dtype=object)
    # The offset is in the last six characters; a file has few distinct endings, so the pattern
    # runs once per ending, not once per row.
    endings = distinct.str[-6:]
    offsets = {ending: _OFFSET.search(ending) is not None for ending in endings.unique()}
    has_offset = endings.map(offsets).to_numpy(dtype=bool)[codes]
    parsed_once = pd.to_datetime(distinct, format="ISO8601", utc=True, errors="coerce")
    parsed = pd.DatetimeIndex(parsed_once)[codes]
    _fail(path, frame, np.asarray(parsed.isna()), "timestamp '{timestamp}' is not ISO 8601")
    _fail(
        path,
        frame,
        ~has_offset,
        "timestamp '{timestamp}' has no UTC offset (e.g. +09:00)",
    )
    starts = pd.DatetimeIndex(parsed).as_unit("ns")
    _fail(
        path,
        frame,
        ((starts.second != 0) | (starts.microsecond != 0) | (starts.nanosecond != 0)),
        "timestamp '{timestamp}' does not start a minute",
    )
    frame["start"] = starts.asi8
    values = {name: frame[name].to_numpy(np.float64) for name in NUMBERS}
    for name in NUMBERS:
        _fail(path, frame, ~np.isfinite(values[name]), name + " '{" + name + "}' is not a number")
    wrong = (
        (values["open"] <= 0)
        | (values["high"] <= 0)
        | (values["low"] <= 0)
        | (values["close"] <= 0)
        | (values["volume"] < 0)
        | (values["low"] > np.minimum(values["open"], values["close"]))
        | (values["high"] < np.maximum(values["open"], values["close"]))
    )
    rows = np.flatnonzero(wrong)
    if len(rows):
        row = frame.iloc[int(rows[0])]
        try:
            # Built with the domain's checks, which name what is wrong.
            price = {name: exact(float(row[name])) for name in NUMBERS}
            Candle(
                str(row["symbol"]),
                moment(int(row["start"])),
                price["open"],
                price["high"],
                price["low"],
                price["close"],
                price["volume"],
            )
        except InvalidValueError as error:
            raise CandleFileError(f"{path}:{row['line']}: {error}") from None
    repeated = frame.duplicated(["symbol", "start"], keep="first").to_numpy()
    rows = np.flatnonzero(repeated)
    if len(rows):
        row = frame.iloc[int(rows[0])]
        first = frame[(frame["symbol"] == row["symbol"]) & (frame["start"] == row["start"])]
        raise CandleFileError(
            f"{path}:{row['line']}: a second {row['symbol']} candle at "
            f"{row['timestamp'].strip()} (the first is on line {first['line'].iloc[0]})"
        )


def _columns(path: Path, frame: pd.DataFrame) -> dict[str, CandleColumns]:
    result = {}
    for symbol, rows in frame.groupby("symbol", sort=True):
        rows = rows.sort_values("start", kind="stable")
        result[str(symbol)] = CandleColumns.build(
            str(symbol),
            rows["start"].to_numpy(np.int64),
            {name: rows[name].to_numpy(np.float64) for name in NUMBERS},
            rows["line"].to_numpy(np.int64),
        )
    return result
