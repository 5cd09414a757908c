from datetime import timedelta
from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    IllegalTransitionError,
    InvalidValueError,
    SignalReason,
    SignalStatus,
    TradeDirection,
    TradingSignal,
)
from tests.builders import T0


def signal(**overrides: object) -> TradingSignal:
    values: dict[str, object] = {
        "session_id": "s",
        "symbol": "005930",
        "direction": TradeDirection.BUY,
        "price": Decimal(72_000),
        "quantity": Decimal(10),
        "reason": SignalReason.ENTRY_RULE,
        "created_at": T0,
        "expires_at": T0 + timedelta(seconds=30),
    }
    values.update(overrides)
    return TradingSignal(**values)  # type: ignore[arg-type]


def test_a_signal_expires_at_its_expiry_time() -> None:
    pending = signal()
    assert pending.id.startswith("SIG-")
    assert not pending.is_expired(T0 + timedelta(seconds=29))
    assert pending.is_expired(T0 + timedelta(seconds=30))
    assert not signal(expires_at=None).is_expired(T0 + timedelta(days=1))


def test_a_signal_is_closed_exactly_once() -> None:
    pending = signal()
    pending.mark_executed("LT-1")
    assert (pending.status, pending.status_detail) == (SignalStatus.EXECUTED, "LT-1")
    with pytest.raises(IllegalTransitionError, match="EXECUTED to DISMISSED"):
        pending.dismiss()


@pytest.mark.parametrize(
    ("close", "status"),
    [
        (lambda s: s.dismiss(), SignalStatus.DISMISSED),
        (lambda s: s.expire(), SignalStatus.EXPIRED),
        (lambda s: s.reject("max positions reached"), SignalStatus.REJECTED),
    ],
)
def test_a_pending_signal_can_be_dismissed_expired_or_rejected(close, status) -> None:  # type: ignore[no-untyped-def]
    pending = signal()
    close(pending)
    assert pending.status is status


def test_a_signal_must_expire_after_it_is_created_and_not_have_a_negative_quantity() -> None:
    with pytest.raises(InvalidValueError, match="expire after"):
        signal(expires_at=T0)
    with pytest.raises(InvalidValueError, match="signal quantity must not be negative"):
        signal(quantity=Decimal(-1))


def test_a_signal_may_size_to_zero_so_that_its_refusal_can_say_why() -> None:
    assert signal(quantity=Decimal(0)).quantity == 0
