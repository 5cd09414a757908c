"""Brokerage accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.values import non_negative, symbol_code, text, to_decimal


class AccountStatus(Enum):
    """What the broker says about the account as a whole."""

    ACTIVE = "ACTIVE"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Account:
    """A broker account as the broker reports it."""

    account_id: str
    currency: str
    cash: Decimal
    buying_power: Decimal
    equity: Decimal
    status: AccountStatus = AccountStatus.ACTIVE
    trading_blocked: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "account_id", text(self.account_id, "account id", max_length=64))
        object.__setattr__(self, "currency", symbol_code(self.currency, "currency").upper())
        # Cash may be negative on margin accounts; buying power never is.
        object.__setattr__(self, "cash", to_decimal(self.cash, "cash"))
        object.__setattr__(self, "buying_power", non_negative(self.buying_power, "buying power"))
        object.__setattr__(self, "equity", to_decimal(self.equity, "equity"))

    def verification_problems(self) -> tuple[str, ...]:
        """Return why this account may not trade live; empty when it may."""
        problems: list[str] = []
        if self.status is not AccountStatus.ACTIVE:
            problems.append(f"account {self.account_id} is {self.status.value.lower()}")
        if self.trading_blocked:
            problems.append(f"trading is blocked on account {self.account_id}")
        if self.buying_power <= 0:
            problems.append(f"account {self.account_id} has no buying power")
        return tuple(problems)
