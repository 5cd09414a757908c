"""The go-live gate: the evidence a strategy must show before it may trade real money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import aware, text


class PrerequisiteKind(Enum):
    """The five checks of the seed, in the order the wizard shows them."""

    BACKTEST = "backtest"
    PAPER_TRADING = "paper_trading"
    RISK_PARAMETERS = "risk_parameters"
    BROKER_CONNECTED = "broker_connected"
    ACCOUNT_VERIFIED = "account_verified"

    @property
    def label(self) -> str:
        """Return the name shown to the trader."""
        return _LABELS[self]


_LABELS = {
    PrerequisiteKind.BACKTEST: "Backtest Sharpe ratio",
    PrerequisiteKind.PAPER_TRADING: "Paper-trading days",
    PrerequisiteKind.RISK_PARAMETERS: "Risk parameters",
    PrerequisiteKind.BROKER_CONNECTED: "Broker connected",
    PrerequisiteKind.ACCOUNT_VERIFIED: "Account verified",
}


@dataclass(frozen=True, slots=True)
class PrerequisiteItem:
    """One check with the evidence behind its verdict ("Sharpe 1.34 ≥ 1.00")."""

    kind: PrerequisiteKind
    passed: bool
    evidence: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", text(self.evidence, "evidence", max_length=500))


@dataclass(frozen=True, slots=True)
class PreRequisiteCheck:
    """The outcome of ``check_prerequisites`` for one strategy version.

    Exactly one item per kind: a check that was not run cannot pass by omission.
    """

    strategy_id: str
    rules_hash: str
    items: tuple[PrerequisiteItem, ...]
    checked_at: datetime
    backtest_sharpe: Decimal | None = None
    paper_trading_days: int = 0

    def __post_init__(self) -> None:
        aware(self.checked_at, "prerequisite check time")
        kinds = [item.kind for item in self.items]
        if sorted(kinds, key=lambda k: k.value) != sorted(PrerequisiteKind, key=lambda k: k.value):
            raise InvalidValueError(
                "a prerequisite check needs exactly one result for each of: "
                + ", ".join(k.label for k in PrerequisiteKind)
            )

    def item(self, kind: PrerequisiteKind) -> PrerequisiteItem:
        """Return the result of one check."""
        return next(i for i in self.items if i.kind is kind)

    @property
    def all_passed(self) -> bool:
        """Tell whether every check passed."""
        return all(item.passed for item in self.items)

    @property
    def failed_checks(self) -> tuple[PrerequisiteItem, ...]:
        """Return the checks that failed, with their evidence."""
        return tuple(item for item in self.items if not item.passed)

    @property
    def backtest_passed(self) -> bool:
        """Tell whether the backtest check passed."""
        return self.item(PrerequisiteKind.BACKTEST).passed

    @property
    def paper_trading_passed(self) -> bool:
        """Tell whether the paper-trading check passed."""
        return self.item(PrerequisiteKind.PAPER_TRADING).passed

    @property
    def risk_parameters_set(self) -> bool:
        """Tell whether the risk-parameters check passed."""
        return self.item(PrerequisiteKind.RISK_PARAMETERS).passed

    @property
    def broker_connected(self) -> bool:
        """Tell whether the broker check passed."""
        return self.item(PrerequisiteKind.BROKER_CONNECTED).passed

    @property
    def account_verified(self) -> bool:
        """Tell whether the account check passed."""
        return self.item(PrerequisiteKind.ACCOUNT_VERIFIED).passed
