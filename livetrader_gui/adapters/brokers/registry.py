"""The broker registry: which brokers the app knows, and which are healthy now."""

from __future__ import annotations

import asyncio
import logging

from livetrader_gui.application.ports import (
    BrokerError,
    BrokerHealth,
    Clock,
    ConnectionState,
    IBrokerGateway,
)
from livetrader_gui.application.timeouts import within

_log = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS = 5.0


class BrokerRegistry:
    """An ``IBrokerRegistry``.

    A broker is healthy when it is connected and its last health probe (an account request)
    answered in time. ``get_healthy`` is synchronous, as the seed calls it; ``refresh_health``
    probes every broker concurrently, each with its own timeout.
    """

    def __init__(self, clock: Clock, probe_timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
        self._clock = clock
        self._probe_timeout = probe_timeout
        self._gateways: dict[str, IBrokerGateway] = {}
        self._health: dict[str, BrokerHealth] = {}

    def register(self, gateway: IBrokerGateway) -> None:
        if gateway.broker_id in self._gateways:
            raise ValueError(f"a broker with id '{gateway.broker_id}' is already registered")
        self._gateways[gateway.broker_id] = gateway

    def get(self, broker_id: str) -> IBrokerGateway | None:
        return self._gateways.get(broker_id)

    def all(self) -> list[IBrokerGateway]:
        return list(self._gateways.values())

    def health(self, broker_id: str) -> BrokerHealth:
        gateway = self._gateways.get(broker_id)
        if gateway is None:
            raise KeyError(f"no broker '{broker_id}' is registered")
        state = gateway.connection_state
        last = self._health.get(broker_id)
        if state is not ConnectionState.CONNECTED:
            checked = last.checked_at if last is not None else None
            detail = state.value.lower()
            if last is not None and not last.healthy and last.detail != detail:
                detail = f"{detail}: {last.detail}"  # why, as the last attempt found
            return BrokerHealth(broker_id, state, False, detail, checked)
        if last is None:
            return BrokerHealth(broker_id, state, True, "connected, not probed yet", None)
        return BrokerHealth(broker_id, state, last.healthy, last.detail, last.checked_at)

    def failed(self, broker_id: str, detail: str) -> None:
        """Note why *broker_id* could not be reached (a connection refused at start)."""
        gateway = self._gateways[broker_id]
        self._health[broker_id] = BrokerHealth(
            broker_id, gateway.connection_state, False, detail, self._clock.now()
        )

    def get_healthy(self) -> list[IBrokerGateway]:
        return [g for g in self._gateways.values() if self.health(g.broker_id).healthy]

    async def refresh_health(self) -> list[BrokerHealth]:
        return list(await asyncio.gather(*(self._probe(g) for g in self._gateways.values())))

    async def _probe(self, gateway: IBrokerGateway) -> BrokerHealth:
        state = gateway.connection_state
        if state is not ConnectionState.CONNECTED:
            last = self._health.get(gateway.broker_id)
            # While it stays disconnected, the reason found last still says why.
            detail = last.detail if last is not None and not last.healthy else state.value.lower()
            result = BrokerHealth(gateway.broker_id, state, False, detail, self._clock.now())
        else:
            try:
                await within(self._clock, gateway.get_account(), self._probe_timeout)
            except TimeoutError:
                detail = f"no answer within {self._probe_timeout:g} s"
                result = BrokerHealth(gateway.broker_id, state, False, detail, self._clock.now())
            except BrokerError as error:
                result = BrokerHealth(
                    gateway.broker_id, state, False, str(error), self._clock.now()
                )
            else:
                result = BrokerHealth(
                    gateway.broker_id, state, True, "answering", self._clock.now()
                )
        if not result.healthy:
            _log.warning("broker %s unhealthy: %s", gateway.broker_id, result.detail)
        self._health[gateway.broker_id] = result
        return result
