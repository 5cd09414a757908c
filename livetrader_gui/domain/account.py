"""Brokerage accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.errors import InvalidValueError
from livetrader_gui.domain.values import non_negative, symbol_code, text, to_decimal


class AccountStatus(Enum):
    """What the broker says about the account as a whole."""

    ACTIVE = "ACTIVE"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Balance:
    """What an account holds of one currency or coin: free to use, and locked in open orders."""

    currency: str
    free: Decimal
    locked: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", symbol_code(self.currency, "currency").upper())
        object.__setattr__(self, "free", non_negative(self.free, f"{self.currency} free"))
        object.__setattr__(self, "locked", non_negative(self.locked, f"{self.currency} locked"))

    @property
    def total(self) -> Decimal:
        """Return free and locked together."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class Account:
    """A broker account as the broker reports it.

    ``cash``, ``buying_power`` and ``equity`` are in ``currency``, the account's own; a crypto
    account also holds coins, each a ``Balance`` (KRW and BTC on Upbit, USDT and BTC on Binance).
    """

    account_id: str
    currency: str
    cash: Decimal
    buying_power: Decimal
    equity: Decimal
    status: AccountStatus = AccountStatus.ACTIVE
    trading_blocked: bool = False
    balances: tuple[Balance, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "account_id", text(self.account_id, "account id", max_length=64))
        object.__setattr__(self, "currency", symbol_code(self.currency, "currency").upper())
        # Cash may be negative on margin accounts; buying power never is.
        object.__setattr__(self, "cash", to_decimal(self.cash, "cash"))
        object.__setattr__(self, "buying_power", non_negative(self.buying_power, "buying power"))
        object.__setattr__(self, "equity", to_decimal(self.equity, "equity"))
        balances = tuple(self.balances)
        currencies = [b.currency for b in balances]
        if len(set(currencies)) != len(currencies):
            repeated = sorted({c for c in currencies if currencies.count(c) > 1})
            raise InvalidValueError(
                f"account {self.account_id} lists {', '.join(repeated)} more than once"
            )
        object.__setattr__(self, "balances", balances)

    def balance(self, currency: str) -> Balance:
        """Return what the account holds of *currency* (nothing when it holds none)."""
        code = currency.upper()
        return next((b for b in self.balances if b.currency == code), Balance(code, Decimal(0)))

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
