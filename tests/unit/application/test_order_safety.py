"""Orders when things go wrong: storage that fails, brokers that answer oddly, fast clocks, and
commands given to a session that may not send (issue 18)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from livetrader_gui.adapters.brokers.simulated import SimulatedClock
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.live_trading.config import RunnerLimits
from livetrader_gui.application.live_trading.exceptions import OrderNotPermittedError
from livetrader_gui.application.live_trading.runner import LiveTradingRunner
from livetrader_gui.application.ports import BrokerOrderState
from livetrader_gui.domain import (
    ExecutionMode,
    Fill,
    OrderRequest,
    OrderStatus,
    SessionStatus,
    SignalStatus,
    TradeDirection,
    TradingState,
)
from livetrader_gui.processing import ProcessingEngine
from tests.runner_harness import Harness

SAMSUNG, HYNIX = "005930", "000660"
LOCKED = "the database /data/livetrader.db could not record (orders): database is locked"


async def harness(xkrx: ExchangeTradingCalendar, **kw: object) -> Harness:
    return await Harness(xkrx, **kw).started()  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- storage faults


async def bought_then_the_store_fails(h: Harness) -> None:
    """Let SAMSUNG's entry fire; the store fails the moment the broker has the order."""
    await h.warm_up(SAMSUNG, HYNIX)
    place = h.broker.place_order

    async def then_the_store_fails(request: OrderRequest) -> BrokerOrderState:
        state = await place(request)
        h.orders.failing = LOCKED
        return state

    h.broker.place_order = then_the_store_fails  # type: ignore[method-assign]
    await h.minute(s005930=110, s000660=100)
    h.broker.place_order = place  # type: ignore[method-assign]


async def test_an_answer_that_cannot_be_saved_halts_keeps_the_position_and_sends_nothing_more(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)

    await bought_then_the_store_fails(h)

    assert h.session.trading_state is TradingState.HALTED
    assert h.session.status_reason.startswith("the broker's answer to order ")
    assert LOCKED in h.session.status_reason
    assert h.runner.book.held(SAMSUNG) == 9_090  # the session knows what it holds
    assert h.runner.unsaved  # ... and what still waits to be written
    (stored,) = h.orders.orders.values()
    assert stored.status is OrderStatus.PENDING_SUBMIT

    await h.minute(s005930=120, s000660=130)  # HYNIX's rule fires: nothing may go out

    assert len(h.broker.placed) == 1


