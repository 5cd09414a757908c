"""Trading signals: what a rule asked for, and what became of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from livetrader_gui.domain.errors import IllegalTransitionError, InvalidValueError
from livetrader_gui.domain.orders import TradeDirection
from livetrader_gui.domain.values import aware, non_negative, positive, symbol_code, text


class SignalReason(Enum):
    """Which rule produced the signal."""

    ENTRY_RULE = "ENTRY_RULE"
    EXIT_RULE = "EXIT_RULE"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"
    FLATTEN = "FLATTEN"


class SignalStatus(Enum):
    """PENDING until executed, dismissed, expired, or refused by a risk re-check."""

    PENDING = "PENDING"
    EXECUTED = "EXECUTED"
    DISMISSED = "DISMISSED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


@dataclass(eq=False, slots=True)
class TradingSignal:
    """A request, produced by a rule, to trade ``quantity`` of ``symbol`` near ``price``."""

    session_id: str
    symbol: str
    direction: TradeDirection
    price: Decimal
    quantity: Decimal
    reason: SignalReason
    created_at: datetime
    expires_at: datetime | None = None
    id: str = ""
    status: SignalStatus = SignalStatus.PENDING
    status_detail: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = f"SIG-{uuid.uuid4().hex}"
        self.symbol = symbol_code(self.symbol)
        self.price = positive(self.price, f"{self.symbol} signal price")
        # Zero when the budget buys less than one lot: the signal is kept, refused, to say why.
        self.quantity = non_negative(self.quantity, f"{self.symbol} signal quantity")
        aware(self.created_at, "signal time")
        if (
            self.expires_at is not None
            and aware(self.expires_at, "signal expiry") <= self.created_at
        ):
            raise InvalidValueError("a signal must expire after it is created")

    def is_expired(self, now: datetime) -> bool:
        """Tell whether the signal may no longer be executed at *now*."""
        return self.expires_at is not None and now >= self.expires_at

    def _close(self, target: SignalStatus, detail: str) -> None:
        if self.status is not SignalStatus.PENDING:
            raise IllegalTransitionError(f"signal {self.id}", self.status.value, target.value)
        self.status = target
        self.status_detail = detail

    def mark_executed(self, client_order_id: str) -> None:
        """Record the order the signal became."""
        self._close(SignalStatus.EXECUTED, text(client_order_id, "client order id", max_length=64))

    def dismiss(self, by: str = "trader") -> None:
        """Record that the trader let it go."""
        self._close(SignalStatus.DISMISSED, f"dismissed by {by}")

    def expire(self) -> None:
        """Record that it lapsed."""
        self._close(SignalStatus.EXPIRED, "expired")

    def reject(self, why: str) -> None:
        """Record that a risk re-check refused it."""
        self._close(SignalStatus.REJECTED, text(why, "rejection reason", max_length=500))
