from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    InvalidValueError,
    PreRequisiteCheck,
    PrerequisiteItem,
    PrerequisiteKind,
)
from tests.builders import T0


def check(failing: set[PrerequisiteKind] = frozenset()) -> PreRequisiteCheck:  # type: ignore[assignment]
    items = tuple(
        PrerequisiteItem(kind, kind not in failing, f"{kind.label}: evidence")
        for kind in PrerequisiteKind
    )
    return PreRequisiteCheck("strat-1", "h", items, T0, backtest_sharpe=Decimal("1.34"))


def test_all_passed_only_when_every_check_passed() -> None:
    assert check().all_passed
    assert check().failed_checks == ()
    failed = check({PrerequisiteKind.PAPER_TRADING})
    assert not failed.all_passed
    assert [i.kind for i in failed.failed_checks] == [PrerequisiteKind.PAPER_TRADING]


@pytest.mark.parametrize("kind", list(PrerequisiteKind))
def test_each_seed_flag_reads_its_own_check(kind: PrerequisiteKind) -> None:
    failed = check({kind})
    flags = {
        PrerequisiteKind.BACKTEST: failed.backtest_passed,
        PrerequisiteKind.PAPER_TRADING: failed.paper_trading_passed,
        PrerequisiteKind.RISK_PARAMETERS: failed.risk_parameters_set,
        PrerequisiteKind.BROKER_CONNECTED: failed.broker_connected,
        PrerequisiteKind.ACCOUNT_VERIFIED: failed.account_verified,
    }
    assert [k for k, passed in flags.items() if not passed] == [kind]


def test_a_check_missing_a_kind_cannot_pass_by_omission() -> None:
    items = tuple(PrerequisiteItem(k, True, "ok") for k in list(PrerequisiteKind)[:-1])
    with pytest.raises(InvalidValueError, match="exactly one result for each"):
        PreRequisiteCheck("s", "h", items, T0)


def test_a_check_listing_a_kind_twice_is_refused() -> None:
    items = tuple(PrerequisiteItem(k, True, "ok") for k in PrerequisiteKind)
    with pytest.raises(InvalidValueError, match="exactly one result"):
        PreRequisiteCheck("s", "h", (*items, items[0]), T0)


def test_every_check_carries_evidence_and_a_label() -> None:
    with pytest.raises(InvalidValueError, match="evidence must not be empty"):
        PrerequisiteItem(PrerequisiteKind.BACKTEST, True, "")
    assert PrerequisiteKind.BACKTEST.label == "Backtest Sharpe ratio"
