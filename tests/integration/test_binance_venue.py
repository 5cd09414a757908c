"""The local Binance speaks Binance's wire protocol: checked here by hand, byte by byte, so that
a gateway test passing against it means something."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.venues.binance import BinanceVenue, make_app
from tests.venues.market import serving, venue_process

KEY, SECRET = "binance-key", "binance-secret"


@asynccontextmanager
async def local(**options: Any) -> AsyncIterator[tuple[BinanceVenue, str]]:
    venue = BinanceVenue(KEY, SECRET, **options)
    async with serving(make_app(venue)) as base:
        yield venue, base


def signed(params: dict[str, str], secret: str = SECRET, stamp: float | None = None) -> str:
    """Return *params* as Binance wants a signed query: timestamp, then the HMAC-SHA256."""
    query = urlencode({**params, "timestamp": str(int((stamp or time.time()) * 1000))})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={signature}"


async def call(
    base: str, method: str, path: str, query: str = "", body: str = "", key: str = KEY
) -> tuple[int, Any, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"{base}/api/v3/{path}" + (f"?{query}" if query else ""),
            data=body or None,
            headers={"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"},
        ) as answer,
    ):
        return answer.status, await answer.json(), dict(answer.headers)


async def test_a_request_signed_with_the_secret_is_served_and_any_other_is_refused() -> None:
    async with local() as (_venue, base):
        good = await call(base, "GET", "account", signed({}))
        bad_signature = await call(base, "GET", "account", signed({}, secret="other"))
        bad_key = await call(base, "GET", "account", signed({}), key="other-key")
        unsigned = await call(base, "GET", "account", "timestamp=1")
        stale = await call(base, "GET", "account", signed({}, stamp=time.time() - 10))
        ahead = await call(base, "GET", "account", signed({}, stamp=time.time() + 10))

    assert good[0] == 200
    assert {"asset": "USDT", "free": "100000.00000000", "locked": "0.00000000"} in good[1][
        "balances"
    ]
    assert bad_signature[:2] == (400, {"code": -1022, "msg": "Signature for this request is not "
                                       "valid."})  # fmt: skip
    assert bad_key[:2] == (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for "
                                 "action."})  # fmt: skip
    assert unsigned[1]["code"] == -1102
    assert stale[1] == {"code": -1021, "msg": "Timestamp for this request is outside of the "
                        "recvWindow."}  # fmt: skip
    assert ahead[1]["code"] == -1021


async def test_the_body_and_the_query_are_signed_together() -> None:
    async with local() as (venue, base):
        body = signed({"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "1",
                       "newClientOrderId": "LT-1"})  # fmt: skip
        placed = await call(base, "POST", "order", body=body)
        tampered = body.replace("quantity=1", "quantity=2")
        refused = await call(base, "POST", "order", body=tampered)

    assert placed[0] == 200
    assert placed[1]["status"] == "FILLED"
    assert placed[1]["clientOrderId"] == "LT-1"
    assert refused[1]["code"] == -1022
    assert len(venue.orders) == 1


async def test_every_answer_tells_the_weight_used_and_too_much_is_429_then_a_418_ban() -> None:
    async with local(weight_limit=30) as (_venue, base):
        first = await call(base, "GET", "exchangeInfo")  # 20
        second = await call(base, "GET", "depth", "symbol=ETHUSDT")  # 5
        over = await call(base, "GET", "exchangeInfo")
        refused = [await call(base, "GET", "ping") for _ in range(6)]

    assert first[2]["X-MBX-USED-WEIGHT-1M"] == "20"
    assert second[2]["X-MBX-USED-WEIGHT-1M"] == "25"
    assert over[0] == 429
    assert over[1]["code"] == -1003
    assert 0 < int(over[2]["Retry-After"]) <= 60
    assert [status for status, _, _ in refused][:4] == [200, 200, 200, 200]
    assert refused[-1][0] in (429, 418)


async def test_a_client_order_id_is_unique_among_open_orders_only_as_binance_documents() -> None:
    async with local() as (_venue, base):
        resting = {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                   "quantity": "1", "price": "1000.00", "newClientOrderId": "LT-2"}  # fmt: skip
        first = await call(base, "POST", "order", body=signed(resting))
        twice = await call(base, "POST", "order", body=signed(resting))
        cancel = signed({"symbol": "ETHUSDT", "origClientOrderId": "LT-2"})
        cancelled = await call(base, "DELETE", "order", cancel)
        after = await call(base, "POST", "order", body=signed(resting))

    assert first[1]["status"] == "NEW"
    assert twice[1] == {"code": -2010, "msg": "Duplicate order sent."}
    assert cancelled[1]["status"] == "CANCELED"
    assert after[0] == 200, "taken again once its order has ended"
    assert after[1]["orderId"] != first[1]["orderId"]


async def test_klines_are_oldest_first_and_the_stream_says_when_a_minute_closed() -> None:
    clock = [1_796_600_000.0]  # 09:33:20 of a day: the minute has 40 seconds to go
    async with local(clock=lambda: clock[0]) as (_venue, base):
        _, rows, _ = await call(base, "GET", "klines", "symbol=ETHUSDT&interval=1m&limit=3")
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"ws{base[4:]}/stream?streams=ethusdt@kline_1m") as socket,
        ):
            frames = []
            for _ in range(3):
                frames.append(json.loads((await socket.receive()).data))
                clock[0] += 20
        await asyncio.sleep(0)

    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert rows[-1][0] == 1_796_599_980_000, "the minute in progress is the last row"
    closing = [f["data"]["k"] for f in frames if f["data"]["k"]["x"]]
    assert closing, "the minute's last push says it closed"
    assert closing[0]["t"] == 1_796_599_980_000


async def test_the_venue_runs_in_its_own_process_and_keeps_the_account_across_a_kill(
    tmp_path: Path,
) -> None:
    state = tmp_path / "binance.json"
    options = ("--state", str(state))
    async with venue_process(KEY, SECRET, *options, venue="binance", kill=True) as base:
        placed = await call(base, "POST", "order", body=signed(
            {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "2",
             "newClientOrderId": "LT-K"}))  # fmt: skip
        before = await call(base, "GET", "account", signed({}))
    async with venue_process(KEY, SECRET, *options, venue="binance") as base:
        lookup = signed({"symbol": "ETHUSDT", "origClientOrderId": "LT-K"})
        found = await call(base, "GET", "order", lookup)
        after = await call(base, "GET", "account", signed({}))

    assert placed[1]["status"] == "FILLED"
    assert found[1]["orderId"] == placed[1]["orderId"]
    assert after[1]["balances"] == before[1]["balances"]
