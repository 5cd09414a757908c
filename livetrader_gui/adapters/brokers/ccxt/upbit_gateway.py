"""``UpbitGateway``: the ccxt gateway as Upbit needs it.

- An order is looked up and cancelled by our id through Upbit's own ``GET``/``DELETE
  /v1/order?identifier=``: ccxt 4.5.90's unified calls by client order id send
  ``uuid=&clientOrderId=``, which Upbit does not read.
- A balance row carries ``avg_buy_price``: a holding's average price is Upbit's.
- ``Remaining-Req: group=…; min=…; sec=N`` says how many requests of the group are left in the
  second: at zero the group waits for the next second.
- The account's own orders come by Upbit's private websocket (``/websocket/v1/private``,
  authenticated by a JWT as a request without a query): each ``myOrder`` push (placed, each
  fill, done, cancelled) keeps the order as ``account_stream.StreamedOrders``, and a lookup of an
  order followed since its placement costs no request. The balances read are kept until a
  ``myAsset`` push says they changed (the push tells no average buy price: a change is read).
  Upbit's REST gives a fill's time to the second; a pushed fill's time is cut to the second
  too, so both tell the same fill alike.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from livetrader_gui.adapters.brokers.ccxt.account_stream import StreamedOrders
from livetrader_gui.adapters.brokers.ccxt.exact import isolated, number
from livetrader_gui.adapters.brokers.ccxt.gateway import CcxtGateway
from livetrader_gui.application.ports import BrokerPosition

_REMAINING = re.compile(r"group=([\w-]+).*?sec=(\d+)")


# ccxt's order status for each of Upbit's order states
_STATUS = {"wait": "open", "watch": "open", "trade": "open", "done": "closed",
           "cancel": "canceled"}  # fmt: skip


class UpbitGateway(CcxtGateway):
    """The ccxt gateway on Upbit (``venues.UPBIT``); *account_stream* is the private
    websocket's address (None: orders are only asked by REST)."""

    async def _follow(self, orders: StreamedOrders) -> None:
        """Subscribe to the account's orders and apply each push to *orders* until the
        socket closes."""
        assert self._stream_url is not None
        exchange = self._exchange
        claims = {"access_key": exchange.apiKey, "nonce": str(uuid.uuid4())}
        token = exchange.jwt(claims, exchange.encode(exchange.secret), "sha256")
        subscription = [{"ticket": f"livetrader-{uuid.uuid4()}"}, {"type": "myOrder"},
                        {"type": "myAsset"}, {"format": "DEFAULT"}]  # fmt: skip
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                self._stream_url, headers={"Authorization": f"Bearer {token}"}, heartbeat=30
            ) as socket,
        ):
            await socket.send_str(json.dumps(subscription))
            # Upbit does not acknowledge a subscription: an order is followed from the first
            # push of its placement that comes, and one whose placement was missed is asked.
            orders.live = True
            async for message in socket:
                if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    break
                data = json.loads(message.data, parse_float=str)
                if not isinstance(data, dict):
                    continue
                orders.heard += 1
                if data.get("type") == "myOrder":
                    self._apply(orders, data)
                elif data.get("type") == "myAsset":
                    orders.balances_stale()

    def _apply(self, orders: StreamedOrders, data: dict[str, Any]) -> None:
        """Keep one ``myOrder`` push in ccxt's order shape."""
        market, cid = self._markets.get(str(data.get("code"))), data.get("identifier")
        if market is None or not cid:
            return  # not a market traded here, or not an order of ours
        unified, state = market["symbol"], str(data.get("state"))
        if state in ("wait", "watch"):
            kind = "limit" if data.get("order_type") == "limit" else "market"
            orders.placed({
                "id": str(data.get("uuid")), "clientOrderId": str(cid), "symbol": unified,
                "side": "buy" if data.get("ask_bid") == "BID" else "sell", "type": kind,
                "amount": data.get("volume"),
                "price": data.get("price") if kind == "limit" else None, "status": "open",
                "filled": data.get("executed_volume"), "timestamp": data.get("order_timestamp"),
            })  # fmt: skip
            return
        if state == "trade":
            stamp = data.get("trade_timestamp")
            orders.filled(str(cid), {
                "id": str(data.get("trade_uuid")), "amount": data.get("volume"),
                "price": data.get("price"), "symbol": unified,
                "timestamp": None if stamp is None else int(stamp) // 1000 * 1000,
            })  # fmt: skip
        orders.changed(str(cid), {"status": _STATUS.get(state, "open"),
                                  "filled": data.get("executed_volume")})  # fmt: skip

    async def _look_up(self, client_order_id: str, symbol: str | None) -> dict[str, Any]:
        raw = await self._exchange.private_get_order({"identifier": client_order_id})
        with isolated():
            order: dict[str, Any] = self._exchange.parse_order(raw)
        return order

    async def _cancel(self, client_order_id: str, symbol: str | None) -> None:
        await self._exchange.private_delete_order({"identifier": client_order_id})

    def _holdings(self, balance: dict[str, Any]) -> list[BrokerPosition]:
        positions = []
        for row in balance.get("info") or []:
            currency = str(row.get("currency"))
            unit = str(row.get("unit_currency") or self._profile.cash_currency)
            quantity = number(row.get("balance", "0"), f"{currency} balance") + number(
                row.get("locked", "0"), f"{currency} locked"
            )
            symbol = f"{unit}-{currency}"
            if currency == unit or quantity <= 0 or symbol not in self._markets:
                continue
            average = number(row.get("avg_buy_price", "0"), f"{currency} average price")
            positions.append(BrokerPosition(symbol, quantity, average))
        return positions

    def _read_limits(
        self, headers: dict[str, str], now: datetime
    ) -> list[tuple[str, int, datetime]]:
        found = _REMAINING.search(headers.get("remaining-req", ""))
        if found is None:
            return []
        return [(found.group(1), int(found.group(2)), now + timedelta(seconds=1))]

    def _market_name(self, market: dict[str, Any]) -> str:
        """Return a market's name as Upbit shows it in English, or its code."""
        info = market.get("info") or {}
        name = info.get("english_name") if isinstance(info, dict) else None
        return str(name or market.get("base") or market["id"])
