"""The paper gateway and the replay broker pass the gateway contract: a paper or replayed
session meets the same broker a live one does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest_asyncio

from livetrader_gui.adapters.brokers.simulated.replay import ReplayBroker
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.adapters.candle_file import CandleColumns
from livetrader_gui.application.paper_trading import PaperBook
from livetrader_gui.application.paper_trading.gateway import PaperGateway
from livetrader_gui.domain import Candle
from livetrader_gui.domain.sizing import TradingCosts
from tests.builders import samsung
from tests.contract.gateway_contract import GatewayContract, GatewayHarness
from tests.fakes import FakeClock
from tests.sim import MARKET_OPEN_T0, sim_broker

SAMSUNG = "005930"


class TestPaperGatewayContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self, xkrx: ExchangeTradingCalendar) -> AsyncIterator[GatewayHarness]:
        broker, clock = sim_broker(xkrx)
        await broker.connect()
        book = PaperBook(Decimal(100_000_000), TradingCosts())
        gateway = PaperGateway(broker, book, xkrx, "PAPER-1")
        yield GatewayHarness(
            gateway=gateway,
            symbol=SAMSUNG,
            clock=clock,
            advance=clock.advance,
            drop_link=broker.faults.disconnect,
            lose_next_answer=None,  # its orders never leave the process
            rate_limit=lambda s: broker.faults.rate_limit(clock.now() + timedelta(seconds=s)),
            rests_limit_orders=False,
        )
        await broker.disconnect()


def recording(minutes: int) -> CandleColumns:
    """A morning of one-minute candles, a tick apart, on the KRX grid."""
    rows = []
    for minute in range(minutes):
        price = Decimal(70_000 + 100 * (minute % 7))
        start = MARKET_OPEN_T0 + timedelta(minutes=minute)
        rows.append(Candle(SAMSUNG, start, price, price + 100, price - 100, price, Decimal(500)))
    return CandleColumns.of(SAMSUNG, rows)


class TestReplayBrokerContract(GatewayContract):
    @pytest_asyncio.fixture
    async def harness(self) -> AsyncIterator[GatewayHarness]:
        clock = FakeClock(MARKET_OPEN_T0 + timedelta(minutes=30))
        broker = ReplayBroker(
            {SAMSUNG: recording(120)},
            {SAMSUNG: samsung()},
            clock,
            Decimal(100_000_000),
            TradingCosts(),
        )
        yield GatewayHarness(
            gateway=broker,
            symbol=SAMSUNG,
            clock=clock,
            advance=clock.advance,
            drop_link=None,  # a recording has no link that drops (``disconnect`` closes it)
            lose_next_answer=None,
            rests_limit_orders=False,
        )
