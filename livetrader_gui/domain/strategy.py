"""Strategies: the rules a trader writes and the risk settings that bound them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import (
    aware,
    bounded_int,
    percentage,
    plain,
    symbol_code,
    text,
    to_decimal,
)

MAX_RULE_LENGTH = 4_000
MAX_POSITIONS_LIMIT = 1_000
# Bumped only if the hashed representation changes; evidence of an older scheme no longer counts.
RULES_HASH_SCHEME = 1


@dataclass(frozen=True, slots=True)
class RiskControls:
    """The hard limits a running session enforces.

    Parameters
    ----------
    max_positions
        Open positions allowed at once, 1 to 1000.
    max_position_size_pct
        Largest single position as a percentage of portfolio equity, above 0 and at most 100.
    max_daily_loss_pct
        Loss, against the equity at the start of the trading day, at which the session stops
        opening positions; above 0 and at most 100.
    stop_loss_pct, take_profit_pct
        Optional exits, as a percentage move from the average entry price.
    """

    max_positions: int
    max_position_size_pct: Decimal
    max_daily_loss_pct: Decimal
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None

    def __post_init__(self) -> None:
        bounded_int(self.max_positions, "max positions", 1, MAX_POSITIONS_LIMIT)
        object.__setattr__(
            self,
            "max_position_size_pct",
            percentage(self.max_position_size_pct, "max position size"),
        )
        object.__setattr__(
            self, "max_daily_loss_pct", percentage(self.max_daily_loss_pct, "max daily loss")
        )
        if self.stop_loss_pct is not None:
            stop = percentage(self.stop_loss_pct, "stop-loss")
            if stop >= 100:
                raise InvalidValueError(f"stop-loss must be below 100 %, got {stop} %")
            object.__setattr__(self, "stop_loss_pct", stop)
        if self.take_profit_pct is not None:
            object.__setattr__(
                self,
                "take_profit_pct",
                percentage(self.take_profit_pct, "take-profit", maximum=Decimal(10_000)),
            )

    def canonical(self) -> dict[str, Any]:
        """Return a JSON-ready form whose text does not depend on how numbers were written."""
        return {
            "max_positions": self.max_positions,
            "max_position_size_pct": plain(self.max_position_size_pct),
            "max_daily_loss_pct": plain(self.max_daily_loss_pct),
            "stop_loss_pct": None if self.stop_loss_pct is None else plain(self.stop_loss_pct),
            "take_profit_pct": (
                None if self.take_profit_pct is None else plain(self.take_profit_pct)
            ),
        }


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """A strategy's risk settings: the session limits plus the evidence the go-live gate wants."""

    controls: RiskControls
    require_backtest_sharpe: Decimal = Decimal("1.0")
    require_paper_trading_days: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "require_backtest_sharpe",
            to_decimal(self.require_backtest_sharpe, "required backtest Sharpe ratio"),
        )
        bounded_int(self.require_paper_trading_days, "required paper-trading days", 0, 365)

    def canonical(self) -> dict[str, Any]:
        """Return a JSON-ready form for hashing."""
        return {
            **self.controls.canonical(),
            "require_backtest_sharpe": plain(self.require_backtest_sharpe),
            "require_paper_trading_days": self.require_paper_trading_days,
        }


def normalize_rule(rule: str) -> str:
    """Return *rule* with runs of white space collapsed; the formula language ignores them."""
    return " ".join(rule.split())


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named pair of entry and exit formulas with sizing and risk settings.

    A strategy is immutable: editing it produces a new value with a new ``rules_hash``, and
    evidence (backtests, paper days) recorded under the old hash no longer counts.
    """

    id: str
    name: str
    symbols: tuple[str, ...]
    exchange: str
    entry_rule: str
    exit_rule: str
    risk_config: RiskConfig
    position_pct: Decimal
    created_at: datetime
    updated_at: datetime
    _hash: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", text(self.id, "strategy id", max_length=64))
        object.__setattr__(self, "name", text(self.name, "strategy name"))
        symbols = tuple(symbol_code(s) for s in self.symbols)
        if not symbols:
            raise InvalidValueError(f"strategy {self.name!r} needs at least one symbol")
        if len(set(symbols)) != len(symbols):
            raise InvalidValueError(f"strategy {self.name!r} lists a symbol twice: {symbols}")
        object.__setattr__(self, "symbols", symbols)
        object.__setattr__(self, "exchange", symbol_code(self.exchange, "exchange code"))
        for label in ("entry_rule", "exit_rule"):
            rule = text(getattr(self, label), label.replace("_", " "), max_length=MAX_RULE_LENGTH)
            object.__setattr__(self, label, rule)
        object.__setattr__(
            self, "position_pct", percentage(self.position_pct, "position size per entry")
        )
        aware(self.created_at, "strategy creation time")
        aware(self.updated_at, "strategy update time")
        object.__setattr__(self, "_hash", self._compute_hash())

    @property
    def rules_hash(self) -> str:
        """Return a stable SHA-256 of the rules, sizing and risk settings (not of the name)."""
        return self._hash

    def _compute_hash(self) -> str:
        payload = {
            "scheme": RULES_HASH_SCHEME,
            "exchange": self.exchange,
            "entry_rule": normalize_rule(self.entry_rule),
            "exit_rule": normalize_rule(self.exit_rule),
            "position_pct": plain(self.position_pct),
            "risk": self.risk_config.canonical(),
        }
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()

    def revised(self, at: datetime, **changes: Any) -> Strategy:
        """Return a copy with *changes* applied and ``updated_at`` set to *at*."""
        return replace(self, updated_at=at, **changes)
