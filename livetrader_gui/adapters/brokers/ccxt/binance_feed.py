"""``BinanceFeed``: Binance's market streams as the app's market-data stream.

One combined-stream socket (``/stream?streams=…``) carries, for every symbol, ``<symbol>@ticker``
(the rolling day: last price, best bid and ask, volume, pushed each second) and
``<symbol>@kline_1m`` (the minute's candle, pushed as it changes; its last push says
``"x": true``, closed). A quote is pushed with each ticker; a candle when Binance says its minute
closed. Binance builds the minute itself, so a socket that opens mid-minute still receives the
whole minute. A minute whose closing push was missed (the socket closed just then) is left to
the sessions, which fill gaps in their candles by REST.

The socket is read here rather than through ccxt.pro's ``watch_*``, for the reasons
``upbit_feed`` gives: ccxt.pro parses numbers into floats, and takes a watcher per symbol and
channel. Numbers are kept as the venue's text. The stream ends with ``BrokerConnectionError``
when the socket closes (Binance closes every connection after 24 hours); a socket that stays
open but goes silent is caught by the market-data hub's watchdog.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp

from livetrader_gui.adapters.brokers.ccxt.exact import number, optional_number
from livetrader_gui.application.ports import BrokerConnectionError, BrokerError, IBrokerGateway
from livetrader_gui.domain import Candle, Quote


class BinanceFeed:
    """An ``IMarketDataFeed`` over Binance's combined market streams at *url* (``…/stream``)."""

    def __init__(self, gateway: IBrokerGateway, url: str) -> None:
        self._gateway = gateway
        self._url = url

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        codes = list(dict.fromkeys(symbols))
        names = {code.lower(): code for code in codes}
        streams = "/".join(f"{c.lower()}@{kind}" for c in codes for kind in ("ticker", "kline_1m"))
        venue = self._gateway.display_name
        closed: dict[str, datetime] = {}  # symbol -> the newest minute pushed
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{self._url}?streams={streams}", heartbeat=30) as socket,
            ):
                async for message in socket:
                    if message.type is not aiohttp.WSMsgType.TEXT:
                        break
                    frame = json.loads(message.data, parse_float=str)
                    data = frame.get("data") if isinstance(frame, dict) else None
                    if not isinstance(data, dict):
                        continue
                    code = names.get(str(data.get("s", "")).lower())
                    if code is None:
                        continue
                    if data.get("e") == "24hrTicker":
                        yield _quote(code, data)
                    elif data.get("e") == "kline":
                        candle = _candle(code, data.get("k") or {})
                        if candle is not None and candle.start > closed.get(code, _EPOCH):
                            closed[code] = candle.start
                            yield candle
        except aiohttp.ClientError as error:
            raise BrokerConnectionError(f"{venue}'s market-data socket failed: {error}") from None
        except (ValueError, KeyError) as error:
            raise BrokerError(f"{venue} sent market data that cannot be read: {error}") from None
        raise BrokerConnectionError(f"{venue} closed the market-data socket")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _quote(code: str, data: dict[str, Any]) -> Quote:
    return Quote(
        symbol=code,
        bid=number(data.get("b"), f"{code} bid"),
        ask=number(data.get("a"), f"{code} ask"),
        last=number(data.get("c"), f"{code} last price"),
        at=_at(data.get("E")),
        volume=optional_number(data.get("v"), f"{code} volume") or Decimal(0),
        previous_close=optional_number(data.get("x"), f"{code} previous close"),
    )


def _candle(code: str, kline: dict[str, Any]) -> Candle | None:
    """Return a kline that has closed as a candle; None while its minute goes on."""
    if kline.get("x") is not True:
        return None
    open_, high, low, close, volume = (
        number(kline.get(k), f"{code} candle {k}") for k in ("o", "h", "l", "c", "v")
    )
    return Candle(code, _at(kline.get("t")), open_, high, low, close, volume)


def _at(stamp: object) -> datetime:
    if not isinstance(stamp, int | str):
        raise ValueError(f"a timestamp was expected, got {stamp!r}")
    return datetime.fromtimestamp(int(stamp) / 1000, UTC)
