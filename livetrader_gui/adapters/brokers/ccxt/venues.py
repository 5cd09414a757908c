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
- **Binance** files orders by symbol: a lookup or a cancel names the symbol with our id
  (``origClientOrderId``), and an order's fills are read from ``myTrades``. Each market has its
  own tick size (PRICE_FILTER), which ccxt gives as the price precision. A market buy of a
  quantity is a Binance market order: no band is needed. ``newClientOrderId`` is unique among
  open orders only, so the gateway never sends an id twice (it looks it up). Binance's testnet
  is ccxt's sandbox mode; its money is not real.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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

    ticks: TickTable | None  # None: each market's own tick size
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
    cash_currency: str  # the account's cash, the quote of the markets positions are in
    not_found: frozenset[str]  # the venue's error names for "no such order"
    # Seconds a first ban (418) keeps the gateway away when the venue does not say; each ban
    # in a row doubles it.
    first_ban: float = 60.0
    testnet: bool = False  # ccxt's sandbox mode: the venue's test network
    # Requests one quote takes: the ticker, and the book where the ticker has no bid and ask.
    quote_requests: int = 1
    weight_per_minute: int | None = None  # request weight a minute, where the venue counts it
    # ccxt options the venue needs (e.g. which market types to load)
    options: dict[str, Any] = field(default_factory=dict)

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
    quote_requests=2,  # Upbit's ticker has no bid and ask: its book is read too
    fee_rate=Decimal("0.0005"),  # 0.05 % on the KRW market
    cash_currency="KRW",
    not_found=frozenset({"order_not_found"}),
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


# Binance takes up to 36 of ``.A-Z:/a-z0-9_-`` (``newClientOrderId``).
BINANCE_CLIENT_ORDER_IDS = ClientOrderIds(prefix="LT-", max_length=36, allowed="A-Za-z0-9_-")

BINANCE = VenueProfile(
    ccxt_id="binance",
    broker_id="BINANCE",
    display_name="Binance",
    real_money=True,
    client_order_ids=BINANCE_CLIENT_ORDER_IDS,
    client_order_id_param="clientOrderId",  # ccxt sends it as newClientOrderId
    # The smallest order is each market's NOTIONAL filter (5 USDT on the main markets).
    quote_markets={"USDT": QuoteMarket(None, Decimal(0))},
    market_buy_band=None,
    fee_rate=Decimal("0.001"),  # 0.1 %, the standard spot fee
    cash_currency="USDT",
    # -2013 "Order does not exist." (a lookup), -2011 "Unknown order sent." (a cancel)
    not_found=frozenset({"-2013", "-2011"}),
    groups={},  # every request counts in one weight a minute
    first_ban=120.0,  # Binance's first ban is two minutes
    weight_per_minute=6000,
    options={
        # Spot only: without these, ccxt also loads futures and margin markets.
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "defaultType": "spot",
        # The gateway asks for every symbol's open orders at once, knowing what it costs.
        "fetchOpenOrders": {"warnWithoutSymbol": False},
        "warnOnFetchOpenOrdersWithoutSymbol": False,
    },
)
BINANCE_TESTNET = replace(
    BINANCE, broker_id="BINANCE_TESTNET", display_name="Binance testnet", real_money=False,
    testnet=True,
)  # fmt: skip
