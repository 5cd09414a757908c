"""The strategy file format (TOML): what the app imports and exports and the replay reads.

```toml
name = "SMA pullback"
symbols = ["005930", "000660"]
exchange = "XKRX"
entry_rule = "close > sma(close, 20) and rsi(close, 14) < 30"
exit_rule = "rsi(close, 14) > 70"

[risk]
max_positions = 3
max_position_size_pct = 20
max_daily_loss_pct = 2
stop_loss_pct = 3          # optional
take_profit_pct = 6        # optional

[sizing]
position_pct = 10
```

Every error names the file and the line of the value at fault. Numbers are read as decimals from
their text, so ``0.1`` stays exactly 0.1.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from livetrader_gui.application.ports import Clock
from livetrader_gui.domain import InvalidValueError, RiskConfig, RiskControls, Strategy
from livetrader_gui.domain.values import plain
from livetrader_gui.processing import ProcessingEngine

_TOP = {"name", "symbols", "exchange", "entry_rule", "exit_rule"}
_RISK = {
    "max_positions",
    "max_position_size_pct",
    "max_daily_loss_pct",
    "stop_loss_pct",
    "take_profit_pct",
    "require_backtest_sharpe",
    "require_paper_trading_days",
}
_SIZING = {"position_pct"}
# Which key a domain message is about, by the label the domain uses for it.
_LABELS = (
    ("max positions", "risk.max_positions"),
    ("max position size", "risk.max_position_size_pct"),
    ("max daily loss", "risk.max_daily_loss_pct"),
    ("stop-loss", "risk.stop_loss_pct"),
    ("take-profit", "risk.take_profit_pct"),
    ("required backtest", "risk.require_backtest_sharpe"),
    ("required paper", "risk.require_paper_trading_days"),
    ("position size per entry", "sizing.position_pct"),
    ("exchange", "exchange"),
    ("symbol", "symbols"),
    ("strategy name", "name"),
    ("entry rule", "entry_rule"),
    ("exit rule", "exit_rule"),
)


class StrategyFileError(ValueError):
    """A strategy file cannot be used; the message starts with ``FILE:LINE:``."""


@dataclass(frozen=True, slots=True)
class StrategyFile:
    """A strategy read from a file, with the line of each key (``"risk.max_positions"``)."""

    strategy: Strategy
    path: Path
    lines: dict[str, int]

    def where(self, key: str) -> str:
        """Return ``FILE:LINE`` of *key*."""
        return f"{self.path}:{self.lines.get(key, 1)}"


def load_strategy(path: Path, now: datetime) -> StrategyFile:
    """Read and check the strategy file at *path* (formulas are checked by the caller)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StrategyFileError(f"{path}: cannot read the strategy file: {error}") from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _line_of_message(str(error))
        raise StrategyFileError(f"{path}:{line}: not valid TOML: {error}") from None
    lines = _key_lines(text)

    def fail(key: str, message: str) -> StrategyFileError:
        line = lines.get(key, lines.get(key.split(".")[0], 1))
        return StrategyFileError(f"{path}:{line}: {message}")

    _check_keys(data, fail)
    risk, sizing = data.get("risk", {}), data.get("sizing", {})
    for key in ("name", "exchange", "entry_rule", "exit_rule"):
        if not isinstance(data.get(key), str):
            raise fail(key, f"'{key}' must be a text in quotes")
    symbols = data.get("symbols")
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise fail("symbols", "'symbols' must be a list of texts, e.g. [\"005930\"]")
    try:
        controls = RiskControls(
            max_positions=_integer(risk, "max_positions", fail),
            max_position_size_pct=_number(risk, "max_position_size_pct", fail),
            max_daily_loss_pct=_number(risk, "max_daily_loss_pct", fail),
            stop_loss_pct=_number(risk, "stop_loss_pct", fail, optional=True),
            take_profit_pct=_number(risk, "take_profit_pct", fail, optional=True),
        )
        gate: dict[str, Any] = {}
        if "require_backtest_sharpe" in risk:
            gate["require_backtest_sharpe"] = _number(risk, "require_backtest_sharpe", fail)
        if "require_paper_trading_days" in risk:
            gate["require_paper_trading_days"] = _integer(risk, "require_paper_trading_days", fail)
        strategy = Strategy(
            id=_strategy_id(data["name"]),
            name=data["name"],
            symbols=tuple(symbols),
            exchange=data["exchange"],
            entry_rule=data["entry_rule"],
            exit_rule=data["exit_rule"],
            risk_config=RiskConfig(controls, **gate),
            position_pct=_number(sizing, "position_pct", fail, table="sizing"),
            created_at=now,
            updated_at=now,
        )
    except InvalidValueError as error:
        raise fail(_key_of(str(error)), str(error)) from None
    return StrategyFile(strategy, path, lines)


