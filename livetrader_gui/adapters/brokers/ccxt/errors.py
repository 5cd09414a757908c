"""What a venue's refusal means, in words a trader can act on.

ccxt raises its own exceptions with the venue's answer appended (``"upbit {"error": …}"``); the
gateway turns each into the port's errors (``BrokerAuthenticationError``, ``BrokerTimeoutError``
…) with a message that names the venue, what was asked, and what to do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# What Upbit's error names mean (docs.upbit.com, "REST API 에러 코드"), said as what to fix.
UPBIT_WORDS = {
    "invalid_access_key": "Upbit does not know this access key: check the key you entered",
    "jwt_verification": "Upbit could not verify the request's signature: the secret key does not "
    "belong to this access key",
    "expired_access_key": "this API key has expired: make a new one on Upbit's Open API page",
    "nonce_used": "Upbit saw this request's nonce before: is another copy of the app using "
    "this key?",
    "no_authorization_i_p": "this computer's IP address is not in the key's allow-list: add it "
    "on Upbit's Open API page",
    "no_authorization_ip": "this computer's IP address is not in the key's allow-list: add it "
    "on Upbit's Open API page",
    "out_of_scope": "the API key lacks a permission this needs: grant it 'view assets', "
    "'view orders' and 'place orders' on Upbit's Open API page",
    "thirdparty_agreement_required": "Upbit asks for your consent to third-party use before "
    "the API may trade: give it on Upbit's website",
    "insufficient_funds_bid": "not enough cash for this buy",
    "insufficient_funds_ask": "not enough of the coin for this sell",
    "under_min_total_bid": "the order is worth less than the market's minimum order value",
    "under_min_total_ask": "the order is worth less than the market's minimum order value",
    "invalid_volume": "the quantity is not one the market accepts",
    "invalid_price": "the price is not on the market's price grid",
    "order_not_found": "Upbit has no such order",
    "market_offline": "the market is suspended at Upbit",
}

_BINANCE_CLOCK = (
    "this computer's clock is out of step with Binance's by more than the request's receive "
    "window: set the clock to network time"
)
_BINANCE_KEY = (
    "Binance refused the API key, this computer's IP address or the permission asked: check "
    "the key, add this address to the key's IP allow-list, and allow spot trading"
)
# What Binance's messages mean (developers.binance.com, "Error codes"), said as what to fix.
# ccxt raises some of them with the message alone (no code): they are known by their message.
BINANCE_WORDS = {
    "Invalid API-key, IP, or permissions for action.": _BINANCE_KEY,
    "API-key format invalid.": "Binance does not know this API key's format: check the key "
    "you entered",
    "Signature for this request is not valid.": "Binance could not verify the request's "
    "signature: the secret key does not belong to this API key",
    "Timestamp for this request is outside of the recvWindow.": _BINANCE_CLOCK,
    "Timestamp for this request was 1000ms ahead of the server's time.": _BINANCE_CLOCK,
    "Account has insufficient balance for requested action.": "not enough of the asset this "
    "order spends (the cash of a buy, the coin of a sell)",
    "Filter failure: LOT_SIZE": "the quantity is not a whole number of the market's lot step",
    "Filter failure: PRICE_FILTER": "the price is not on the market's price grid",
    "Filter failure: NOTIONAL": "the order is worth less than the market's minimum order value",
    "Duplicate order sent.": "an open order already has this client order id",
    "Order does not exist.": "Binance has no such order",
    "Unknown order sent.": "Binance has no such open order",
    "Invalid symbol.": "Binance does not list this symbol",
}


@dataclass(frozen=True, slots=True)
class VenueAnswer:
    """The venue's own error, read out of a ccxt exception: its name and message."""

    name: str
    message: str

    @property
    def words(self) -> str:
        """Return what the error means, or the venue's own message when it has no words."""
        known = UPBIT_WORDS.get(self.name) or BINANCE_WORDS.get(self.message)
        if known is not None:
            return known
        return self.message or self.name


_JSON = re.compile(r"\{.*\}", re.DOTALL)


def venue_answer(error: Exception) -> VenueAnswer | None:
    """Return the venue's error carried in *error*'s message, if it carries one."""
    found = _JSON.search(str(error))
    if found is None:
        # ccxt raises some of Binance's errors with the message alone: "binance <message>".
        text = str(error).split(" ", 1)[-1].strip()
        return VenueAnswer("", text) if text in BINANCE_WORDS else None
    try:
        body = json.loads(found.group(0))
    except ValueError:
        return None
    inner = body.get("error") if isinstance(body, dict) else None
    if isinstance(inner, dict):  # Upbit: {"error": {"name", "message"}}
        return VenueAnswer(str(inner.get("name") or ""), str(inner.get("message") or ""))
    if isinstance(body, dict) and "code" in body:  # Binance: {"code": -2010, "msg": …}
        return VenueAnswer(str(body["code"]), str(body.get("msg") or ""))
    return None


def reason(error: Exception) -> str:
    """Return why a venue refused, in words, for an order's reject reason or a message."""
    answer = venue_answer(error)
    if answer is not None:
        return answer.words
    text = str(error).strip()
    # ccxt writes the request and the status, then the body: an HTML error page is no reason
    # to show anyone, and what comes before it already says what failed.
    text = text.split("<", 1)[0]
    return " ".join(text.split())[:300] or type(error).__name__
