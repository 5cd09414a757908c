from decimal import Decimal

import pytest

from livetrader_gui.domain import Account, AccountStatus, InvalidValueError


def account(**overrides: object) -> Account:
    values: dict[str, object] = {
        "account_id": "SIM-1",
        "currency": "krw",
        "cash": Decimal(1_000),
        "buying_power": Decimal(1_000),
        "equity": Decimal(1_000),
    }
    values.update(overrides)
    return Account(**values)  # type: ignore[arg-type]


def test_an_active_funded_account_has_no_verification_problems() -> None:
    assert account().verification_problems() == ()
    assert account().currency == "KRW"


def test_every_reason_an_account_may_not_trade_is_listed() -> None:
    problems = account(
        status=AccountStatus.SUSPENDED, trading_blocked=True, buying_power=Decimal(0)
    ).verification_problems()
    assert problems == (
        "account SIM-1 is suspended",
        "trading is blocked on account SIM-1",
        "account SIM-1 has no buying power",
    )


def test_negative_buying_power_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="buying power must not be negative"):
        account(buying_power=Decimal(-1))
