"""The local Upbit speaks Upbit's protocol: ccxt's own signing and parsing run against it."""

from __future__ import annotations

import asyncio
import decimal
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import aiohttp
import ccxt.async_support as ccxt
import ccxt.pro as ccxt_pro
import pytest

from tests.venues.upbit import MIN_TOTAL, UpbitVenue
from tests.venues.upbit_gateway import serving

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "access-key", "secret-key"


@pytest.fixture(autouse=True)
def _own_decimal_context() -> Iterator[None]:
    """ccxt sets ROUND_HALF_UP (and an Underflow trap) on the decimal context of whoever calls
    it: these tests call it in a context of their own, as the gateway will."""
    with decimal.localcontext():
        yield


class Clock:
    """The venue's time, moved by the test (one random-walk step a second)."""

    def __init__(self) -> None:
        self.at = 1_796_500_000.0

    def __call__(self) -> float:
        return self.at


def client(base: str, secret: str = SECRET, key: str = KEY) -> ccxt.upbit:
    return ccxt.upbit(
        {
            "apiKey": key,
            "secret": secret,
            "timeout": 5_000,
            "urls": {"api": {"public": base, "private": base}},
        }
    )


@asynccontextmanager
async def upbit(
    liquidity: str = "1", clock: Clock | None = None
) -> AsyncIterator[tuple[UpbitVenue, ccxt.upbit]]:
    venue = UpbitVenue(KEY, SECRET, liquidity=Decimal(liquidity), clock=clock or Clock())
    async with serving(venue) as base:
        exchange = client(base)
        try:
            yield venue, exchange
        finally:
            await exchange.close()


async def test_ccxt_reads_the_markets_quotes_and_candles_oldest_first() -> None:
    async with upbit() as (_, exchange):
        markets = await exchange.load_markets()
        ticker = await exchange.fetch_ticker("BTC/KRW")
        book = await exchange.fetch_order_book("BTC/KRW")
        candles = await exchange.fetch_ohlcv("BTC/KRW", "1m", limit=5)

    assert {"BTC/KRW", "ETH/KRW", "XRP/KRW"} <= set(markets)
    assert ticker["last"] > 0
    assert book["bids"][0][0] <= ticker["last"] < book["asks"][0][0]
    starts = [c[0] for c in candles]
    assert starts == sorted(starts), "the venue answers newest first; ccxt turns them round"
    assert len({c[4] for c in candles}) > 1, "the history before the venue's start moves too"


async def test_every_exchange_call_is_signed_and_a_wrong_key_or_secret_is_refused() -> None:
    async with upbit() as (venue, exchange):
        balance = await exchange.fetch_balance()
        async with serving(venue) as base:
            for wrong in (client(base, secret="not-the-secret"), client(base, key="other")):
                with pytest.raises(ccxt.AuthenticationError):
                    await wrong.fetch_balance()
                await wrong.close()

    assert balance["KRW"]["free"] == 10_000_000


async def test_a_limit_order_fills_in_parts_and_is_found_by_its_identifier() -> None:
    clock = Clock()
    async with upbit(liquidity="0.0005", clock=clock) as (venue, exchange):
        await exchange.load_markets()
        price = float(venue.price("KRW-BTC") * 2)  # far above the market: fills at its price
        placed = await exchange.create_order(
            "BTC/KRW", "limit", "buy", 0.001, price, {"identifier": "LT-1"}
        )
        clock.at += 5
        raw = await exchange.private_get_order({"identifier": "LT-1"})
        balance = await exchange.fetch_balance()

    assert (placed["status"], placed["filled"], placed["clientOrderId"]) == ("open", 0.0005, "LT-1")
    assert (raw["state"], Decimal(raw["executed_volume"]), len(raw["trades"])) == (
        "done",
        Decimal("0.001"),
        2,
    )
    funds = sum(Decimal(t["funds"]) for t in raw["trades"])
    assert Decimal(str(balance["KRW"]["total"])) == 10_000_000 - funds - Decimal(raw["paid_fee"])
    assert balance["BTC"]["total"] == 0.001


async def test_an_identifier_is_used_once_even_after_the_order_was_refused() -> None:
    async with upbit() as (venue, exchange):
        await exchange.load_markets()
        price = float(venue.price("KRW-BTC"))
        with pytest.raises(ccxt.InsufficientFunds):
            await exchange.create_order("BTC/KRW", "limit", "buy", 1, price, {"identifier": "X"})
        with pytest.raises(ccxt.ExchangeError, match="identifier X was used"):
            await exchange.create_order(
                "BTC/KRW", "limit", "buy", 0.0001, price, {"identifier": "X"}
            )
        # ccxt leaves Upbit's minimum order value unmapped: the gateway reads the name.
        too_small = float(MIN_TOTAL) / price / 2
        with pytest.raises(ccxt.ExchangeError, match="under_min_total_bid"):
            await exchange.create_order("BTC/KRW", "limit", "buy", too_small, price)


async def test_ccxts_unified_lookup_by_identifier_misses_where_upbits_own_endpoint_finds() -> None:
    async with upbit() as (venue, exchange):
        await exchange.load_markets()
        price = float(venue.price("KRW-BTC"))
        await exchange.create_order("BTC/KRW", "limit", "buy", 0.0001, price, {"identifier": "C-7"})

        # ccxt 4.5.90 sends ``uuid=None&identifier=…``: Upbit looks the uuid up, and misses.
        with pytest.raises(ccxt.OrderNotFound):
            await exchange.fetch_order(None, "BTC/KRW", {"identifier": "C-7"})
        found = await exchange.private_get_order({"identifier": "C-7"})

    assert found["identifier"] == "C-7"


