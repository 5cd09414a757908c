"""End to end: an AUTO session on Upbit, through the app's own start-up path, against a local
Upbit that runs in its own process and outlives the app: orders, fills in parts, and a restart
that finds nothing different from the venue.

Real time throughout (the venue's clock is the machine's): the session's first decision comes
at the newest closed minute, so the test takes seconds. It runs on asyncio's own loop, as the
venue tests do (the Qt loop's executor threads outlive a test's loop).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.credentials import CredentialStore, environment_names
from livetrader_gui.app.bootstrap import Workspace, build_workspace
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.domain import ExecutionMode, OrderStatus, RiskConfig, SessionStatus
from tests.builders import risk_controls, strategy

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "e2e-access-key", "e2e-secret-9f3c-never-written"
pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def venue(tmp_path: Path) -> AsyncIterator[str]:
    """A local Upbit in its own process, trading 0.002 ETH a second to the account."""
    command = [
        sys.executable, "-m", "tests.venues", "upbit", "--port", "0", "--key", KEY,
        "--secret", SECRET, "--seed", "3", "--state", str(tmp_path / "venue.json"),
        "--liquidity", "0.002",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    try:
        yield line.split(" on ")[1].strip()
    finally:
        process.terminate()
        await process.wait()


async def open_app(folder: Path) -> Workspace:
    """Start the app's workspace on *folder* as the app starts it (keys from the environment)."""
    key_name, secret_name = environment_names("UPBIT")
    credentials = CredentialStore(folder, {key_name: KEY, secret_name: SECRET}, use_keyring=False)
    settings = parse_settings(["--data-dir", str(folder)], {})
    workspace = await build_workspace(settings, ObserverHub(), credentials=credentials)
    await workspace.start()
    return workspace


async def test_an_auto_session_trades_on_upbit_and_a_restart_reconciles_clean(
    tmp_path: Path, venue: str
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "brokers.json").write_text(
        json.dumps({"connections": [{"venue": "UPBIT", "base_url": venue}]}), encoding="utf-8"
    )
    buyer = strategy(
        id="eth-buyer", name="ETH buyer (test)", symbols=("KRW-ETH",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0",
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(5), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
        position_pct=Decimal("0.2"),  # 20,000 KRW of 10,000,000: 0.005 ETH, in parts
    )  # fmt: skip
    workspace = await open_app(folder)
    try:
        health = workspace.registry.health("UPBIT")
        assert health.healthy, health.detail
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(
            LiveSessionConfig(
                strategy=buyer,
                broker_id="UPBIT",
                execution_mode=ExecutionMode.AUTO,
                is_paper=False,
                skip_prerequisites=True,
                tick_interval=1,
            )
        )
        for _ in range(1_000):  # up to 100 s: the next minute closes, the buy fills in parts
            orders = await workspace.orders.list_for_session(session.session_id)
            if any(o.status is OrderStatus.FILLED for o in orders):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"no order filled: {orders}")
        (order,) = orders
        fills = await workspace.orders.list_fills(order.client_order_id)
        held = {p.symbol: p.quantity for p in await workspace.registry.get("UPBIT").get_positions()}  # type: ignore[union-attr]
    finally:
        await workspace.shutdown()

    again = await open_app(folder)
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
    folder.mkdir()
    (folder / "brokers.json").write_text(
        json.dumps({"connections": [{"venue": "UPBIT", "base_url": venue}]}), encoding="utf-8"
    )
    buyer = strategy(
        id="eth-paper", name="ETH paper (test)", symbols=("KRW-ETH",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0", position_pct=Decimal(10),
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(20), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
    )  # fmt: skip
    workspace = await open_app(folder)
    try:
        choices = {c.broker_id: c for c in workspace.desk.brokers()}
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(
            LiveSessionConfig(buyer, "UPBIT", is_paper=True, tick_interval=1)
        )
        for _ in range(300):
            orders = await workspace.orders.list_for_session(session.session_id)
            if any(o.status is OrderStatus.FILLED for o in orders):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"no paper order filled: {orders}")
        upbit = workspace.registry.get("UPBIT")
        assert upbit is not None
        venue_orders = await upbit.get_open_orders()
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
    assert venue_orders == []
    assert held == [], "nothing reached the venue's account"
    assert quote is not None
    assert fills, "filled on the paper book"
    assert all(abs(f.price - quote.last) / quote.last < Decimal("0.05") for f in fills)
