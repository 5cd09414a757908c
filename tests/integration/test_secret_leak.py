"""An API secret never reaches a file the app writes: the database, the journal, the logs, the
connections file, the screenshot run's output, the encrypted key file (whose bytes are cipher).

A whole session runs on a local Upbit with a recognisable secret, beside a local Binance with
another (its REST and its WebSocket API, which is signed with it), a connection is tested with a
wrong one, a key is saved to the encrypted file, and the app's own process starts on the same
folder with the wrong secrets (the refusals are logged); then every file under the data folder,
and what the process printed, is searched for every secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from livetrader_gui.adapters.credentials import CredentialStore, environment_names
from livetrader_gui.app.bootstrap import build_workspace
from livetrader_gui.app.main import _configure_logging
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.live_trading.config import LiveSessionConfig
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.domain import ExecutionMode, OrderStatus, RiskConfig
from tests.builders import risk_controls, strategy
from tests.smoke import run_app
from tests.venues.market import venue_process

KEY = "leak-test-access-key"
SECRET = "CANARY-5e9b1d-the-venue-secret"
WRONG = "CANARY-77aa02-a-wrong-secret"
BINANCE_KEY = "leak-test-binance-key"
BINANCE_SECRET = "CANARY-0c4d3f-the-binance-secret"
SECRETS = (SECRET, WRONG, BINANCE_SECRET)
pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def venue() -> AsyncIterator[str]:
    async with venue_process(KEY, SECRET, "--liquidity", "0.002") as base:
        yield base


@pytest_asyncio.fixture
async def binance() -> AsyncIterator[str]:
    async with venue_process(BINANCE_KEY, BINANCE_SECRET, venue="binance") as base:
        yield base


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's own logging (its file handler, at its level) into the test's data folder."""
    folder = tmp_path / "data"
    (folder / "logs").mkdir(parents=True)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    _configure_logging(folder / "logs" / "livetrader.log")
    try:
        yield folder
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
                root.removeHandler(handler)
        root.setLevel(level)


async def test_no_file_the_app_writes_holds_a_secret(
    app_log: Path, venue: str, binance: str
) -> None:
    folder = app_log
    connections = [{"venue": "UPBIT", "base_url": venue}, {"venue": "BINANCE", "base_url": binance}]
    (folder / "brokers.json").write_text(json.dumps({"connections": connections}), encoding="utf-8")
    key_name, secret_name = environment_names("UPBIT")
    binance_key, binance_secret = environment_names("BINANCE")
    environment = {key_name: KEY, secret_name: SECRET, binance_key: BINANCE_KEY,
                   binance_secret: BINANCE_SECRET}  # fmt: skip
    settings = parse_settings(["--data-dir", str(folder)], {})
    credentials = CredentialStore(folder, environment, use_keyring=False)
    workspace = await build_workspace(settings, ObserverHub(), credentials=credentials)
    buyer = strategy(
        id="eth", name="ETH (leak test)", symbols=("KRW-ETH",), exchange="24/7",
        entry_rule="close > 0", exit_rule="close < 0", position_pct=Decimal("0.2"),
        risk_config=RiskConfig(risk_controls(
            max_positions=1, max_position_size_pct=Decimal(5), max_daily_loss_pct=Decimal(5),
            stop_loss_pct=None, take_profit_pct=None,
        )),
    )  # fmt: skip
    try:
        await workspace.start()
        await workspace.strategies.save(buyer)
        session = await workspace.desk.start_session(
            LiveSessionConfig(
                buyer,
                "UPBIT",
                execution_mode=ExecutionMode.AUTO,
                skip_prerequisites=True,
                tick_interval=1,
            )
        )
        for _ in range(600):
            orders = await workspace.orders.list_for_session(session.session_id)
            if any(o.status is OrderStatus.FILLED for o in orders):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the session's buy never filled")
        binance_health = workspace.registry.health("BINANCE")
        refused = await workspace.connections.test("UPBIT", False, venue, KEY, WRONG)
        refused_binance = await workspace.connections.test(
            "BINANCE", False, binance, BINANCE_KEY, WRONG
        )
        credentials.open_vault("a password the trader typed")
        credentials.save("SPARE", credentials.load("UPBIT"))  # type: ignore[arg-type]
    finally:
        await workspace.shutdown()
    # The app's own process on the same folder, a wrong secret in the environment: its
    # refusal is logged.
    run = run_app(
        "--smoke-test", "--data-dir", str(folder), timeout=180,
        env={key_name: KEY, secret_name: WRONG, binance_key: BINANCE_KEY, binance_secret: WRONG},
    )  # fmt: skip

    written = [p for p in folder.rglob("*") if p.is_file()]
    leaks = [
        str(p.relative_to(folder))
        for p in written
        if any(secret.encode() in p.read_bytes() for secret in SECRETS)
    ]
    assert binance_health.healthy, binance_health.detail
    assert not refused.ok
    assert not refused_binance.ok
    assert "secret key does not belong to this API key" in refused_binance.summary
    assert "secret key does not belong" in refused.summary
    assert run.returncode == 0, run.stderr
    assert {"livetrader.db", "brokers.json", "api-keys.vault"} <= {p.name for p in written}
    assert any(p.suffix == ".log" and p.stat().st_size > 0 for p in written)
    assert leaks == []
    assert all(secret not in run.stdout + run.stderr for secret in SECRETS)
    log = (folder / "logs" / "livetrader.log").read_text(encoding="utf-8")
    assert "UPBIT did not connect: Upbit (local copy at" in log
    assert "refused the API key" in log
    assert "BINANCE did not connect: Binance (local copy at" in log
