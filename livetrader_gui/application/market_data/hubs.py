"""``MarketDataHubs``: one market-data hub per gateway, made when first needed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from livetrader_gui.application.market_data.hub import FeedPolicy, MarketDataHub
from livetrader_gui.application.market_data.polling import PollingFeed
from livetrader_gui.application.ports import (
    Clock,
    IBrokerGateway,
    IMarketDataFeed,
    ITradingCalendar,
)


class MarketDataHubs:
    """The hubs of every gateway the app uses: sessions, windows and paper books on one
    gateway share its hub. A gateway that streams gives its feed in *feeds* (by broker id);
    any other is polled, once per symbol per *poll_interval* seconds of *timer*, for all."""

    def __init__(
        self,
        timer: Clock,
        *,
        policy: FeedPolicy | None = None,
        feeds: Mapping[str, IMarketDataFeed] | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self._timer = timer
        self._policy = policy
        self._feeds = dict(feeds or {})
        self._poll_interval = poll_interval
        self._hubs: dict[str, MarketDataHub] = {}

    def of(self, gateway: IBrokerGateway, calendar: ITradingCalendar) -> MarketDataHub:
        """Return *gateway*'s hub (made now if it is the first to ask)."""
        hub = self._hubs.get(gateway.broker_id)
        if hub is None:
            feed = self._feeds.get(gateway.broker_id) or PollingFeed(
                gateway, self._timer, interval=self._poll_interval
            )
            hub = MarketDataHub(
                feed, self._timer, gateway=gateway, calendar=calendar, policy=self._policy
            )
            self._hubs[gateway.broker_id] = hub
        return hub

    def add_feed(self, broker_id: str, feed: IMarketDataFeed) -> None:
        """Stream *broker_id*'s market data from *feed* (a broker added while the app runs);
        a hub already made keeps the feed it has."""
        self._feeds.setdefault(broker_id, feed)

    @property
    def loops(self) -> int:
        """Return how many tasks of the hubs run forever (see ``MarketDataHub.loops``)."""
        return sum(hub.loops for hub in self._hubs.values())

    def get(self, broker_id: str) -> MarketDataHub | None:
        """Return the hub of *broker_id* if one was made."""
        return self._hubs.get(broker_id)

    async def close(self) -> None:
        """End every subscription."""
        await asyncio.gather(*(hub.close() for hub in self._hubs.values()))
