"""The world the manager's tests run in, once in each of the runner's two ways."""

from __future__ import annotations

import pytest

from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from tests.world import World


@pytest.fixture(params=["ticks", "streaming"])
async def world(xkrx: ExchangeTradingCalendar, request: pytest.FixtureRequest) -> World:
    """A manager whose runners tick and ask the broker (replays), or are driven by its pushed
    quotes and candles through the market-data hubs (the app's way)."""
    w = World(xkrx, streaming=request.param == "streaming")
    await w.registry.refresh_health()
    return w
