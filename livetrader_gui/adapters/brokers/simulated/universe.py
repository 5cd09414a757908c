"""The stocks the simulated broker lists by default: large KRX names around their usual prices."""

from __future__ import annotations

from decimal import Decimal

from livetrader_gui.adapters.brokers.simulated.market import SimulatedSymbol
from livetrader_gui.domain import KRX_STOCK_TICKS, Instrument


def _krx(
    symbol: str, name: str, price: int, volatility: float, minute_volume: int
) -> SimulatedSymbol:
    instrument = Instrument(symbol, name, "XKRX", "KRW", KRX_STOCK_TICKS, lot_size=Decimal(1))
    return SimulatedSymbol(instrument, Decimal(price), volatility, minute_volume)


KRX_UNIVERSE: tuple[SimulatedSymbol, ...] = (
    _krx("005930", "Samsung Electronics", 72_000, 0.018, 35_000),
    _krx("000660", "SK hynix", 178_000, 0.026, 6_000),
    _krx("035420", "NAVER", 195_000, 0.021, 1_200),
    _krx("005380", "Hyundai Motor", 245_000, 0.019, 1_500),
    _krx("035720", "Kakao", 41_500, 0.023, 4_000),
    _krx("051910", "LG Chem", 310_000, 0.025, 800),
)