def dump_strategy(strategy: Strategy) -> str:
    """Return *strategy* in the file format (``load_strategy`` reads it back equal)."""
    controls = strategy.risk_config.controls
    out = [
        f"name = {json.dumps(strategy.name, ensure_ascii=False)}",
        f"symbols = [{', '.join(json.dumps(s) for s in strategy.symbols)}]",
        f"exchange = {json.dumps(strategy.exchange)}",
        f"entry_rule = {json.dumps(strategy.entry_rule, ensure_ascii=False)}",
        f"exit_rule = {json.dumps(strategy.exit_rule, ensure_ascii=False)}",
        "",
        "[risk]",
        f"max_positions = {controls.max_positions}",
        f"max_position_size_pct = {plain(controls.max_position_size_pct)}",
        f"max_daily_loss_pct = {plain(controls.max_daily_loss_pct)}",
    ]
    if controls.stop_loss_pct is not None:
        out.append(f"stop_loss_pct = {plain(controls.stop_loss_pct)}")
    if controls.take_profit_pct is not None:
        out.append(f"take_profit_pct = {plain(controls.take_profit_pct)}")
    out += [
        f"require_backtest_sharpe = {plain(strategy.risk_config.require_backtest_sharpe)}",
        f"require_paper_trading_days = {strategy.risk_config.require_paper_trading_days}",
        "",
        "[sizing]",
        f"position_pct = {plain(strategy.position_pct)}",
        "",
    ]
    return "\n".join(out)


def save_strategy(path: Path, strategy: Strategy, *, overwrite: bool = False) -> None:
    """Write *strategy* to *path*; an existing file is replaced only when *overwrite* is set."""
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name or confirm the overwrite")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(dump_strategy(strategy), encoding="utf-8")
    temporary.replace(path)  # a crash mid-write leaves the old file whole


def _strategy_id(name: str) -> str:
    return "file-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def _check_keys(data: dict[str, Any], fail: Any) -> None:
    for key, value in data.items():
        if key in ("risk", "sizing"):
            if not isinstance(value, dict):
                raise fail(key, f"'{key}' must be a table: [{key}]")
            allowed = _RISK if key == "risk" else _SIZING
            for inner in value:
                if inner not in allowed:
                    known = ", ".join(sorted(allowed))
                    message = f"unknown setting '{inner}' in [{key}]; known: {known}"
                    raise fail(f"{key}.{inner}", message)
        elif key not in _TOP:
            raise fail(key, f"unknown setting '{key}'; known: {', '.join(sorted(_TOP))}")
    for key in sorted(_TOP):
        if key not in data:
            raise fail(key, f"'{key}' is missing")
    for table, needed in (
        ("risk", ("max_positions", "max_position_size_pct", "max_daily_loss_pct")),
        ("sizing", ("position_pct",)),
    ):
        for key in needed:
            if key not in data.get(table, {}):
                raise fail(table, f"'{key}' is missing from [{table}]")


def _number(
    values: dict[str, Any], key: str, fail: Any, *, optional: bool = False, table: str = "risk"
) -> Any:
    value = values.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise fail(f"{table}.{key}", f"'{key}' must be a number, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise fail(f"{table}.{key}", f"'{key}' must be a number, got {value!r}") from None


def _integer(values: dict[str, Any], key: str, fail: Any) -> int:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"risk.{key}", f"'{key}' must be a whole number, got {value!r}")
    return value


_KEY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_]+)\s*\]")


def _key_lines(text: str) -> dict[str, int]:
    """Return the line of each key, as ``"name"`` or ``"risk.max_positions"``, and each table."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _TABLE.match(line):
            table = match.group(1)
            lines.setdefault(table, number)
        elif match := _KEY.match(line):
            lines.setdefault(f"{table}.{match.group(1)}" if table else match.group(1), number)
    return lines


def _line_of_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def _key_of(message: str) -> str:
    lowered = message.lower()
    return next((key for label, key in _LABELS if label in lowered), "name")


class TomlStrategyFiles:
    """``IStrategyFiles`` over the TOML strategy format; formulas are checked on import."""

    def __init__(self, clock: Clock, engine: ProcessingEngine) -> None:
        self._clock = clock
        self._engine = engine

    def read(self, path: Path) -> Strategy:
        loaded = load_strategy(path, self._clock.now())
        for key in ("entry_rule", "exit_rule"):
            problems = self._engine.validate(getattr(loaded.strategy, key))
            if problems:
                raise StrategyFileError(f"{loaded.where(key)}: {key}: {problems[0]}")
        return loaded.strategy

    def write(self, path: Path, strategy: Strategy, *, overwrite: bool) -> None:
        save_strategy(path, strategy, overwrite=overwrite)
