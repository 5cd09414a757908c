"""What each venue allows, as its documentation states, and the gateway wrapping that spends it.

A budget is a little inside the venue's published limit: a venue counts in its own windows,
and a request it refuses costs more (a wait, then a ban) than one we send a moment later.

- **Upbit** (REST API request limits): quotation requests 10 a second per IP; exchange
  requests 8 a second for orders, 30 a second for everything else, per account. The two
  families are limited apart, so a 429 on quotes does not stop orders.
- **Binance spot** (``/api/v3`` limits): request weight 6,000 a minute per IP, every
  request weighing what the documentation gives it; orders 50 per 10 seconds per account. A
  429 (or a 418 ban) is per IP: every request waits.

A token bucket of rate *r* and burst *b* sends at most ``b + r·w`` in any window of *w*
seconds, so every figure keeps that sum at the venue's limit: Upbit's orders 6/s with a burst
of 2 is 8 in any second; Binance's weight 80/s with a burst of 1,200 is 6,000 a minute, its
orders 4/s with 10 are 50 per 10 s.
- **SIM** runs in this process and limits nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from livetrader_gui.application.ports import Clock, IBrokerGateway
from livetrader_gui.application.request_budget import (
    BudgetedGateway,
    Rate,
    RequestBudget,
    RequestGroup,
    VenueBudget,
)

UPBIT = VenueBudget(
    "UPBIT",
    groups={
        RequestGroup.ORDERS: Rate(6, 2),
        RequestGroup.ACCOUNT: Rate(25, 5),
        # Under Upbit's 10 a second with room: a call paid for several requests (a quote and
        # its book, candles in pages) sends them together, so a second there can hold more
        # than a second's grants here.
        RequestGroup.MARKET_DATA: Rate(6, 1),
    },
)

BINANCE = VenueBudget(
    "BINANCE",
    groups={RequestGroup.ORDERS: Rate(4, 10)},
    shared=Rate(80, 1_200),
    weights={
        "get_latest_quote": 2,  # GET /api/v3/ticker/24hr, one symbol
        "get_recent_candles": 2,  # GET /api/v3/klines, a page
        "get_historical_candles": 2,
        "get_instruments": 20,  # GET /api/v3/exchangeInfo
        "get_instrument": 2,
        "place_order": 1,  # POST /api/v3/order
        "cancel_order": 10,  # DELETE /api/v3/order, then the order looked up
        "get_order": 9,  # GET /api/v3/order, and its fills: GET /api/v3/myTrades by orderId
        "get_open_orders": 80,  # GET /api/v3/openOrders, every symbol
        "get_positions": 20,  # GET /api/v3/account
        "get_account": 22,  # GET /api/v3/account, and the prices of what it holds
    },
    hold_all_on_limit=True,
)

# The testnet counts as Binance does.
BINANCE_TESTNET = replace(BINANCE, venue="BINANCE_TESTNET")

VENUE_BUDGETS: Mapping[str, VenueBudget] = {
    budget.venue: budget for budget in (UPBIT, BINANCE, BINANCE_TESTNET)
}


def within_budget(
    gateway: IBrokerGateway,
    timer: Clock,
    budgets: Mapping[str, VenueBudget] = VENUE_BUDGETS,
) -> IBrokerGateway:
    """Return *gateway* spending its venue's budget (itself if the venue limits nothing).

    *timer* is real time: venues count real seconds.
    """
    budget = budgets.get(gateway.broker_id)
    if budget is None or isinstance(gateway, BudgetedGateway):
        return gateway  # no limits, or already spending them
    return BudgetedGateway(gateway, RequestBudget(budget, timer))
