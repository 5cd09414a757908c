"""``BinanceGateway``: the ccxt gateway as Binance Spot needs it.

- Binance files orders by symbol: a lookup (``GET /api/v3/order``) and a cancel (``DELETE``)
  name it with our id (``origClientOrderId``). The symbol is the one the order was sent for,
  or the one the engine gives (``get_order(…, symbol=)``): an id alone cannot be looked up.
- A lookup lists no fills: an order that has filled is read with its trades (``myTrades`` by
  ``orderId``). Binance takes each fee in the asset received, or in BNB when the account pays
  fees with BNB. A fee in the coin bought is what the venue kept of the fill
  (``Fill.fee_quantity``): the account holds that much less. A fee in the cash is money; one in
  BNB is valued at the standard fee, 25 % off, on the fill's value, which fixes it by the fill
  alone (a BNB price would change it at every lookup).
- Every answer says how much of the minute's request weight is used
  (``X-MBX-USED-WEIGHT-1M``); when none is left, requests wait for the next minute.
- The account's own orders come by Binance's WebSocket API (``userDataStream.subscribe
  .signature``, signed as REST is): each ``executionReport`` (placed, each fill with its fee,
  cancelled, expired) keeps the order as ``account_stream.StreamedOrders``, and a lookup of an
  order the stream has followed since its placement costs no request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import aiohttp

from livetrader_gui.adapters.brokers.ccxt.account_stream import StreamedOrders
from livetrader_gui.adapters.brokers.ccxt.exact import number
from livetrader_gui.adapters.brokers.ccxt.gateway import CcxtGateway, VenueRefusedError
from livetrader_gui.application.ports import BrokerError
from livetrader_gui.domain import TradeDirection

BNB_DISCOUNT = Decimal("0.75")  # a fee paid with BNB is 25 % off


def _cents(value: Decimal) -> Decimal:
    """Return *value* to the venue's 8 decimals."""
    return value.quantize(Decimal("0.00000001"), ROUND_HALF_UP)


# ccxt's order status for each of Binance's
_STATUS = {"NEW": "open", "PARTIALLY_FILLED": "open", "FILLED": "closed",
           "CANCELED": "canceled", "EXPIRED": "expired", "REJECTED": "rejected",
           "EXPIRED_IN_MATCH": "expired"}  # fmt: skip


