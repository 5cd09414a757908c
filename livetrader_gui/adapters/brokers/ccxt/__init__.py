"""Crypto venues through ccxt: Upbit (and its local copy for rehearsals)."""

from livetrader_gui.adapters.brokers.ccxt.exact import exact_class
from livetrader_gui.adapters.brokers.ccxt.gateway import CcxtGateway, VenueRefusedError
from livetrader_gui.adapters.brokers.ccxt.venues import UPBIT, VenueProfile

__all__ = ["UPBIT", "CcxtGateway", "VenueProfile", "VenueRefusedError", "exact_class"]
