"""What the end-to-end tests on a local venue share: the app started as it starts, on a data
folder that connects to the venue, and waits in real time for what the app does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
import pytest

from livetrader_gui.adapters.credentials import CredentialStore, environment_names
from livetrader_gui.app.bootstrap import Workspace, build_workspace
from livetrader_gui.app.settings import parse_settings
from livetrader_gui.application.market_data.hub import FeedPolicy
from livetrader_gui.application.observers import ObserverHub
from livetrader_gui.domain import Order, OrderStatus
from tests.fakes import RecordingObserver


async def open_app(
    folder: Path,
    broker_id: str,
    key: str,
    secret: str,
    observer: RecordingObserver | None = None,
    feed_policy: FeedPolicy | None = None,
    flags: Sequence[str] = (),
) -> Workspace:
    """Start the app's workspace on *folder* as the app starts it, *broker_id*'s key and secret
    in the environment (*feed_policy*: how the market data keeps its links; *flags*: more of
    the app's command line)."""
    key_name, secret_name = environment_names(broker_id)
    credentials = CredentialStore(folder, {key_name: key, secret_name: secret}, use_keyring=False)
    settings = parse_settings(["--data-dir", str(folder), *flags], {})
    hub = ObserverHub()
    if observer is not None:
        hub.add(observer)
    workspace = await build_workspace(
        settings, hub, credentials=credentials, feed_policy=feed_policy
    )
    await workspace.start()
    return workspace


def connect_to(folder: Path, venue: str, base_url: str, *, testnet: bool = False) -> None:
    """Make *folder* a new data folder with one connection: *venue* at *base_url*."""
    folder.mkdir()
    connection = {"venue": venue, "testnet": testnet, "base_url": base_url}
    (folder / "brokers.json").write_text(
        json.dumps({"connections": [connection]}), encoding="utf-8"
    )


async def switch(venue: str, fault: str, times: int = 1, seconds: float | None = None) -> None:
    """Switch a fault on at the venue (its test switch, not the venue's API)."""
    body = {"fault": fault, "times": times, "seconds": seconds}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{venue}/_venue/faults", json=body) as answer,
    ):
        answer.raise_for_status()


async def until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 100) -> None:
    for _ in range(int(seconds * 10)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"never: {what}")


async def first_fill(
    workspace: Workspace, session_id: str, what: str, seconds: float = 100
) -> list[Order]:
    """Wait (up to *seconds*) until one of the session's orders has filled; return its
    orders."""

    async def filled() -> bool:
        orders = await workspace.orders.list_for_session(session_id)
        return any(o.status is OrderStatus.FILLED for o in orders)

    await until(filled, what, seconds)
    return await workspace.orders.list_for_session(session_id)


def venue_orders(tmp_path: Path) -> list[dict[str, object]]:
    """Return the orders the venue holds, from the state it keeps on disk (``venue.json``,
    which a venue writes at its first change: none yet, no order)."""
    if not (tmp_path / "venue.json").exists():
        return []
    orders: list[dict[str, object]] = json.loads(
        (tmp_path / "venue.json").read_text(encoding="utf-8")
    )["orders"]
    return orders
