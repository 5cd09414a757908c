"""What differs between the venues the ccxt gateway trades, and where ccxt is wrong for them.

ccxt gives one API for every venue, but not every venue fits it:

- **Upbit** prices KRW markets on a price-dependent grid (its "order price unit" table), which
  ccxt's ``precision`` cannot express (ccxt 4.5.90 gives ``1e-8`` for every market): the table
  is kept here from Upbit's documentation. Upbit's market buy spends an amount of KRW (``ord_type
  price``), not a quantity, so a market buy of a quantity is sent as a limit order at the best
  ask plus a protection band: it trades at the market's prices, never above the band, and
  whatever the band does not reach rests until it is cancelled. ccxt 4.5.90's unified lookups by
  client order id send ``uuid=&clientOrderId=``, which Upbit does not read: an order is looked up
  and cancelled through Upbit's own ``GET``/``DELETE /v1/order?identifier=``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from livetrader_gui.domain import ClientOrderIds, TickBand, TickTable

# Upbit's KRW market price units (docs.upbit.com, "원화 마켓 주문 가격 단위"), lowest band first.
_UPBIT_KRW_UNITS = (
    ("0", "0.00000001"), ("0.0001", "0.0000001"), ("0.001", "0.000001"), ("0.01", "0.00001"),
    ("0.1", "0.0001"), ("1", "0.001"), ("10", "0.01"), ("100", "0.1"), ("1000", "1"),
    ("10000", "10"), ("100000", "50"), ("500000", "100"), ("1000000", "500"),
    ("2000000", "1000"),
)  # fmt: skip
UPBIT_KRW_TICKS = TickTable(
    tuple(TickBand(Decimal(low), Decimal(tick)) for low, tick in _UPBIT_KRW_UNITS)
)
UPBIT_BTC_TICKS = TickTable.fixed("0.00000001")


@dataclass(frozen=True, slots=True)
class QuoteMarket:
    """One of a venue's quote currencies: its price grid and smallest order value."""

    ticks: TickTable
    min_notional: Decimal


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """A venue as the gateway trades it through ccxt."""

    ccxt_id: str  # ccxt's exchange id
    broker_id: str  # the registry key, e.g. "UPBIT"
    display_name: str
    real_money: bool  # False: a testnet, whose money is not real
    client_order_ids: ClientOrderIds
    client_order_id_param: str  # the name ccxt's create_order passes the venue our id in
    quote_markets: dict[str, QuoteMarket]  # the quote currencies traded here, and their rules
    market_buy_band: Decimal | None  # a market buy goes as a limit this far above the ask
    fee_rate: Decimal  # the taker fee, when the venue's answer gives none per fill
    # The venue's request families (``Remaining-Req`` groups, or one for every request).
    groups: dict[str, str]
    # Seconds a first ban (418) keeps the gateway away when the venue does not say; each ban
    # in a row doubles it.
    first_ban: float = 60.0

    def commission(self, cost: Decimal) -> Decimal:
        """Return the fee on a fill worth *cost*, to the venue's 8 decimals (a fill's fee is
        fixed by the fill alone, so it reads the same at every lookup)."""
        return (cost * self.fee_rate).quantize(Decimal("0.00000001"), ROUND_HALF_UP)

    def group(self, method: str) -> str:
        """Return the request family *method*'s requests count in."""
        return self.groups.get(method, "default")


# Upbit's identifier is free text; a uuid-sized id with our prefix leaves it room.
UPBIT_CLIENT_ORDER_IDS = ClientOrderIds(prefix="LT-", max_length=36, allowed="A-Za-z0-9_-")

UPBIT = VenueProfile(
    ccxt_id="upbit",
    broker_id="UPBIT",
    display_name="Upbit",
    real_money=True,
    client_order_ids=UPBIT_CLIENT_ORDER_IDS,
    client_order_id_param="clientOrderId",
    quote_markets={
        # The smallest order: 5,000 KRW, and 0.00005 BTC on the BTC market (Upbit's FAQ).
        "KRW": QuoteMarket(UPBIT_KRW_TICKS, Decimal(5000)),
        "BTC": QuoteMarket(UPBIT_BTC_TICKS, Decimal("0.00005")),
    },
    market_buy_band=Decimal("0.01"),
    fee_rate=Decimal("0.0005"),  # 0.05 % on the KRW market
    groups={
        "get_latest_quote": "market",
        "get_recent_candles": "market",
        "get_historical_candles": "market",
        "get_instruments": "market",
        "get_instrument": "market",
        "place_order": "order",
        "cancel_order": "order",
    },
)


def upbit_market_name(market: dict[str, Any]) -> str:
    """Return a market's name as Upbit shows it in English, or its code."""
    info = market.get("info") or {}
    name = info.get("english_name") if isinstance(info, dict) else None
    return str(name or market.get("base") or market["id"])
