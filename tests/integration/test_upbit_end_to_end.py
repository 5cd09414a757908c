"""End to end: an AUTO session on Upbit, through the app's own start-up path, against a local
Upbit that runs in its own process and outlives the app: orders, fills in parts, and a restart
that finds nothing different from the venue.

Real time throughout (the venue's clock is the machine's): the session's first decision comes
at the newest closed minute, so the test takes seconds. It runs on asyncio's own loop, as the
venue tests do (the Qt loop's executor threads outlive a test's loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.brokers.connections import VENUES
from livetrader_gui.app.bootstrap import Workspace
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.market_data.hub import FeedPolicy
from livetrader_gui.application.read_models import SessionSnapshot
from livetrader_gui.domain import (
    ExecutionMode,
    RiskConfig,
    SessionStatus,
    Strategy,
)
from tests.builders import risk_controls, strategy
from tests.fakes import RecordingObserver
from tests.integration.venue_app import (
    connect_to,
    first_fill,
    open_app,
    switch,
    until,
    venue_orders,
)
from tests.venues.market import venue_process

KEY, SECRET = "e2e-access-key", "e2e-secret-9f3c-never-written"
UPBIT_KEY = ("UPBIT", KEY, SECRET)
pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def venue(tmp_path: Path) -> AsyncIterator[str]:
    """A local Upbit in its own process, trading 0.002 ETH a second to the account."""
    state = str(tmp_path / "venue.json")
    options = ("--seed", "3", "--state", state, "--liquidity", "0.002")
    async with venue_process(KEY, SECRET, *options) as base:
        yield base


def eth_buyer() -> Strategy:
    """Buy 20,000 KRW of ETH at the first closed minute, and hold it."""
    return strategy(
        id="eth-buyer", name="ETH buyer (test)", symbols=("KRW-ETH",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0",
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(5), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
        position_pct=Decimal("0.2"),
    )  # fmt: skip


@asynccontextmanager
async def holding_eth(
    tmp_path: Path,
    venue: str,
    observer: RecordingObserver | None = None,
    feed_policy: FeedPolicy | None = None,
) -> AsyncIterator[tuple[Workspace, SessionSnapshot]]:
    """Start the app on the venue with an AUTO session that has bought ETH (its buy filled);
    shut the app down at the end."""
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    workspace = await open_app(folder, *UPBIT_KEY, observer, feed_policy)
    try:
        await workspace.strategies.save(buyer := eth_buyer())
        session = await workspace.desk.start_session(auto(buyer))
        await first_fill(workspace, session.session_id, "the first buy fills")
        yield workspace, session
    finally:
        await workspace.shutdown()


async def test_an_auto_session_trades_on_upbit_and_a_restart_reconciles_clean(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    buyer = eth_buyer()  # 20,000 KRW of 10,000,000: 0.005 ETH, in parts
    workspace = await open_app(folder, *UPBIT_KEY)
    try:
        health = workspace.registry.health("UPBIT")
        assert health.healthy, health.detail
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(auto(buyer))

        orders = await first_fill(workspace, session.session_id, "the buy fills in parts")
        (order,) = orders
        fills = await workspace.orders.list_fills(order.client_order_id)
        held = {p.symbol: p.quantity for p in await workspace.registry.get("UPBIT").get_positions()}  # type: ignore[union-attr]
    finally:
        await workspace.shutdown()

    again = await open_app(folder, *UPBIT_KEY)
    try:
        differences = again.differences
        restored = await again.sessions.get(session.session_id)
        after = await again.orders.list_for_session(session.session_id)
    finally:
        await again.shutdown()

    assert order.request.symbol == "KRW-ETH"
    assert len(fills) >= 2, "0.002 ETH a second fills the buy in parts"
    assert sum(f.quantity for f in fills) == order.request.quantity == held["KRW-ETH"]
    assert differences == [], "the restart finds the venue as the database left it"
    assert restored is not None
    assert restored.status is SessionStatus.PAUSED
    assert [o.client_order_id for o in after] == [order.client_order_id], "never sent again"
    assert SECRET not in "".join(p.read_text(errors="ignore") for p in folder.rglob("*.log"))


async def test_a_paper_session_trades_on_upbits_live_prices_and_sends_the_venue_nothing(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    buyer = strategy(
        id="eth-paper", name="ETH paper (test)", symbols=("KRW-ETH",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0", position_pct=Decimal(10),
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(20), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
    )  # fmt: skip
    workspace = await open_app(folder, *UPBIT_KEY)
    try:
        choices = {c.broker_id: c for c in workspace.desk.brokers()}
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(
            LiveSessionConfig(buyer, "UPBIT", is_paper=True, tick_interval=1)
        )

        orders = await first_fill(workspace, session.session_id, "a paper order fills")
        upbit = workspace.registry.get("UPBIT")
        assert upbit is not None
        open_at_venue = await upbit.get_open_orders()
        held = await upbit.get_positions()
        quote = await upbit.get_latest_quote("KRW-ETH")
        (order,) = orders
        fills = await workspace.orders.list_fills(order.client_order_id)
    finally:
        await workspace.shutdown()

    assert choices["UPBIT"].is_real_money, "the wizard asks for the explicit confirmation"
    assert choices["UPBIT"].healthy
    assert order.request.quantity > 0
    assert order.request.quantity % Decimal("0.00000001") == 0, "on Upbit's lot"
    assert open_at_venue == []
    assert held == [], "nothing reached the venue's account"
    assert quote is not None
    assert fills, "filled on the paper book"
    assert all(abs(f.price - quote.last) / quote.last < Decimal("0.05") for f in fills)


def auto(buyer: Strategy) -> LiveSessionConfig:
    return LiveSessionConfig(
        strategy=buyer, broker_id="UPBIT", execution_mode=ExecutionMode.AUTO,
        is_paper=False, skip_prerequisites=True, tick_interval=1,
    )  # fmt: skip


async def test_an_order_whose_answer_is_lost_is_found_at_the_venue_and_never_sent_twice(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    workspace = await open_app(folder, *UPBIT_KEY)
    try:
        await workspace.strategies.save(buyer := eth_buyer())
        await switch(venue, "lose_answer")  # the session's first order stands, its answer lost
        session = await workspace.desk.start_session(auto(buyer))

        orders = await first_fill(
            workspace, session.session_id, "the order is found at the venue and fills"
        )
    finally:
        await workspace.shutdown()

    at_venue = venue_orders(tmp_path)
    assert len(orders) == 1
    assert [o["identifier"] for o in at_venue] == [orders[0].client_order_id]


async def test_a_429_slows_the_session_down_says_so_and_it_carries_on(
    tmp_path: Path, venue: str
) -> None:
    observer = RecordingObserver()
    async with holding_eth(tmp_path, venue, observer) as (workspace, session):
        await switch(venue, "rate_limit", times=2)

        async def told(words: str) -> bool:
            return any(words in message for message in observer.logs())

        await until(lambda: told("asks to slow down"), "the session says it slows down", 20)
        await until(lambda: told("takes requests again"), "the session carries on", 20)
        snapshot = next(s for s in workspace.desk.sessions() if s.session_id == session.session_id)
        orders = await workspace.orders.list_for_session(session.session_id)

    slowed = next(m for m in observer.logs() if "asks to slow down" in m)
    assert "429" in slowed
    assert snapshot.status is SessionStatus.RUNNING
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


async def test_a_418_ban_pauses_the_session_says_why_and_it_resumes_when_the_ban_is_over(
    tmp_path: Path, venue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Upbit does not say how long a ban lasts: the gateway's own first wait, made short here.
    monkeypatch.setitem(VENUES, "UPBIT", replace(VENUES["UPBIT"], first_ban=2.0))
    observer = RecordingObserver()
    async with holding_eth(tmp_path, venue, observer) as (workspace, session):
        await switch(venue, "ban", seconds=2)

        def status() -> SessionStatus:
            (snapshot,) = workspace.desk.sessions()
            return snapshot.status

        async def paused() -> bool:
            return status() is SessionStatus.PAUSED

        async def running() -> bool:
            return status() is SessionStatus.RUNNING

        await until(paused, "the ban pauses the session", 20)
        await until(running, "the session resumes once the ban is over", 30)
        orders = await workspace.orders.list_for_session(session.session_id)

    # The session's pause says why; whether the link's first reconnect is told before or after
    # it depends on which request met the ban first (orders are followed by the websocket).
    said = next(m for m in observer.logs() if m.startswith("session paused") and "418" in m)
    assert "Upbit (local copy at" in said
    assert "banned this address for sending too many requests (418)" in said
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


async def test_a_websocket_that_goes_silent_pauses_the_session_and_it_resumes_when_it_talks(
    tmp_path: Path, venue: str
) -> None:
    observer = RecordingObserver()
    # Two seconds of silence while the market is open count as a lost feed (60 by default).
    policy = FeedPolicy(stale_after=2.0)
    async with holding_eth(tmp_path, venue, observer, policy) as (workspace, session):
        await switch(venue, "silent")  # every socket stays open and says nothing more

        def status() -> SessionStatus:
            (snapshot,) = workspace.desk.sessions()
            return snapshot.status

        async def paused() -> bool:
            return status() is SessionStatus.PAUSED

        async def running() -> bool:
            return status() is SessionStatus.RUNNING

        await until(paused, "the silence pauses the session", 30)
        await switch(venue, "speak")
        await until(running, "the session resumes once the socket talks again", 30)
        orders = await workspace.orders.list_for_session(session.session_id)

    said = next(m for m in observer.logs() if "went silent" in m)
    assert "market data from UPBIT went silent: nothing for" in said
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


async def test_an_order_answer_that_hangs_past_the_timeout_is_found_and_never_sent_twice(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    workspace = await open_app(folder, *UPBIT_KEY)
    try:
        await workspace.strategies.save(buyer := eth_buyer())
        # The session's first request to the order family hangs 15 s, past the 10 s a venue
        # has to answer: the order is placed, its outcome unknown until it is looked up.
        await switch(venue, "hang_order", seconds=15)
        session = await workspace.desk.start_session(auto(buyer))
        orders = await first_fill(workspace, session.session_id, "the order is found and fills")
    finally:
        await workspace.shutdown()

    at_venue = venue_orders(tmp_path)
    assert len(orders) == 1
    assert [o["identifier"] for o in at_venue] == [orders[0].client_order_id]


async def test_502_pages_in_a_row_pause_the_session_in_words_without_html(
    tmp_path: Path, venue: str
) -> None:
    async with holding_eth(tmp_path, venue) as (workspace, session):
        await switch(venue, "server_error", times=20)

        def snapshot() -> SessionSnapshot:
            (only,) = workspace.desk.sessions()
            return only

        async def paused() -> bool:
            return snapshot().status is SessionStatus.PAUSED

        await until(paused, "failing ticks pause the session", 30)
        reason = snapshot().status_reason
        orders = await workspace.orders.list_for_session(session.session_id)

    assert "ticks in a row failed" in reason
    assert "502" in reason
    assert "<" not in reason, "an error page is said in words, never as HTML"
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


async def test_connections_dropped_without_an_answer_are_told_and_the_session_carries_on(
    tmp_path: Path, venue: str
) -> None:
    observer = RecordingObserver()
    async with holding_eth(tmp_path, venue, observer) as (workspace, session):
        await switch(venue, "drop", times=2)  # a read, and the one retry aiohttp makes of it

        async def told() -> bool:
            return any("closed the connection before answering" in m for m in observer.logs())

        await until(told, "the session says the venue closed the connection", 20)
        (snapshot,) = workspace.desk.sessions()
        orders = await workspace.orders.list_for_session(session.session_id)

    assert snapshot.status is SessionStatus.RUNNING, "one failed read does not stop trading"
    assert len(orders) == len(venue_orders(tmp_path)) == 1, "nothing lost, nothing doubled"


async def test_a_symbol_watched_on_upbit_streams_its_quotes_and_is_still_watched_after_a_restart(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "UPBIT", venue)
    workspace = await open_app(folder, *UPBIT_KEY)
    try:
        listed = [i.symbol for i in await workspace.market_watch.instruments("UPBIT")]
        said = await workspace.market_watch.watch("UPBIT", "KRW-ETH")

        async def quoted() -> bool:
            return bool(workspace.market_watch.latest("UPBIT"))

        await until(quoted, "a quote of KRW-ETH reaches the market watch", 20)
    finally:
        await workspace.shutdown()

    again = await open_app(folder, *UPBIT_KEY)
    try:
        kept = again.market_watch.symbols("UPBIT")
        sim = again.market_watch.symbols("SIM")
    finally:
        await again.shutdown()

    assert listed == ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
    assert said == "Watching KRW-ETH (Ethereum) on Upbit (local copy at " + venue + ")"
    assert kept == ["KRW-ETH"]
    assert sim, "the built-in market still watches its own symbols"
