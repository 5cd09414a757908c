"""End to end: an AUTO session on Binance Spot, through the app's own start-up path, against a
local Binance that runs in its own process and outlives the app: a market buy that sweeps the
book in several fills, Binance keeping its fee in the ETH bought, then a restart that finds
nothing different from the venue.

Real time throughout (the venue's clock is the machine's), on asyncio's own loop, as the
Upbit end-to-end tests run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.domain import ExecutionMode, RiskConfig, SessionStatus, Strategy
from tests.builders import risk_controls, strategy
from tests.integration.venue_app import connect_to, first_fill, open_app, switch, venue_orders
from tests.venues.market import venue_process

KEY, SECRET = "e2e-binance-key", "e2e-binance-secret-5d1e-never-written"
pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def venue(tmp_path: Path) -> AsyncIterator[str]:
    """A local Binance in its own process: a book 0.02 ETH deep a level, fees taken in the
    coin bought (Binance's default)."""
    options = ("--seed", "5", "--state", str(tmp_path / "venue.json"), "--liquidity", "0.02")
    async with venue_process(KEY, SECRET, *options, venue="binance") as base:
        yield base


def eth_buyer() -> Strategy:
    """Buy 200 USDT of ETH (0.2 % of 100,000) at the first closed minute, and hold it."""
    return strategy(
        id="eth-buyer", name="ETH buyer (test)", symbols=("ETHUSDT",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0",
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(5), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
        position_pct=Decimal("0.2"),
    )  # fmt: skip


def auto(buyer: Strategy) -> LiveSessionConfig:
    return LiveSessionConfig(
        strategy=buyer, broker_id="BINANCE", execution_mode=ExecutionMode.AUTO,
        is_paper=False, skip_prerequisites=True, tick_interval=1,
    )  # fmt: skip


async def test_an_auto_session_trades_on_binance_and_a_restart_reconciles_clean(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    connect_to(folder, "BINANCE", venue)
    buyer = eth_buyer()
    workspace = await open_app(folder, "BINANCE", KEY, SECRET)
    try:
        health = workspace.registry.health("BINANCE")
        assert health.healthy, health.detail
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(auto(buyer))
        orders = await first_fill(workspace, session.session_id, "the market buy fills")
        (order,) = orders
        fills = await workspace.orders.list_fills(order.client_order_id)
        gateway = workspace.registry.get("BINANCE")
        assert gateway is not None
        held = {p.symbol: p.quantity for p in await gateway.get_positions()}
        journal = await workspace.journal.list_entries(session.session_id)
    finally:
        await workspace.shutdown()

    again = await open_app(folder, "BINANCE", KEY, SECRET)
    try:
        differences = again.differences
        restored = await again.sessions.get(session.session_id)
        after = await again.orders.list_for_session(session.session_id)
    finally:
        await again.shutdown()

    assert order.request.symbol == "ETHUSDT"
    assert len(fills) >= 2, "0.02 ETH a level: the buy sweeps several levels"
    assert len({f.price for f in fills}) == len(fills), "each level at its own price"
    assert sum(f.quantity for f in fills) == order.request.quantity
    kept = sum(f.fee_quantity for f in fills)
    assert 0 < kept < order.request.quantity / 500, "0.1 % of each fill, in ETH"
    assert held == {"ETHUSDT": order.request.quantity - kept}, "Binance kept its fee in ETH"
    assert differences == [], "the restart finds the venue as the database left it"
    told = [e for e in journal if e.kind == "fill"]
    assert len(told) == len(fills)
    assert all("kept by the broker as its fee" in e.message for e in told)
    assert sum(Decimal(str(e.data["fee_quantity"])) for e in told) == kept
    assert restored is not None
    assert restored.status is SessionStatus.PAUSED
    assert [o.client_order_id for o in after] == [order.client_order_id], "never sent again"
    assert len(venue_orders(tmp_path)) == 1
    assert SECRET not in "".join(p.read_text(errors="ignore") for p in folder.rglob("*.log"))


async def test_an_order_whose_answer_is_lost_is_found_and_never_sent_again(
    tmp_path: Path, venue: str
) -> None:
    # Binance takes a client order id again once its order has ended (unique among open
    # orders only): only never sending twice keeps the buy single.
    folder = tmp_path / "data"
    connect_to(folder, "BINANCE", venue)
    workspace = await open_app(folder, "BINANCE", KEY, SECRET)
    try:
        await workspace.strategies.save(buyer := eth_buyer())
        await switch(venue, "lose_answer")  # the session's first order stands, its answer lost
        session = await workspace.desk.start_session(auto(buyer))
        orders = await first_fill(workspace, session.session_id, "the order is found and fills")
    finally:
        await workspace.shutdown()

    at_venue = venue_orders(tmp_path)
    assert len(orders) == 1
    assert [o["client_order_id"] for o in at_venue] == [orders[0].client_order_id]
