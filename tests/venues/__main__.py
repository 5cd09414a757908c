"""Run a local venue in its own process: ``python -m tests.venues upbit --port 8601 --key K
--secret S --seed 1 [--state FILE]`` (or ``binance --port 8602 …``). It prints the address it
serves (``--port 0``: a free port) and serves until it is stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from decimal import Decimal
from pathlib import Path

from aiohttp import web

from tests.venues import binance, upbit


def application(args: argparse.Namespace) -> web.Application:
    state = Path(args.state) if args.state else None
    if args.venue == "binance":
        return binance.make_app(
            binance.BinanceVenue(
                args.key, args.secret, seed=args.seed, usdt=Decimal(args.usdt),
                bnb=Decimal(args.bnb), bnb_fees=args.bnb_fees,
                liquidity=Decimal(args.liquidity), state=state,
            )
        )  # fmt: skip
    return upbit.make_app(
        upbit.UpbitVenue(
            args.key, args.secret, seed=args.seed, krw=Decimal(args.krw),
            liquidity=Decimal(args.liquidity), state=state,
        )
    )  # fmt: skip


async def serve(args: argparse.Namespace) -> None:
    runner = web.AppRunner(application(args), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = runner.addresses[0][1]
    print(f"{args.venue} venue on http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.venues", description=__doc__)
    parser.add_argument("venue", choices=["upbit", "binance"])
    parser.add_argument("--port", type=int, default=8601, help="0: any free port")
    parser.add_argument("--key", required=True, help="the access key the venue accepts")
    parser.add_argument("--secret", required=True, help="the secret key it signs with")
    parser.add_argument("--seed", type=int, default=1, help="the market's random walk")
    parser.add_argument("--state", default=None, help="a file that keeps the account")
    parser.add_argument("--krw", default="10000000", help="Upbit: the account's KRW at the start")
    parser.add_argument("--usdt", default="100000", help="Binance: the account's USDT at start")
    parser.add_argument("--bnb", default="0", help="Binance: the account's BNB at the start")
    parser.add_argument("--bnb-fees", action="store_true", help="Binance: pay fees with BNB")
    parser.add_argument("--liquidity", default="1", help="base currency filled a second")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a rehearsal ends
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
