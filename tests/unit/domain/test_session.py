from datetime import timedelta

import pytest

from livetrader_gui.domain import (
    IllegalTransitionError,
    InvalidValueError,
    SessionStatus,
    TradingState,
)
from tests.builders import T0, session, strategy

LATER = T0 + timedelta(minutes=5)


def test_a_session_runs_pauses_resumes_and_stops() -> None:
    live = session()
    live.start(T0)
    assert live.status is SessionStatus.RUNNING
    assert live.started_at == T0
    live.pause("broker disconnected", LATER)
    assert (live.status, live.status_reason) == (SessionStatus.PAUSED, "broker disconnected")
    live.resume(LATER)
    live.stop("trader", LATER)
    assert live.status is SessionStatus.STOPPED
    assert live.stopped_at == LATER
    assert not live.status.is_active


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (["resume"], "not paused"),
        (["start", "start"], "use resume"),
        (["start", "stop", "pause"], "STOPPED to PAUSED"),
        (["pause"], "CREATED to PAUSED"),
        (["fail", "resume"], "ERROR to RUNNING"),
        (["start", "fail", "pause"], "use recover"),
        (["start", "recover"], "not in error"),
    ],
)
def test_illegal_session_transitions_raise(steps: list[str], message: str) -> None:
    live = session()
    actions = {
        "start": lambda: live.start(T0),
        "stop": lambda: live.stop("trader", T0),
        "pause": lambda: live.pause("trader", T0),
        "resume": lambda: live.resume(T0),
        "fail": lambda: live.fail("broker refused login", T0),
        "recover": lambda: live.recover("history put right", T0),
    }
    *setup, last = steps
    for step in setup:
        actions[step]()
    with pytest.raises(IllegalTransitionError, match=message):
        actions[last]()


def test_an_errored_session_is_recovered_paused_by_the_trader() -> None:
    live = session()
    live.start(T0)
    live.fail("its history cannot be restored", T0)

    live.recover("recovered: 1 fill left out", LATER)

    assert (live.status, live.status_reason) == (SessionStatus.PAUSED, "recovered: 1 fill left out")
    live.resume(LATER)
    assert live.status is SessionStatus.RUNNING


def test_an_errored_session_can_be_stopped() -> None:
    live = session()
    live.start(T0)
    live.fail("gateway crashed", T0)
    live.stop("acknowledged", T0)
    assert live.status is SessionStatus.STOPPED


def test_trading_state_goes_reducing_and_back_but_a_halt_only_lifts_to_active() -> None:
    live = session()
    live.reduce_only(T0)
    assert live.trading_state is TradingState.REDUCING
    live.reactivate(T0)
    live.halt(T0)
    with pytest.raises(IllegalTransitionError, match="HALTED to REDUCING"):
        live.reduce_only(T0)
    live.reactivate(T0)
    assert live.trading_state is TradingState.ACTIVE


def test_reducing_twice_is_an_illegal_transition() -> None:
    live = session()
    live.reduce_only(T0)
    with pytest.raises(IllegalTransitionError):
        live.reduce_only(T0)


def test_a_session_needs_distinct_symbols_and_keeps_the_strategy_hash() -> None:
    with pytest.raises(InvalidValueError, match="at least one symbol"):
        session(symbols=())
    with pytest.raises(InvalidValueError, match="twice"):
        session(symbols=("A", "A"))
    assert session().rules_hash == strategy().rules_hash
