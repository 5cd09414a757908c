from decimal import Decimal

import pytest

from livetrader_gui.domain import Account, AccountStatus, Balance, InvalidValueError


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


def test_an_account_holds_balances_in_several_currencies() -> None:
    account = Account(
        "U-1",
        "KRW",
        Decimal(1_000_000),
        Decimal(1_000_000),
        Decimal(3_000_000),
        balances=(
            Balance("krw", Decimal(1_000_000)),
            Balance("BTC", Decimal("0.01"), locked=Decimal("0.005")),
        ),
    )

    assert account.balance("btc").total == Decimal("0.015")
    assert account.balance("BTC").free == Decimal("0.01")
    assert account.balance("KRW").currency == "KRW"
    assert account.balance("ETH") == Balance("ETH", Decimal(0))


def test_a_currency_listed_twice_or_a_negative_balance_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="account U-1 lists BTC more than once"):
        Account(
            "U-1",
            "KRW",
            Decimal(0),
            Decimal(0),
            Decimal(0),
            balances=(Balance("BTC", Decimal(1)), Balance("btc", Decimal(2))),
        )
    with pytest.raises(InvalidValueError, match="BTC locked"):
        Balance("BTC", Decimal(1), locked=Decimal(-1))
