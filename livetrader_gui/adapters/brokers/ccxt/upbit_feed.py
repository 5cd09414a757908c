"""``UpbitFeed``: Upbit's quotation websocket as the app's market-data stream.

One socket carries every symbol: ``ticker`` (the last trade), ``orderbook`` (the best bid and
ask) and ``candle.1s``. A quote is pushed whenever the last trade or the book changes; a
one-minute candle is built from the minute's one-second candles and pushed as soon as a second
of a later minute arrives. The minute in progress when the socket opened was seen only in part:
it is read by REST once it has closed. A minute without trades has no candle, at Upbit as here.

Upbit sends each second's candle again as trades come within the second; the last one sent is
the second's. The socket is read here rather than through ccxt.pro's ``watch_*``: ccxt.pro
parses a frame's numbers into floats (a price of 17 significant digits loses its last ones),
and following many symbols on three channels would take a watcher per symbol and channel,
where Upbit's protocol is one subscription message and three kinds of frame.

JSON numbers are kept as the venue's text (``parse_float=str``). The stream ends with
``BrokerConnectionError`` when the socket closes; a socket that stays open but goes silent is
caught by the market-data hub's watchdog, which drops and renews the subscription.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp

from livetrader_gui.adapters.brokers.ccxt.exact import number, optional_number
from livetrader_gui.application.ports import BrokerConnectionError, BrokerError, IBrokerGateway
from livetrader_gui.domain import Candle, Quote

_log = logging.getLogger(__name__)
MINUTE = timedelta(minutes=1)
UPBIT_WEBSOCKET = "wss://api.upbit.com/websocket/v1"


@dataclass
class _Minute:
    """The one-second candles of one minute, by second, the newest of each second kept."""

    start: datetime
    whole: bool  # False: the socket opened during this minute
    seconds: dict[datetime, tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]

    def candle(self, symbol: str) -> Candle | None:
        if not self.seconds:
            return None
        ordered = [self.seconds[s] for s in sorted(self.seconds)]
        return Candle(
            symbol,
            self.start,
            ordered[0][0],
            max(s[1] for s in ordered),
            min(s[2] for s in ordered),
            ordered[-1][3],
            sum((s[4] for s in ordered), Decimal(0)),
        )


class UpbitFeed:
    """An ``IMarketDataFeed`` over Upbit's quotation websocket at *url*; *gateway* reads by
    REST the minute that was in progress when the socket opened."""

    def __init__(self, gateway: IBrokerGateway, url: str = UPBIT_WEBSOCKET) -> None:
        self._gateway = gateway
        self._url = url

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote | Candle]:
        codes = list(dict.fromkeys(symbols))
        request = [
            {"ticket": f"livetrader-{uuid.uuid4()}"},
            {"type": "ticker", "codes": codes},
            {"type": "orderbook", "codes": codes},
            {"type": "candle.1s", "codes": codes},
            {"format": "DEFAULT"},
        ]
        venue = self._gateway.display_name
        last: dict[str, dict[str, Any]] = {}
        books: dict[str, tuple[Decimal, Decimal]] = {}
        minutes: dict[str, _Minute] = {}
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(self._url, heartbeat=30) as socket,
            ):
                await socket.send_str(json.dumps(request))
                async for message in socket:
                    if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                        break
                    data = json.loads(message.data, parse_float=str)
                    if not isinstance(data, dict) or data.get("code") not in codes:
                        continue
                    kind, code = data.get("type"), str(data["code"])
                    if kind == "candle.1s":
                        for candle in await self._second(code, data, minutes):
                            yield candle
                        continue
                    if kind == "ticker":
                        last[code] = data
                    elif kind == "orderbook":
                        units = data.get("orderbook_units") or []
                        if not units:
                            continue
                        best = units[0]
                        books[code] = (
                            number(best.get("bid_price"), f"{code} bid"),
                            number(best.get("ask_price"), f"{code} ask"),
                        )
                    quote = self._quote(code, last.get(code), books.get(code))
                    if quote is not None:
                        yield quote
        except aiohttp.ClientError as error:
            raise BrokerConnectionError(f"{venue}'s market-data socket failed: {error}") from None
        except ValueError as error:
            raise BrokerError(f"{venue} sent market data that cannot be read: {error}") from None
        raise BrokerConnectionError(f"{venue} closed the market-data socket")

    def _quote(
        self, code: str, ticker: dict[str, Any] | None, book: tuple[Decimal, Decimal] | None
    ) -> Quote | None:
        if ticker is None or book is None:
            return None
        volume = ticker.get("acc_trade_volume_24h", ticker.get("acc_trade_volume"))
        return Quote(
            symbol=code,
            bid=book[0],
            ask=book[1],
            last=number(ticker.get("trade_price"), f"{code} last price"),
            at=_at(ticker.get("timestamp")),
            volume=optional_number(volume, f"{code} volume") or Decimal(0),
            previous_close=optional_number(ticker.get("prev_closing_price"), f"{code} close"),
        )

    async def _second(
        self, code: str, data: dict[str, Any], minutes: dict[str, _Minute]
    ) -> list[Candle]:
        """Keep one second's candle; return the minutes it shows have closed."""
        second = datetime.fromisoformat(str(data["candle_date_time_utc"])).replace(tzinfo=UTC)
        start = second.replace(second=0, microsecond=0)
        values = tuple(
            number(data.get(field), f"{code} one-second candle {field}")
            for field in (
                "opening_price", "high_price", "low_price", "trade_price",
                "candle_acc_trade_volume",
            )
        )  # fmt: skip
        closed: list[Candle] = []
        current = minutes.get(code)
        if current is None:
            current = minutes[code] = _Minute(start, False, {})
        if start > current.start:
            if current.whole:
                made = current.candle(code)
                if made is not None:
                    closed.append(made)
            else:
                closed.extend(await self._read(code, current.start))
            current = minutes[code] = _Minute(start, True, {})
        if start == current.start:
            current.seconds[second] = values  # type: ignore[assignment]
        return closed

    async def _read(self, code: str, start: datetime) -> list[Candle]:
        """Read by REST the minute the socket saw only in part (left to the sessions, which
        fill a gap in their candles, when the venue cannot answer now)."""
        try:
            return await self._gateway.get_historical_candles(code, start, start + MINUTE)
        except BrokerError as error:
            _log.warning("%s %s: the minute of %s is left to the sessions: %s",
                         self._gateway.broker_id, code, start, error)  # fmt: skip
            return []


def _at(stamp: object) -> datetime:
    if not isinstance(stamp, int | str):
        raise ValueError(f"a timestamp was expected, got {stamp!r}")
    return datetime.fromtimestamp(int(stamp) / 1000, UTC)