async def test_the_venue_runs_in_its_own_process_and_keeps_the_account_across_a_kill(
    tmp_path: Path,
) -> None:
    state = tmp_path / "upbit.json"
    command = [sys.executable, "-m", "tests.venues", "upbit", "--port", "0", "--key", KEY,
               "--secret", SECRET, "--state", str(state), "--liquidity", "100"]  # fmt: skip

    async def started() -> tuple[asyncio.subprocess.Process, str]:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("upbit venue on http://127.0.0.1:"), line
        return process, line.split(" on ")[1].strip()

    process, base = await started()
    exchange = client(base)
    try:
        await exchange.load_markets()
        ticker = await exchange.fetch_ticker("XRP/KRW")
        await exchange.create_order(
            "XRP/KRW", "limit", "buy", 10, ticker["last"] * 2, {"identifier": "K-1"}
        )
        before = await exchange.fetch_balance()
    finally:
        await exchange.close()
        process.send_signal(signal.SIGKILL)
        await process.wait()

    process, base = await started()
    exchange = client(base)
    try:
        found = await exchange.private_get_order({"identifier": "K-1"})
        after = await exchange.fetch_balance()
        with pytest.raises(ccxt.ExchangeError, match="identifier K-1 was used"):
            await exchange.create_order("XRP/KRW", "limit", "buy", 10, 800, {"identifier": "K-1"})
    finally:
        await exchange.close()
        process.send_signal(signal.SIGTERM)
        await process.wait()

    assert found["state"] == "done"
    assert after["XRP"]["total"] == before["XRP"]["total"] == 10
    assert after["KRW"]["total"] == before["KRW"]["total"]


async def switch(base: str, fault: str, times: int = 1, seconds: float | None = None) -> None:
    """Switch one of the venue's faults on (its test hook, not Upbit's API)."""
    async with aiohttp.ClientSession() as session:
        body = {"fault": fault, "times": times, "seconds": seconds}
        async with session.post(f"{base}/_venue/faults", json=body) as answer:
            assert answer.status == 200, await answer.text()


async def test_over_the_groups_limit_upbit_answers_429_and_then_bans_with_418() -> None:
    async with upbit() as (venue, _), serving(venue) as base, aiohttp.ClientSession() as http:
        left = []
        for _ in range(10):  # quotation: 10 a second
            async with http.get(f"{base}/v1/ticker?markets=KRW-BTC") as answer:
                assert answer.status == 200
                left.append(answer.headers["Remaining-Req"].split("sec=")[1])
        statuses = []
        for _ in range(8):
            async with http.get(f"{base}/v1/ticker?markets=KRW-BTC") as answer:
                statuses.append(answer.status)

    assert left == [str(n) for n in range(9, -1, -1)], "Remaining-Req counts down"
    assert statuses[:5] == [429] * 5
    assert set(statuses[5:]) == {418}, "requests that keep coming while refused get banned"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("rate_limit", ccxt.RateLimitExceeded),
        ("ban", ccxt.DDoSProtection),
        ("server_error", ccxt.ExchangeNotAvailable),
        ("drop", ccxt.NetworkError),
        ("hang", ccxt.RequestTimeout),
    ],
)
async def test_each_fault_reaches_ccxt_as_the_error_a_venue_would_give(
    fault: str, error: type[Exception]
) -> None:
    async with upbit() as (venue, exchange), serving(venue) as base:
        exchange.timeout = 300
        # aiohttp sends a GET again once when its connection drops: drop it twice.
        await switch(
            base, fault, times=2 if fault == "drop" else 1, seconds=1.0 if fault == "hang" else 30
        )
        with pytest.raises(error):
            await exchange.fetch_balance()


async def test_an_order_whose_answer_is_lost_stands_and_is_found_by_its_identifier() -> None:
    async with upbit() as (venue, exchange), serving(venue) as base:
        await exchange.load_markets()
        price = float(venue.price("KRW-BTC"))
        await switch(base, "lose_answer")
        with pytest.raises(ccxt.NetworkError):
            await exchange.create_order(
                "BTC/KRW", "limit", "buy", 0.0001, price, {"identifier": "LOST-1"}
            )

        found = await exchange.private_get_order({"identifier": "LOST-1"})

    assert found["identifier"] == "LOST-1", "asked, not sent again: the outcome is known"
    assert len(venue.orders) == 1


async def test_quotes_and_one_second_candles_stream_by_websocket_until_it_goes_silent() -> None:
    async with upbit() as (venue, _), serving(venue) as base:
        stream = ccxt_pro.upbit(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "urls": {
                    "api": {"public": base, "private": base, "ws": f"ws{base[4:]}/websocket/v1"}
                },
            }
        )
        try:
            ticker = await asyncio.wait_for(stream.watch_ticker("BTC/KRW"), 5)
            candles = await asyncio.wait_for(stream.watch_ohlcv("BTC/KRW", "1s"), 5)
            await switch(base, "silent")  # the socket stays open and says nothing more
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(stream.watch_ticker("BTC/KRW"), 2.5)
        finally:
            await stream.close()

    assert ticker["last"] == float(venue.price("KRW-BTC"))
    assert candles, "ccxt.pro streams Upbit's candles of one second only: a minute is built"