async def test_once_the_store_takes_the_answer_again_the_session_reconciles_and_trades_on(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await bought_then_the_store_fails(h)

    h.orders.failing = None
    await h.minute(s005930=110, s000660=100)

    (stored,) = h.orders.orders.values()
    assert stored.status is OrderStatus.FILLED
    assert h.session.trading_state is TradingState.ACTIVE
    assert h.runner.unsaved == ()
    assert (
        "session running (ACTIVE): the broker's answers are saved and the account reconciles"
        in h.observer.logs()
    )
    await h.minute(s005930=110, s000660=120)
    assert h.runner.book.held(HYNIX) > 0  # trading goes on


async def test_two_answers_about_one_order_waiting_to_be_saved_keep_every_fill(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.broker.fill_orders = False  # the order rests, then fills while the store is down
    await h.minute(s005930=110)
    (order,) = h.runner.book.open_orders.values()
    h.orders.failing = LOCKED
    resting = h.broker.orders[order.client_order_id]
    half = resting.request.quantity / 2
    for part in (1, 2):  # two answers, each with a new fill, neither saved
        fills = tuple(
            Fill(
                f"B-1-F{n}",
                order.client_order_id,
                SAMSUNG,
                TradeDirection.BUY,
                half,
                Decimal(110),
                h.clock.now(),
            )
            for n in range(1, part + 1)
        )
        h.broker.orders[order.client_order_id] = BrokerOrderState(
            resting.request,
            "B-1",
            OrderStatus.PARTIALLY_FILLED if part == 1 else OrderStatus.FILLED,
            half * part,
            Decimal(110),
            fills,
            h.clock.now(),
        )
        await h.minute(s005930=110)

    h.orders.failing = None
    await h.minute(s005930=110)

    assert [f.fill_id for f in await h.orders.list_fills(order.client_order_id)] == [
        "B-1-F1",
        "B-1-F2",
    ]
    stored = await h.orders.get(order.client_order_id)
    assert stored is not None
    assert stored.status is OrderStatus.FILLED


async def test_an_order_that_cannot_be_recorded_is_not_sent(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    h.orders.failing = LOCKED

    await h.minute(s005930=110)

    assert h.broker.placed == []
    (signal,) = h.signals.signals.values()
    assert signal.status is SignalStatus.REJECTED
    assert signal.status_detail == f"not sent: {LOCKED}"
    assert h.session.trading_state is TradingState.ACTIVE  # nothing is in doubt


# ----------------------------------------------------------------------------- odd answers


async def test_a_fill_id_already_stored_for_another_order_is_told_and_pauses_the_session(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG, HYNIX)
    await h.minute(s005930=110, s000660=100)
    h.broker.orders.clear()  # the broker forgot its numbering: the next order is B-1 again

    await h.minute(s005930=110, s000660=110)

    assert h.session.status is SessionStatus.PAUSED
    assert "fill B-1-F1" in h.session.status_reason
    (conflict,) = h.journal.kinds("fill_conflict")
    assert conflict.data["fill_ids"] == ("B-1-F1",)
    assert any("is stored for order" in m for m in h.observer.logs())
    assert h.runner.book.held(HYNIX) == 0  # nothing of the disputed fill was applied


async def test_an_unexpected_error_from_the_broker_is_resolved_by_asking_never_by_resending(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    place = h.broker.place_order

    async def garbled(request: OrderRequest) -> BrokerOrderState:
        await place(request)
        raise RuntimeError("an HTML page instead of JSON")

    h.broker.place_order = garbled  # type: ignore[method-assign]

    await h.minute(s005930=110)

    assert len(h.broker.placed) == 1
    assert h.runner.book.held(SAMSUNG) == 9_090


# ----------------------------------------------------------------------------- commands


async def manual_signal(xkrx: ExchangeTradingCalendar) -> tuple[Harness, str]:
    h = await harness(xkrx, mode=ExecutionMode.MANUAL)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    (signal,) = h.runner.pending_signals()
    return h, signal.id


async def test_execute_is_refused_while_the_session_is_paused(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h, signal_id = await manual_signal(xkrx)
    await h.runner.pause("paused by the trader")

    with pytest.raises(OrderNotPermittedError, match="the session is paused, not running"):
        await h.runner.execute_signal(signal_id)

    assert h.broker.placed == []
    assert [s.id for s in h.runner.pending_signals()] == [signal_id]  # still there after resume
    await h.runner.resume()
    assert await h.runner.execute_signal(signal_id) is not None


async def test_an_entry_is_refused_while_reducing_and_nothing_while_halted(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h, signal_id = await manual_signal(xkrx)
    h.session.reduce_only(h.clock.now())

    with pytest.raises(OrderNotPermittedError, match="exits only"):
        await h.runner.execute_signal(signal_id)
    h.session.halt(h.clock.now())
    with pytest.raises(OrderNotPermittedError, match="trading is halted"):
        await h.runner.execute_signal(signal_id)

    assert h.broker.placed == []


async def test_the_kill_switch_flattens_a_paused_and_halted_session(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG)
    await h.minute(s005930=110)
    await h.runner.pause("paused by the trader")
    await h.runner.halt("kill switch")

    (update,) = await h.runner.flatten()

    assert update.order.request.direction is TradeDirection.SELL
    assert h.runner.book.held(SAMSUNG) == 0


async def test_a_halted_session_is_re_armed_by_the_trader(xkrx: ExchangeTradingCalendar) -> None:
    h = await harness(xkrx)
    await h.runner.halt("kill switch")

    await h.runner.rearm()

    assert h.session.trading_state is TradingState.ACTIVE
    assert h.session.status_reason == "re-armed by the trader"


# ----------------------------------------------------------------------------- fast clocks


async def test_the_broker_is_timed_in_real_time_whatever_the_market_clock_speed(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = Harness(xkrx)
    # The market runs 60 times as fast as real time; the broker answers in half a second.
    market = SimulatedClock(h.clock, h.start, speed=60)
    runner = LiveTradingRunner(
        h.session,
        h.broker,
        ProcessingEngine(),
        h.services,
        xkrx,
        h.config,
        # The fake's quotes carry real time, which the market's clock has left behind.
        RunnerLimits(warmup_candles=50, stale_quote_after=10**9),
        clock=market,
        timer=h.clock,
    )
    await runner.start()
    h.broker.latency = 0.5
    for _ in range(3):
        h.broker.close_minute(SAMSUNG, 100)
        h.broker.close_minute(HYNIX, 100)
        h.clock.advance(1)  # a minute of the market

    tick = asyncio.create_task(runner.run_once())
    while not tick.done():  # real time passes whenever the tick waits for the broker
        deadline = h.clock.next_deadline()
        if h.clock.sleepers and deadline is not None:
            h.clock.advance_to(deadline)
        await asyncio.sleep(0)
    await tick

    assert not [m for m in h.observer.logs() if "no answer" in m]
    assert runner.session.status is SessionStatus.RUNNING


async def test_a_failing_broker_is_told_once_with_a_count_and_pauses_the_session(
    xkrx: ExchangeTradingCalendar,
) -> None:
    h = await harness(xkrx)
    await h.warm_up(SAMSUNG, HYNIX)

    async def timing_out(symbol: str) -> None:
        raise TimeoutError("no answer within 10 s")

    h.broker.get_latest_quote = timing_out  # type: ignore[method-assign]
    for _ in range(5):
        h.clock.advance(60)
        await h.runner._tick()

    logs = h.observer.logs()
    assert logs.count("005930: no answer within 10 s") == 1
    assert logs.count("000660: no answer within 10 s") == 1
    assert h.session.status is SessionStatus.PAUSED
    assert h.session.status_reason.startswith(
        "the session cannot keep up: 5 ticks in a row failed (last: "
    )

    del h.broker.get_latest_quote  # the broker answers again
    await h.runner.resume()
    await h.minute(s005930=100, s000660=100)
    assert "005930 (TimeoutError): the same error came 4 more time(s)" in h.observer.logs()
