"""``UpbitGateway``: the ccxt gateway as Upbit needs it.

- An order is looked up and cancelled by our id through Upbit's own ``GET``/``DELETE
  /v1/order?identifier=``: ccxt 4.5.90's unified calls by client order id send
  ``uuid=&clientOrderId=``, which Upbit does not read.
- A balance row carries ``avg_buy_price``: a holding's average price is Upbit's.
- ``Remaining-Req: group=…; min=…; sec=N`` says how many requests of the group are left in the
  second: at zero the group waits for the next second.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from livetrader_gui.adapters.brokers.ccxt.exact import isolated, number
from livetrader_gui.adapters.brokers.ccxt.gateway import CcxtGateway
from livetrader_gui.application.ports import BrokerPosition

_REMAINING = re.compile(r"group=([\w-]+).*?sec=(\d+)")


class UpbitGateway(CcxtGateway):
    """The ccxt gateway on Upbit (``venues.UPBIT``)."""

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
