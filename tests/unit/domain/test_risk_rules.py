"""The risk rules: every limit at, just inside and just outside its boundary.

These tests are the mutation test's oracle (``make mutation``): each comparison, each reason and
each message must be pinned by at least one assertion here.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from livetrader_gui.domain import (
    RiskControls,
    SessionStatus,
    SignalReason,
    TradeDirection,
    TradingState,
)
from livetrader_gui.domain.risk_rules import (
    EntryProposal,
    ProtectiveExit,
    RiskDecision,
    RiskReason,
    check_entry,
    check_exit,
    check_order_permitted,
    daily_loss_limit,
    is_daily_limit_reached,
    next_trading_state,
    position_size_pct,
    protective_exit,
    protective_fill_price,
    stop_loss_level,
    take_profit_level,
)

CONTROLS = RiskControls(
    max_positions=3, max_position_size_pct=Decimal(10), max_daily_loss_pct=Decimal(2)
)
# 10 units at 90,000 on 10,000,000 of equity: a 9 % position.
PROPOSAL = EntryProposal(
    open_positions=2,
    quantity=Decimal(10),
    price=Decimal(90_000),
    equity=Decimal(10_000_000),
    daily_pnl=Decimal(-100_000),
    start_of_day_equity=Decimal(10_000_000),
    within_trading_hours=True,
    trading_state=TradingState.ACTIVE,
)


def entry(**changes: object) -> RiskDecision:
    return check_entry(CONTROLS, replace(PROPOSAL, **changes))  # type: ignore[arg-type]


def test_an_entry_within_every_limit_is_approved_with_no_reasons() -> None:
    decision = entry()

    assert decision.approved
    assert decision.reasons == ()
    assert decision.codes == ()
    assert decision.summary == "approved"


def test_an_entry_is_refused_when_the_open_positions_reach_the_maximum() -> None:
    decision = entry(open_positions=3)

    assert not decision.approved
    assert decision.codes == ("max_positions",)
    assert decision.summary == "max positions 3/3"


def test_an_entry_is_allowed_with_one_position_slot_left() -> None:
    assert entry(open_positions=2).approved


def test_an_entry_is_refused_above_the_maximum_too() -> None:
    assert entry(open_positions=4).codes == ("max_positions",)


def test_a_position_of_exactly_the_size_limit_is_allowed() -> None:
    # 10 × 100,000 = 1,000,000 = 10 % of equity.
    assert entry(price=Decimal(100_000)).approved


def test_a_position_just_above_the_size_limit_is_refused() -> None:
    decision = entry(price=Decimal("100000.01"))

    assert decision.codes == ("position_size",)
    assert decision.explanations == ("position size 10.00 % > limit 10 %",)


def test_an_entry_sized_below_one_lot_is_refused() -> None:
    assert entry(quantity=Decimal(0)).codes == ("below_one_lot",)
    assert entry(quantity=Decimal(-1)).codes == ("below_one_lot",)


def test_an_entry_of_one_unit_is_not_below_one_lot() -> None:
    assert entry(quantity=Decimal(1)).approved


def test_an_entry_on_an_account_without_equity_is_refused_without_dividing_by_zero() -> None:
    decision = entry(equity=Decimal(0))

    assert decision.codes == ("no_equity",)
    assert decision.explanations == ("portfolio equity is 0",)
    assert entry(equity=Decimal(-5)).codes == ("no_equity",)


def test_any_positive_equity_is_measured_against_the_size_limit() -> None:
    assert entry(equity=Decimal(1)).codes == ("position_size",)


def test_an_entry_is_refused_once_the_daily_loss_reaches_its_limit() -> None:
    # The limit is 2 % of 10,000,000: a loss of 200,000.
    decision = entry(daily_pnl=Decimal(-200_000))

    assert decision.codes == ("daily_loss",)
    assert decision.explanations == (
        "daily loss limit reached: P&L -200000 against a limit of -200000",
    )


def test_an_entry_is_allowed_a_cent_before_the_daily_loss_limit() -> None:
    assert entry(daily_pnl=Decimal("-199999.99")).approved


def test_an_entry_is_refused_while_the_session_is_reducing_even_after_a_recovery() -> None:
    decision = entry(trading_state=TradingState.REDUCING, daily_pnl=Decimal(50_000))

    assert decision.codes == ("daily_loss",)


def test_an_entry_is_refused_while_trading_is_halted() -> None:
    decision = entry(trading_state=TradingState.HALTED)

    assert decision.codes == ("halted",)
    assert decision.summary == "trading is halted"


def test_an_entry_is_refused_outside_the_regular_session() -> None:
    decision = entry(within_trading_hours=False)

    assert decision.codes == ("outside_trading_hours",)
    assert decision.summary == "the market is not in its regular session"


def test_a_refusal_names_every_rule_broken_in_a_fixed_order() -> None:
    decision = entry(
        trading_state=TradingState.HALTED,
        within_trading_hours=False,
        open_positions=3,
        quantity=Decimal(0),
        equity=Decimal(0),
        start_of_day_equity=Decimal(0),
    )

    assert decision.reasons == (
        RiskReason.HALTED,
        RiskReason.OUTSIDE_TRADING_HOURS,
        RiskReason.MAX_POSITIONS,
        RiskReason.BELOW_ONE_LOT,
        RiskReason.NO_EQUITY,
        RiskReason.DAILY_LOSS,
    )
    assert decision.summary == (
        "trading is halted; the market is not in its regular session; max positions 3/3; "
        "the position budget buys less than one lot; portfolio equity is 0; "
        "daily loss limit reached: P&L -100000 against a limit of -0"
    )


def test_the_daily_loss_limit_is_the_percentage_of_start_of_day_equity() -> None:
    assert daily_loss_limit(Decimal(10_000_000), Decimal("2.5")) == Decimal(250_000)


def test_the_daily_limit_is_reached_at_the_limit_and_beyond() -> None:
    equity, pct = Decimal(1_000_000), Decimal(2)

    assert is_daily_limit_reached(Decimal(-20_000), equity, pct)
    assert is_daily_limit_reached(Decimal(-20_001), equity, pct)
    assert not is_daily_limit_reached(Decimal("-19999.99"), equity, pct)
    assert not is_daily_limit_reached(Decimal(5_000), equity, pct)


def test_the_daily_limit_counts_as_reached_on_an_account_that_started_the_day_empty() -> None:
    assert is_daily_limit_reached(Decimal(0), Decimal(0), Decimal(2))
    assert is_daily_limit_reached(Decimal(0), Decimal(-1), Decimal(2))
    assert is_daily_limit_reached(Decimal(5), Decimal(0), Decimal(2))
    assert not is_daily_limit_reached(Decimal(0), Decimal("0.01"), Decimal(2))


def test_position_size_is_value_over_equity_in_percent() -> None:
    assert position_size_pct(Decimal(250), Decimal(1_000)) == Decimal(25)


@pytest.mark.parametrize("state", [TradingState.ACTIVE, TradingState.REDUCING])
def test_an_exit_is_allowed_in_session_unless_halted(state: TradingState) -> None:
    decision = check_exit(state, within_trading_hours=True)

    assert decision.approved
    assert decision.explanations == ()


def test_an_exit_is_refused_while_halted_and_outside_the_session() -> None:
    decision = check_exit(TradingState.HALTED, within_trading_hours=False)

    assert decision.reasons == (RiskReason.HALTED, RiskReason.OUTSIDE_TRADING_HOURS)
    assert decision.explanations == (
        "trading is halted",
        "the market is not in its regular session",
    )


def test_an_exit_is_refused_outside_the_session_alone() -> None:
    assert check_exit(TradingState.ACTIVE, within_trading_hours=False).codes == (
        "outside_trading_hours",
    )


def test_reaching_the_daily_limit_turns_an_active_session_to_reducing() -> None:
    assert (
        next_trading_state(TradingState.ACTIVE, limit_reached=True, new_trading_day=False)
        is TradingState.REDUCING
    )


def test_an_active_session_within_its_limit_stays_active() -> None:
    assert (
        next_trading_state(TradingState.ACTIVE, limit_reached=False, new_trading_day=False)
        is TradingState.ACTIVE
    )


def test_a_recovery_within_the_day_does_not_lift_reducing() -> None:
    assert (
        next_trading_state(TradingState.REDUCING, limit_reached=False, new_trading_day=False)
        is TradingState.REDUCING
    )


def test_the_next_trading_day_lifts_reducing() -> None:
    assert (
        next_trading_state(TradingState.REDUCING, limit_reached=False, new_trading_day=True)
        is TradingState.ACTIVE
    )


def test_a_new_day_that_starts_beyond_the_limit_stays_reducing() -> None:
    assert (
        next_trading_state(TradingState.REDUCING, limit_reached=True, new_trading_day=True)
        is TradingState.REDUCING
    )


@pytest.mark.parametrize("reached", [True, False])
@pytest.mark.parametrize("new_day", [True, False])
def test_only_a_deliberate_re_arm_lifts_a_halt(reached: bool, new_day: bool) -> None:
    assert (
        next_trading_state(TradingState.HALTED, limit_reached=reached, new_trading_day=new_day)
        is TradingState.HALTED
    )


BUY, SELL = TradeDirection.BUY, TradeDirection.SELL
RUNNING, PAUSED = SessionStatus.RUNNING, SessionStatus.PAUSED


@pytest.mark.parametrize("direction", [BUY, SELL])
def test_a_running_active_session_may_send_entries_and_exits(direction: TradeDirection) -> None:
    decision = check_order_permitted(RUNNING, TradingState.ACTIVE, direction)

    assert decision.approved
    assert decision.summary == "approved"


@pytest.mark.parametrize("status", [PAUSED, SessionStatus.CREATED, SessionStatus.STOPPED])
def test_a_session_that_is_not_running_sends_nothing(status: SessionStatus) -> None:
    decision = check_order_permitted(status, TradingState.ACTIVE, SELL)

    assert decision.codes == ("session_not_running",)
    assert decision.summary == f"the session is {status.value.lower()}, not running"


def test_a_reducing_session_sends_exits_but_no_entries() -> None:
    assert check_order_permitted(RUNNING, TradingState.REDUCING, SELL).approved

    decision = check_order_permitted(RUNNING, TradingState.REDUCING, BUY)

    assert decision.codes == ("exits_only",)
    assert decision.summary == "the session only closes positions today (exits only)"


@pytest.mark.parametrize("direction", [BUY, SELL])
def test_a_halted_session_sends_nothing(direction: TradeDirection) -> None:
    decision = check_order_permitted(RUNNING, TradingState.HALTED, direction)

    assert decision.codes == ("halted",)
    assert decision.summary == "trading is halted"


def test_a_paused_and_halted_session_names_both_reasons() -> None:
    decision = check_order_permitted(PAUSED, TradingState.HALTED, SELL)

    assert decision.codes == ("session_not_running", "halted")


@pytest.mark.parametrize("status", [RUNNING, PAUSED])
def test_the_kill_switch_flattens_whatever_the_state(status: SessionStatus) -> None:
    decision = check_order_permitted(status, TradingState.HALTED, SELL, flattening=True)

    assert decision.approved
    assert (decision.codes, decision.explanations) == ((), ())


def test_flattening_never_buys() -> None:
    decision = check_order_permitted(RUNNING, TradingState.HALTED, BUY, flattening=True)

    assert decision.codes == ("halted",)


# ---------------------------------------------------------------------------- protective exits

PROTECTED = RiskControls(
    max_positions=3,
    max_position_size_pct=Decimal(10),
    max_daily_loss_pct=Decimal(2),
    stop_loss_pct=Decimal(3),
    take_profit_pct=Decimal(6),
)
ENTRY = Decimal(10_000)  # stop at 9,700, target at 10,600


def exit_at(low: int, high: int, controls: RiskControls = PROTECTED) -> ProtectiveExit | None:
    return protective_exit(controls, ENTRY, Decimal(low), Decimal(high))


def test_the_stop_and_target_levels_are_percentages_of_the_entry_price() -> None:
    assert stop_loss_level(ENTRY, Decimal(3)) == Decimal(9_700)
    assert take_profit_level(ENTRY, Decimal(6)) == Decimal(10_600)
    assert stop_loss_level(ENTRY, None) is None
    assert take_profit_level(ENTRY, None) is None


def test_a_price_at_the_stop_triggers_it_and_one_just_above_does_not() -> None:
    assert exit_at(9_700, 9_700) == ProtectiveExit(SignalReason.STOP_LOSS, Decimal(9_700))
    assert exit_at(9_701, 9_701) is None


def test_a_price_at_the_target_triggers_it_and_one_just_below_does_not() -> None:
    assert exit_at(10_600, 10_600) == ProtectiveExit(SignalReason.TAKE_PROFIT, Decimal(10_600))
    assert exit_at(10_599, 10_599) is None


def test_a_candle_that_reaches_both_is_taken_as_stopped_out() -> None:
    assert exit_at(9_600, 10_700) == ProtectiveExit(SignalReason.STOP_LOSS, Decimal(9_700))


def test_a_candle_range_triggers_by_its_low_and_its_high() -> None:
    assert exit_at(9_650, 10_000) == ProtectiveExit(SignalReason.STOP_LOSS, Decimal(9_700))
    assert exit_at(10_000, 10_650) == ProtectiveExit(SignalReason.TAKE_PROFIT, Decimal(10_600))


def test_without_levels_nothing_triggers() -> None:
    bare = replace(PROTECTED, stop_loss_pct=None, take_profit_pct=None)

    assert exit_at(1, 1_000_000, bare) is None


def test_a_resting_exit_fills_at_its_level_or_at_an_opening_beyond_it() -> None:
    stop = ProtectiveExit(SignalReason.STOP_LOSS, Decimal(9_700))
    target = ProtectiveExit(SignalReason.TAKE_PROFIT, Decimal(10_600))

    assert protective_fill_price(stop, Decimal(9_800)) == Decimal(9_700)
    assert protective_fill_price(stop, Decimal(9_500)) == Decimal(9_500)  # gapped down through it
    assert protective_fill_price(target, Decimal(10_500)) == Decimal(10_600)
    assert protective_fill_price(target, Decimal(10_900)) == Decimal(10_900)  # gapped up
