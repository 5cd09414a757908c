"""The broker registry knows which brokers are usable now."""

from __future__ import annotations

import asyncio

import pytest

from livetrader_gui.adapters.brokers.registry import BrokerRegistry
from livetrader_gui.adapters.calendars import ExchangeTradingCalendar
from livetrader_gui.application.ports import ConnectionState
from tests.sim import sim_broker


async def test_a_connected_broker_that_answers_its_probe_is_healthy(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    registry = BrokerRegistry(clock)
    registry.register(broker)
    assert registry.get_healthy() == []
    assert registry.health("SIM").detail == "disconnected"

    await broker.connect()
    assert registry.health("SIM").detail == "connected, not probed yet"
    (health,) = await registry.refresh_health()

    assert health.healthy
    assert health.checked_at == clock.now()
    assert registry.get_healthy() == [broker]
    assert registry.get("SIM") is broker
    assert registry.all() == [broker]


async def test_a_broker_that_does_not_answer_in_time_is_unhealthy(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    broker.faults.latency = 30
    registry = BrokerRegistry(clock, probe_timeout=5)
    registry.register(broker)

    probe = asyncio.ensure_future(registry.refresh_health())
    await clock.settle()  # the broker is slow to answer; the probe's timeout is armed
    clock.advance(5)
    (health,) = await probe

    assert not health.healthy
    assert health.detail == "no answer within 5 s"
    assert registry.get_healthy() == []


async def test_a_broker_whose_probe_fails_is_unhealthy_until_it_answers_again(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    registry = BrokerRegistry(clock)
    registry.register(broker)
    broker.faults.time_out_next_calls(1)

    (failed,) = await registry.refresh_health()
    (recovered,) = await registry.refresh_health()

    assert not failed.healthy
    assert "did not answer in time" in failed.detail
    assert recovered.healthy


async def test_a_dropped_broker_is_unhealthy_at_once(xkrx: ExchangeTradingCalendar) -> None:
    broker, clock = sim_broker(xkrx)
    await broker.connect()
    registry = BrokerRegistry(clock)
    registry.register(broker)
    await registry.refresh_health()

    broker.faults.disconnect()

    assert registry.get_healthy() == []
    assert registry.health("SIM").state is ConnectionState.DISCONNECTED
    (probe,) = await registry.refresh_health()
    assert probe.detail == "disconnected"


def test_registering_two_brokers_with_one_id_is_refused(xkrx: ExchangeTradingCalendar) -> None:
    broker, clock = sim_broker(xkrx)
    registry = BrokerRegistry(clock)
    registry.register(broker)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(broker)
    with pytest.raises(KeyError, match="no broker 'X'"):
        registry.health("X")


async def test_a_broker_that_could_not_connect_says_why_until_it_connects(
    xkrx: ExchangeTradingCalendar,
) -> None:
    broker, clock = sim_broker(xkrx)
    registry = BrokerRegistry(clock)
    registry.register(broker)

    registry.failed("SIM", "Upbit refused the API key")
    (probed,) = await registry.refresh_health()
    said = registry.health("SIM").detail
    await broker.connect()
    (healthy,) = await registry.refresh_health()

    assert probed.detail == "Upbit refused the API key", "a probe keeps the reason"
    assert said == "disconnected: Upbit refused the API key"
    assert healthy.healthy
    assert registry.health("SIM").detail == "answering"
