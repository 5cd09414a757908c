"""The embedded simulated broker ``SIM``."""

from livetrader_gui.adapters.brokers.simulated.broker import (
    SimulatedBroker,
    SimulatedBrokerConfig,
    default_market_start,
    market_clock,
)
from livetrader_gui.adapters.brokers.simulated.clock import MarketHoursClock, SimulatedClock
from livetrader_gui.adapters.brokers.simulated.faults import SimulatedFaults
from livetrader_gui.adapters.brokers.simulated.ledger import LedgerConfig
from livetrader_gui.adapters.brokers.simulated.universe import KRX_UNIVERSE

__all__ = [
    "KRX_UNIVERSE",
    "LedgerConfig",
    "MarketHoursClock",
    "SimulatedBroker",
    "SimulatedBrokerConfig",
    "SimulatedClock",
    "SimulatedFaults",
    "default_market_start",
    "market_clock",
]
