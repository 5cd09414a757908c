"""End to end on a local Upbit that outlives the app: what happens at the venue while the app
is down (its own orders fill, the trader trades by hand), the venue going away mid-session,
a storm of 429s, and an order the venue refuses. Each is found, told, and nothing is doubled,
lost or adopted silently.

Real time throughout (the venue's clock is the machine's), on asyncio's own loop, as the other
end-to-end tests on a local venue run.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from livetrader_gui.adapters.brokers.ccxt.upbit_gateway import UpbitGateway
from livetrader_gui.adapters.brokers.ccxt.venues import UPBIT
from livetrader_gui.adapters.clocks import SystemClock
from livetrader_gui.app.bootstrap import Workspace
from livetrader_gui.application.live_trading.restart_review import (
    Decision,
    ReviewKind,
    ReviewPendingError,
)
from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.domain import (
    OrderRequest,
    OrderStatus,
    OrderType,
    SessionStatus,
    TradeDirection,
)
from tests.fakes import RecordingObserver
from tests.integration.test_upbit_end_to_end import KEY, SECRET, UPBIT_KEY, auto, eth_buyer
from tests.integration.venue_app import (
    connect_to,
    first_fill,
    open_app,
    switch,
    until,
    venue_orders,
)
from tests.venues.market import venue_process
from tests.venues.upbit_gateway import upbit_exchange

pytestmark = pytest.mark.slow
RESUME = ("--resume-when-clean",)


@asynccontextmanager
async def by_hand(base: str) -> AsyncIterator[UpbitGateway]:
    """The trader's other way to the account (Upbit's own app): a client of its own."""
    gateway = UpbitGateway(
        UPBIT, lambda: upbit_exchange(base, KEY, SECRET), SystemClock(), account_stream=None
    )
    await gateway.connect()
    try:
        yield gateway
    finally:
        await gateway.disconnect()


def only_session(workspace: Workspace) -> SessionSnapshot:
    (snapshot,) = workspace.desk.sessions()
    return snapshot


async def test_fills_made_while_the_app_was_down_are_adopted_with_the_venues_own_ids(
    tmp_path: Path,
) -> None:
    # 0.005 ETH to buy, 0.0005 a second: the buy fills over ten seconds, mostly while down.
    options = ("--seed", "3", "--state", str(tmp_path / "venue.json"), "--liquidity", "0.0005")
    async with venue_process(KEY, SECRET, *options) as venue:
        folder = tmp_path / "data"
        connect_to(folder, "UPBIT", venue)
        workspace = await open_app(folder, *UPBIT_KEY)
        try:
            await workspace.strategies.save(buyer := eth_buyer())
            session = await workspace.desk.start_session(auto(buyer))

            async def filling() -> bool:
                orders = await workspace.orders.list_for_session(session.session_id)
                return any(o.status is OrderStatus.PARTIALLY_FILLED for o in orders)

            await until(filling, "the buy has its first fills", 60)
            (order,) = await workspace.orders.list_for_session(session.session_id)
            before = {f.fill_id for f in await workspace.orders.list_fills(order.client_order_id)}
        finally:
            await workspace.shutdown()

        async with by_hand(venue) as hand:

            async def done_at_the_venue() -> bool:
                state = await hand.get_order(order.client_order_id, symbol="KRW-ETH")
                return state is not None and state.status is OrderStatus.FILLED

            await until(done_at_the_venue, "the venue fills the rest while the app is down", 60)

        again = await open_app(folder, *UPBIT_KEY)
        try:
            differences = again.differences
            adopted = await again.orders.get(order.client_order_id)
            fills = await again.orders.list_fills(order.client_order_id)
            journalled = [e for e in await again.journal.list_entries() if e.kind == "fill"]
        finally:
            await again.shutdown()

    (at_venue,) = venue_orders(tmp_path)
    venue_ids = {f"UPBIT-{t['uuid']}" for t in at_venue["trades"]}  # type: ignore[attr-defined]
    assert differences == []
    assert adopted is not None
    assert adopted.status is OrderStatus.FILLED
    assert {f.fill_id for f in fills} == venue_ids, "every fill, under the venue's own id"
    assert before < venue_ids, "some fills were made while the app was down"
    assert sum(f.quantity for f in fills) == order.request.quantity
    assert {e.data["fill_id"] for e in journalled} == venue_ids, "each one journalled"


async def test_an_order_and_coins_bought_by_hand_while_down_are_reported_never_adopted(
    tmp_path: Path,
) -> None:
    options = ("--seed", "3", "--state", str(tmp_path / "venue.json"))
    async with venue_process(KEY, SECRET, *options) as venue:
        folder = tmp_path / "data"
        connect_to(folder, "UPBIT", venue)
        workspace = await open_app(folder, *UPBIT_KEY)
        try:
            await workspace.strategies.save(buyer := eth_buyer())
            session = await workspace.desk.start_session(auto(buyer))
            await first_fill(workspace, session.session_id, "the session's buy fills")
        finally:
            await workspace.shutdown()

        async with by_hand(venue) as hand:
            resting = OrderRequest(
                hand.client_order_ids.new(), "KRW-XRP", TradeDirection.BUY, OrderType.LIMIT,
                Decimal(20), Decimal(400),
            )  # fmt: skip
            bought = OrderRequest(
                hand.client_order_ids.new(), "KRW-XRP", TradeDirection.BUY, OrderType.LIMIT,
                Decimal(7), Decimal(1000),
            )  # fmt: skip
            await hand.place_order(resting)
            await hand.place_order(bought)

            async def bought_in_full() -> bool:
                state = await hand.get_order(bought.client_order_id, symbol="KRW-XRP")
                return state is not None and state.status is OrderStatus.FILLED

            await until(bought_in_full, "the coins bought by hand are in the account", 60)

        again = await open_app(folder, *UPBIT_KEY, flags=RESUME)
        try:
            differences = again.differences
            status = only_session(again).status
            adopted = [await again.orders.get(r.client_order_id) for r in (resting, bought)]
            withheld = [
                e for e in await again.journal.list_entries() if e.kind == "resume_withheld"
            ]
            review = again.desk.restart_review()
            with pytest.raises(ReviewPendingError):
                await again.desk.resume_session(only_session(again).session_id)
            cancelled = await again.desk.decide(2, Decision.FLATTEN)  # the order elsewhere
            adopted_coins = await again.desk.decide(1, Decision.ADOPT)
            resumed = await again.desk.resume_after_review()
            held_after = await again.orders.net_positions("UPBIT")
        finally:
            await again.shutdown()

    broker = f"Upbit (local copy at {venue})"
    assert differences == [
        f"KRW-XRP: the sessions hold 0, {broker} holds 7",
        f"{broker} has an open order {resting.client_order_id} (BUY 20 KRW-XRP) that no "
        "session placed",
    ]
    assert adopted == [None, None], "nothing done by hand becomes the sessions' own"
    assert status is SessionStatus.PAUSED, "no session resumes on an account that differs"
    assert len(withheld) == 1
    assert [line.kind for line in review] == [ReviewKind.POSITION, ReviewKind.FOREIGN_ORDER]
    assert cancelled.outcome.startswith("cancelled at the broker (CANCELLED")
    (at_venue,) = [o for o in venue_orders(tmp_path) if o["identifier"] == resting.client_order_id]
    assert at_venue["state"] == "cancel"
    assert adopted_coins.outcome.startswith("the records now hold 7")
    assert held_after["KRW-XRP"] == 7
    assert len(resumed) == 1, "every line decided: the session resumes"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_venue_that_goes_away_mid_session_pauses_it_and_it_resumes_once_back_and_clean(
    tmp_path: Path,
) -> None:
    port = free_port()
    options = ("--seed", "3", "--state", str(tmp_path / "venue.json"))
    observer = RecordingObserver()
    first = AsyncExitStack()
    base = await first.enter_async_context(
        venue_process(KEY, SECRET, *options, port=port, kill=True)
    )
    try:
        folder = tmp_path / "data"
        connect_to(folder, "UPBIT", base)
        workspace = await open_app(folder, *UPBIT_KEY, observer)
    except BaseException:
        await first.aclose()
        raise
    try:
        await workspace.strategies.save(buyer := eth_buyer())
        session = await workspace.desk.start_session(auto(buyer))
        await first_fill(workspace, session.session_id, "the session's buy fills")

        async def paused() -> bool:
            return only_session(workspace).status is SessionStatus.PAUSED

        async def running() -> bool:
            return only_session(workspace).status is SessionStatus.RUNNING

        await first.aclose()  # SIGKILL: the venue is gone, mid-session
        await until(paused, "the session pauses while the venue is gone", 60)
        reason = only_session(workspace).status_reason
        # Back on the same address, with the account it kept on disk.
        async with venue_process(KEY, SECRET, *options, port=port):
            await until(running, "the session resumes once the venue is back", 120)
            orders = await workspace.orders.list_for_session(session.session_id)
    finally:
        await workspace.shutdown()

    assert "UPBIT" in reason or "Upbit" in reason, reason
    assert any("reconnected and reconciled; trading resumes" in m for m in observer.logs())
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


@pytest.mark.timeout(300)
async def test_a_storm_of_429s_slows_the_session_and_nothing_is_lost_or_doubled(
    tmp_path: Path,
) -> None:
    options = ("--seed", "3", "--state", str(tmp_path / "venue.json"))
    observer = RecordingObserver()
    async with venue_process(KEY, SECRET, *options) as venue:
        folder = tmp_path / "data"
        connect_to(folder, "UPBIT", venue)
        workspace = await open_app(folder, *UPBIT_KEY, observer)
        try:
            await workspace.strategies.save(buyer := eth_buyer())
            # From the session's first requests on: each 429 after another makes the gateway
            # wait twice as long (1, 2, 4 s ...). A minute's entry that meets one is not sent
            # (recorded, refused unsent); the next minute's goes.
            await switch(venue, "rate_limit", times=3)
            session = await workspace.desk.start_session(auto(buyer))
            orders = await first_fill(
                workspace, session.session_id, "the buy fills after all", seconds=200
            )
            status = only_session(workspace).status
        finally:
            await workspace.shutdown()

    slowed = [m for m in observer.logs() if "asks to slow down" in m]
    assert slowed, "the session says it slows down"
    assert status is SessionStatus.RUNNING
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    at_venue = venue_orders(tmp_path)
    assert len(filled) == 1
    assert {o["identifier"] for o in at_venue} <= {o.client_order_id for o in orders}
    assert len(at_venue) == len({o["identifier"] for o in at_venue}), "never sent twice"


async def test_an_order_the_venue_refuses_is_told_in_words_and_never_sent_again(
    tmp_path: Path,
) -> None:
    options = ("--seed", "3", "--state", str(tmp_path / "venue.json"))
    observer = RecordingObserver()
    async with venue_process(KEY, SECRET, *options) as venue:
        folder = tmp_path / "data"
        connect_to(folder, "UPBIT", venue)
        workspace = await open_app(folder, *UPBIT_KEY, observer)
        try:
            await workspace.strategies.save(buyer := eth_buyer())
            await switch(venue, "reject_order")
            session = await workspace.desk.start_session(auto(buyer))

            async def refused() -> bool:
                orders = await workspace.orders.list_for_session(session.session_id)
                return any(o.status is OrderStatus.REJECTED for o in orders)

            await until(refused, "the venue refuses the first buy", 60)
            orders = await workspace.orders.list_for_session(session.session_id)
            status = only_session(workspace).status
        finally:
            await workspace.shutdown()

    (rejected,) = [o for o in orders if o.status is OrderStatus.REJECTED]
    assert rejected.reject_reason is not None
    assert "not enough cash for this buy" in rejected.reject_reason
    assert "{" not in rejected.reject_reason, "in words, not the venue's JSON"
    assert status is SessionStatus.RUNNING, "a refusal is an answer: nothing is in doubt"
    identifiers = [o["identifier"] for o in venue_orders(tmp_path)]
    assert rejected.client_order_id not in identifiers, "a refused order is not at the venue"
    assert len(identifiers) == len(set(identifiers))