class BinanceGateway(CcxtGateway):
    """The ccxt gateway on Binance Spot (``venues.BINANCE``, ``venues.BINANCE_TESTNET``);
    *account_stream* is the WebSocket API's address (None: orders are only asked by REST)."""

    async def _follow(self, orders: StreamedOrders) -> None:
        """Subscribe to the account's events and apply each to *orders* until the socket
        closes."""
        assert self._stream_url is not None
        exchange = self._exchange
        params: dict[str, Any] = {"apiKey": exchange.apiKey, "timestamp": exchange.milliseconds()}
        signed = "&".join(f"{key}={params[key]}" for key in sorted(params))
        params["signature"] = hmac.new(
            str(exchange.secret).encode(), signed.encode(), hashlib.sha256
        ).hexdigest()
        request = {"id": "subscribe", "method": "userDataStream.subscribe.signature",
                   "params": params}  # fmt: skip
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self._stream_url, heartbeat=30) as socket,
        ):
            await socket.send_str(json.dumps(request))
            async for message in socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data, parse_float=str)
                if not isinstance(data, dict):
                    continue
                if data.get("id") == "subscribe":
                    if data.get("status") != 200:
                        refused = (data.get("error") or {}).get("msg") or data.get("status")
                        raise BrokerError(f"the account's stream was refused: {refused}")
                    orders.live = True
                    continue
                event = data.get("event")
                if not isinstance(event, dict):
                    continue
                orders.heard += 1
                if event.get("e") == "executionReport":
                    self._apply(orders, event)
                elif event.get("e") == "outboundAccountPosition":
                    orders.balances_changed(
                        {str(b["a"]): (str(b["f"]), str(b["l"])) for b in event.get("B") or []}
                    )

    def _apply(self, orders: StreamedOrders, event: dict[str, Any]) -> None:
        """Keep one ``executionReport`` in ccxt's order shape."""
        market = self._markets.get(str(event.get("s")))
        if market is None:
            return
        unified, execution = market["symbol"], event.get("x")
        # A cancel's report carries the cancel's own id, and the order's as the original.
        cid = str(event.get("C") or event.get("c")) if execution == "CANCELED" else str(event["c"])
        status = _STATUS.get(str(event.get("X")), "open")
        if execution == "NEW":
            kind = str(event.get("o")).lower()
            orders.placed({
                "id": str(event["i"]), "clientOrderId": cid, "symbol": unified,
                "side": str(event.get("S")).lower(), "type": kind, "amount": event.get("q"),
                "price": None if kind == "market" else event.get("p"), "status": status,
                "filled": event.get("z"), "timestamp": event.get("O"),
            })  # fmt: skip
            return
        if execution == "TRADE":
            orders.filled(cid, {
                "id": str(event["t"]), "amount": event.get("l"), "price": event.get("L"),
                "fee": {"cost": event.get("n"), "currency": event.get("N")},
                "timestamp": event.get("T"), "symbol": unified,
            })  # fmt: skip
        orders.changed(cid, {"status": status, "filled": event.get("z"),
                             "lastTradeTimestamp": event.get("T")})  # fmt: skip

    def _needs(self, client_order_id: str, symbol: str | None) -> str:
        if symbol is None:
            raise VenueRefusedError(
                f"{self.display_name} looks orders up by symbol, and order {client_order_id}'s "
                "is not known",
                None,
                f"the symbol of order {client_order_id} is not known",
            )
        return symbol

    async def _look_up(self, client_order_id: str, symbol: str | None) -> dict[str, Any]:
        unified = self._needs(client_order_id, symbol)
        order: dict[str, Any] = await self._exchange.fetch_order(
            None, unified, {"origClientOrderId": client_order_id}
        )
        if order.get("filled") not in (None, "0", 0) and not order.get("trades"):
            trades = await self._exchange.fetch_my_trades(
                unified, None, None, {"orderId": order["id"]}
            )
            order = {**order, "trades": trades}
        return order

    async def _cancel(self, client_order_id: str, symbol: str | None) -> None:
        unified = self._needs(client_order_id, symbol)
        await self._exchange.cancel_order(None, unified, {"origClientOrderId": client_order_id})

    def _fee(
        self, trade: dict[str, Any], fill: tuple[TradeDirection, Decimal, Decimal], what: str
    ) -> tuple[Decimal, Decimal]:
        fee = trade.get("fee") or {}
        cost, currency = fee.get("cost"), fee.get("currency")
        if cost is None:
            return super()._fee(trade, fill, what)
        paid = number(cost, f"{what} fill fee")
        direction, quantity, price = fill
        market = self._markets.get(self._code(trade.get("symbol")), {})
        if currency == market.get("quote") or paid == 0:
            return paid, Decimal(0)
        if currency == market.get("base"):
            if direction is TradeDirection.BUY:
                return Decimal(0), paid  # kept of the coin bought
            return _cents(paid * price), Decimal(0)
        return _cents(self._profile.commission(quantity * price) * BNB_DISCOUNT), Decimal(0)

    def _read_limits(
        self, headers: dict[str, str], now: datetime
    ) -> list[tuple[str, int, datetime]]:
        used, limit = headers.get("x-mbx-used-weight-1m"), self._profile.weight_per_minute
        if used is None or not used.isdigit() or limit is None:
            return []
        minute = math.floor(now.timestamp() / 60) * 60 + 60
        renews = datetime.fromtimestamp(minute, UTC)
        return [("default", limit - int(used), renews)]
