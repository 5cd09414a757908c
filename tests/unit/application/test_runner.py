"""The runner: rules to signals, the risk check, orders sent once, exits and the daily limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.exceptions import SignalNotFoundError
from livetrader_gui.application.live_trading.orders import OrderUpdate
from livetrader_gui.application.ports import BrokerError, BrokerOrderState, BrokerTimeoutError
from livetrader_gui.domain import (
    Account,
    AuditEntry,
    ClientOrderIds,
    ExecutionMode,
    OrderRequest,
    OrderStatus,
    Quote,
    SessionStatus,
    SignalReason,
    SignalStatus,
    TradingState,
)
from tests.runner_harness import Harness, trading_strategy

SAMSUNG, HYNIX = "005930", "000660"


async def harness(xkrx: ExchangeTradingCalendar, **kw: object) -> Harness:
    return await Harness(xkrx, **kw).started()  # type: ignore[arg-type]


async def test_an_entry_rule_that_fires_buys_once_in_auto_mode(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)

    await h.minute(s005930=110)

    assert len(h.broker.buys()) == 1
    order = next(iter(h.orders.orders.values()))
    assert order.status is OrderStatus.FILLED
    # 10 % of 10,000,000 at 110 is 9,090 shares.
    assert order.request.quantity == 9_090
    assert h.runner.book.held(SAMSUNG) == 9_090
    assert [e.kind for e in h.journal.kinds("signal", "risk_decision", "order", "fill")] == [
        "signal",
        "risk_decision",
        "order",
        "order",
        "fill",
    ]
    assert h.codes("risk_decision", "approved") == [True]


async def test_a_candle_decides_only_once_whatever_the_number_of_ticks(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)

    for _ in range(5):
        h.clock.advance(1)
        await h.runner.run_once()

    assert len(h.broker.buys()) == 1


async def test_the_order_is_saved_as_pending_submit_before_the_broker_hears_of_it(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    seen_when_placed: list[list[tuple[str, OrderStatus]]] = []
    place = h.broker.place_order

    async def spy(request: OrderRequest) -> BrokerOrderState:
        seen_when_placed.append(list(h.orders.saved))
        return await place(request)

    h.broker.place_order = spy  # type: ignore[method-assign]

    await h.minute(s005930=110)

    (saved_before,) = seen_when_placed
    assert [status for _, status in saved_before] == [OrderStatus.PENDING_SUBMIT]


async def test_a_lost_answer_is_resolved_by_asking_the_broker_never_by_sending_again(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.broker.lose_answers = 1

    await h.minute(s005930=110)

    assert len(h.broker.placed) == 1
    (order,) = h.orders.orders.values()
    assert order.status is OrderStatus.FILLED
    assert h.runner.book.held(SAMSUNG) == 9_090


async def test_an_order_the_broker_never_received_is_closed_and_not_resent(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    place = h.broker.place_order

    async def lost_on_the_way(request: OrderRequest) -> BrokerOrderState:
        raise BrokerTimeoutError("no answer")

    h.broker.place_order = lost_on_the_way  # type: ignore[method-assign]

    await h.minute(s005930=110)
    h.broker.place_order = place  # type: ignore[method-assign]
    await h.minute(s005930=105)  # no new signal: the average has caught up

    (order,) = h.orders.orders.values()
    assert order.status is OrderStatus.REJECTED
    assert "never received" in (order.reject_reason or "")
    assert h.broker.placed == []


async def test_a_rejected_order_is_reported_as_a_failed_order_and_leaves_no_position(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.broker.reject_with = "insufficient buying power"

    await h.minute(s005930=110)

    updates = h.observer.facts["on_order_updated"]
    assert updates[-1].status is OrderStatus.REJECTED  # type: ignore[attr-defined]
    assert h.runner.book.held(SAMSUNG) == 0
    assert any("insufficient buying power" in m for m in h.observer.logs())


async def test_max_positions_holds_when_two_symbols_fire_on_the_same_tick(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx, strategy=trading_strategy(max_positions=1))
    await h.warm_up(SAMSUNG, HYNIX)

    await h.minute(s005930=110, s000660=110)

    assert len(h.broker.buys()) == 1
    assert sorted(h.codes("risk_decision", "reasons")) == [(), ("max_positions",)]


async def test_max_positions_holds_when_storage_yields_between_the_check_and_the_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # A real database hands control back to the loop on every write: the other symbol's
    # check then runs between this one's check and its order, and must see the slot taken.
    h = await harness(xkrx, strategy=trading_strategy(max_positions=1))
    await h.warm_up(SAMSUNG, HYNIX)
    append = h.journal.append

    async def yielding_append(entry: AuditEntry) -> None:
        await asyncio.sleep(0)
        await append(entry)

    h.journal.append = yielding_append  # type: ignore[method-assign]

    await h.minute(s005930=110, s000660=110)

    assert len(h.broker.buys()) == 1
    assert sorted(h.codes("risk_decision", "reasons")) == [(), ("max_positions",)]
    assert h.runner.book.reserved == 0


async def test_a_position_larger_than_the_size_limit_is_never_sent(
    xkrx: ExchangeTradingCalendar,
) -> None:
    # Sizing caps at the limit, so only a cash budget beyond it could break it: the rule
    # itself is pinned in the risk-rule tests; here the runner passes the sized quantity on.
    h = await harness(xkrx, strategy=trading_strategy(max_position_size_pct=Decimal(5)))
    await h.warm_up(SAMSUNG)

    await h.minute(s005930=110)

    (order,) = h.orders.orders.values()
    assert order.request.quantity * 110 <= Decimal(500_000)


async def test_a_stop_loss_sells_the_position_on_the_quote(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx, strategy=trading_strategy(stop_loss_pct=Decimal(3)))
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)

    h.clock.advance(5)
    h.broker.set_price(SAMSUNG, 106)  # more than 3 % under 110
    await h.runner.run_once()

    assert h.runner.book.held(SAMSUNG) == 0
    reasons = [s.reason for s in h.signals.signals.values()]
    assert reasons == [SignalReason.ENTRY_RULE, SignalReason.STOP_LOSS]


async def test_a_take_profit_sells_the_position(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx, strategy=trading_strategy(take_profit_pct=Decimal(5)))
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)

    h.clock.advance(5)
    h.broker.set_price(SAMSUNG, 116)
    await h.runner.run_once()

    assert h.runner.book.held(SAMSUNG) == 0
    assert h.runner.book.realized_pnl == 9_090 * 6


async def test_the_exit_rule_sells_the_position(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)

    await h.minute(s005930=100)  # close < sma(close, 3)

    assert h.runner.book.held(SAMSUNG) == 0
    assert [s.reason for s in h.signals.signals.values()][-1] is SignalReason.EXIT_RULE


async def test_the_daily_loss_limit_turns_the_session_to_exits_only(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG, HYNIX)
    await h.minute(s005930=110, s000660=100)
    # 9,090 shares lose 30 each: 272,700, beyond 2 % of 10,000,000.
    await h.minute(s005930=80, s000660=100)

    assert h.session.trading_state is TradingState.REDUCING
    assert h.runner.get_risk_status().is_daily_limit_reached
    # The exit rule still sells Samsung (80 < its 3-candle average) ...
    assert h.runner.book.held(SAMSUNG) == 0
    # ... and an entry signal on Hynix is refused for the daily loss.
    await h.minute(s005930=80, s000660=120)
    assert h.codes("risk_decision", "reasons")[-1] == ("daily_loss",)
    assert h.runner.book.held(HYNIX) == 0
    assert any("daily loss limit reached" in m for m in h.observer.logs())


async def test_a_new_trading_day_lifts_reducing(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    await h.minute(s005930=80)
    assert h.session.trading_state is TradingState.REDUCING

    h.clock.advance(24 * 3600)  # Wednesday, 10:02 KST
    h.broker.set_price(SAMSUNG, 80)
    await h.runner.run_once()

    assert h.session.trading_state is TradingState.ACTIVE
    assert len(h.budgets.budgets) == 2


async def test_no_order_goes_out_after_the_close(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.clock.advance(6 * 3600)  # 16:03 KST: the regular session ended at 15:30

    await h.minute(s005930=110)

    assert h.broker.placed == []


async def test_a_manual_signal_waits_and_executing_it_places_exactly_one_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()
    assert h.broker.placed == []

    update = await h.runner.execute_signal(signal.id)

    assert update is not None
    assert update.order.status is OrderStatus.FILLED
    assert len(h.broker.placed) == 1
    assert signal.status is SignalStatus.EXECUTED
    with pytest.raises(SignalNotFoundError):
        await h.runner.execute_signal(signal.id)
    assert len(h.broker.placed) == 1


async def test_two_executes_of_one_signal_at_once_place_exactly_one_order(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()
    h.broker.suspends = True

    # A double click: the second execute starts while the first awaits the broker.
    first, second = await asyncio.gather(
        h.runner.execute_signal(signal.id),
        h.runner.execute_signal(signal.id),
        return_exceptions=True,
    )

    assert len(h.broker.placed) == 1
    assert isinstance(first, OrderUpdate)
    assert isinstance(second, SignalNotFoundError)
    assert signal.status is SignalStatus.EXECUTED


async def test_a_signal_whose_quote_could_not_be_read_waits_again_for_the_trader(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()
    h.broker.connected = False

    with pytest.raises(BrokerError):
        await h.runner.execute_signal(signal.id)

    assert h.runner.pending_signals() == [signal]
    assert signal.status is SignalStatus.PENDING
    h.broker.connected = True
    assert await h.runner.execute_signal(signal.id) is not None
    assert len(h.broker.placed) == 1


async def test_a_manual_signal_is_rechecked_on_execution(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()
    h.broker.cash = Decimal(0)  # the account emptied while the signal waited

    assert await h.runner.execute_signal(signal.id) is None

    assert signal.status is SignalStatus.REJECTED
    assert h.codes("risk_decision", "reasons")[-1] == ("no_equity",)
    assert h.broker.placed == []


async def test_halting_rejects_the_pending_manual_signals(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()

    await h.runner.halt("kill switch")

    assert signal.status is SignalStatus.REJECTED
    assert h.session.trading_state is TradingState.HALTED
    assert h.broker.placed == []


async def test_a_manual_signal_can_be_dismissed_or_expire(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG, HYNIX)
    await h.minute(s005930=110, s000660=110)
    first, second = h.runner.pending_signals()

    await h.runner.dismiss_signal(first.id)
    h.clock.advance(121)
    h.broker.set_price(SAMSUNG, 110)
    await h.runner.run_once()

    assert first.status is SignalStatus.DISMISSED
    assert second.status is SignalStatus.EXPIRED
    assert h.runner.pending_signals() == []
    assert h.broker.placed == []


async def test_a_failing_symbol_does_not_stop_the_others(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG, HYNIX)
    quote = h.broker.get_latest_quote

    async def broken(symbol: str) -> Quote | None:
        if symbol == HYNIX:
            raise RuntimeError("garbled answer")
        return await quote(symbol)

    h.broker.get_latest_quote = broken  # type: ignore[method-assign]

    await h.minute(s005930=110, s000660=110)

    assert h.runner.book.held(SAMSUNG) == 9_090
    assert any("000660: garbled answer" in m for m in h.observer.logs())


async def test_a_lost_connection_pauses_and_a_reconnect_resumes(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.broker.connected = False
    h.broker.refuse_connects = 1
    task = _run(h)
    await h.clock.settle(2)  # the runner's tick and the reconnect's backoff wait
    assert h.session.status is SessionStatus.PAUSED
    assert "reconnect failed: FAKE refused the connection; next try in 1 s" in h.observer.logs()

    h.clock.advance(1)  # the second try, after the first backoff, succeeds
    await _until(lambda: h.session.status is SessionStatus.RUNNING)

    assert "reconnected and reconciled; trading resumes" in h.observer.logs()
    await h.runner.stop()
    await task


async def test_quotes_that_go_stale_pause_the_session(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG, HYNIX)

    h.clock.advance(120)  # no quote for two minutes while the market is open
    await h.runner.run_once()

    assert h.session.status is SessionStatus.PAUSED
    assert "stale" in h.session.status_reason
    await h.runner.stop()


async def test_pause_and_stop_cut_the_wait_short(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    task = _run(h)
    await h.clock.settle()

    await h.runner.pause("paused by the trader")
    await h.clock.settle()
    assert h.session.status is SessionStatus.PAUSED
    await h.runner.stop()
    await task

    assert h.session.status is SessionStatus.STOPPED


def _run(h: Harness) -> asyncio.Task[None]:
    return asyncio.create_task(h.runner.run())


async def test_a_failing_tick_is_reported_and_the_next_tick_still_runs(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    account = h.broker.get_account
    calls = 0

    async def garbled_once() -> Account:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("garbled account answer")
        return await account()

    h.broker.get_account = garbled_once  # type: ignore[method-assign]
    task = _run(h)
    try:

        def reported() -> bool:
            return any("tick failed: garbled account" in m for m in h.observer.logs())

        await _until(lambda: reported() and h.clock.sleepers >= 1)  # parked until the next tick
        h.clock.advance(1)
        await _until(lambda: calls == 2)

        assert h.session.status is SessionStatus.RUNNING
    finally:
        await h.runner.stop()
        await task


async def _until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until *condition* holds (no time passes on any clock)."""
    for _ in range(1_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_orders_carry_client_order_ids_in_the_format_the_broker_asks_for(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    h.broker.order_ids = ClientOrderIds("Q", 24, "A-Za-z0-9")
    await h.warm_up(SAMSUNG)

    await h.minute(s005930=110)

    (order,) = h.orders.orders.values()
    assert order.client_order_id.startswith("Q")
    assert len(order.client_order_id) == 24
    assert h.broker.order_ids.problem(order.client_order_id) is None
    assert [r.client_order_id for r in h.broker.buys()] == [order.client_order_id]


async def test_a_rate_limited_broker_is_sent_nothing_for_the_time_it_asks_then_trading_goes_on(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.broker.rate_limited_until = h.clock.now() + timedelta(seconds=150)

    await h.minute(s005930=110)  # at +60 s: 429, retry after 90 s; says so, raises nothing
    calls = h.broker.calls
    await h.minute(s005930=110)  # at +120 s, inside the 90 s: asks nothing

    assert h.broker.calls == calls, "no request while the broker asked for quiet"
    (warning,) = [line for line in h.observer.logs() if "asks to slow down" in line]
    assert "no request to it for 90 s" in warning
    assert h.broker.buys() == []
    assert h.runner.session.status is SessionStatus.RUNNING, "a rate limit is not a failure"
    await h.minute(s005930=130)  # at +180 s: the rules see every candle, the last one rises

    assert "FAKE takes requests again" in h.observer.logs()
    assert len(h.broker.buys()) == 1, "the entry goes out once the broker takes requests"
