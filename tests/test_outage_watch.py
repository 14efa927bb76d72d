"""A worker's outage watch (rtcpool_django.recovery.OutageWatch) without Redis: a stand-in
layer reports its state as rtcpool_django.layers.RedisChannelLayer does, and answers probes
as the Redis behind it would. The same paths against real Redis and daphne processes are in
tests/test_layers_outage.py and tests/multiworker/test_layer_outage.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import REGISTRY

from rtcpool_django import metrics, recovery
from rtcpool_django.heartbeat import Heartbeat, heartbeat
from rtcpool_django.recovery import OutageWatch


class StandInLayer:
    """``connected``, ``on_reconnect`` and ``probe`` as our layer has them; ``reachable``
    is whether Redis would answer a probe."""

    def __init__(self) -> None:
        self.connected = True
        self.reachable = True
        self.probes = 0
        self.callbacks: list[Any] = []

    def on_reconnect(self, callback: Any) -> Any:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    async def probe(self, timeout: float = 1.0) -> bool:
        self.probes += 1
        was, self.connected = self.connected, self.reachable
        if self.connected and not was:
            for callback in list(self.callbacks):
                await callback()
        return self.connected


@pytest.fixture
def layer(monkeypatch) -> StandInLayer:
    stand_in = StandInLayer()
    monkeypatch.setattr(recovery, "get_channel_layer", lambda: stand_in)
    return stand_in


@pytest.fixture
def quick_watch(settings) -> None:
    # The watch looks every min(1 s, grace / 4).
    settings.RTCPOOL = {**getattr(settings, "RTCPOOL", {}), "LAYER_OUTAGE_GRACE": 0.2}


async def until(condition: Any, what: str, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):  # polls the stand-in's state
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_the_heartbeat_replaces_the_watch_of_an_earlier_event_loop(layer, monkeypatch):
    async def registered_at_once(self: Heartbeat, registered: asyncio.Future[None]) -> None:
        registered.set_result(None)

    monkeypatch.setattr(Heartbeat, "_run", registered_at_once)
    monkeypatch.setattr(Heartbeat, "_on_server_shutdown", lambda self: None)
    beating = Heartbeat()

    async def start() -> None:
        await beating._start()

    first_loop, second_loop = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first_loop.run_until_complete(start())
        first = beating.outages
        assert first is not None and first._task is not None
        old_task = first._task
        second_loop.run_until_complete(start())
        assert beating.outages is not first
        # One callback (the new watch's), and the old watch's task ends at its loop's next
        # turn: the old watch neither reacts to a reconnect nor probes any more.
        assert layer.callbacks == [beating.outages.reconnected]
        first_loop.run_until_complete(asyncio.sleep(0))
        assert old_task.cancelled()
    finally:
        for loop in (first_loop, second_loop):
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()


async def test_an_idle_worker_probes_and_sees_the_layer_go_and_come_back(layer, quick_watch):
    watch = OutageWatch({})  # no connections: no reader would notice anything
    reconnected = []
    layer.on_reconnect(lambda: reconnected.append(True))
    watch.install()
    try:
        layer.reachable = False
        await until(lambda: not layer.connected, "the idle watch sees the layer go")
        assert watch.layer_down
        layer.reachable = True
        await until(lambda: layer.connected, "the idle watch sees the layer come back")
        assert reconnected and not watch.layer_down
    finally:
        watch.uninstall()
    assert len(layer.callbacks) == 1  # only the test's own: the watch unregistered its own


async def test_a_worker_with_connections_probes_only_while_the_layer_is_down(layer, quick_watch):
    # With connections, their readers see the layer go; a probe is only needed for the return.
    watch = OutageWatch({"specific.x!1": object()})
    watch.install()
    try:
        await asyncio.sleep(0.3)  # several looks of the watch
        assert layer.probes == 0
        layer.connected = layer.reachable = False  # as a reader reports it
        await until(lambda: layer.probes > 0, "the watch probes the down layer")
        layer.reachable = True
        await until(lambda: layer.connected, "the probe sees the layer come back")
    finally:
        watch.uninstall()


async def test_concurrent_probes_share_one(layer):
    watch = OutageWatch({})
    results = await asyncio.gather(*(watch.probe() for _ in range(20)))
    assert results == [True] * 20 and layer.probes == 1


async def test_a_join_is_refused_unavailable_only_when_a_probe_finds_the_layer_down(
    connect, layer, monkeypatch
):
    client = await connect()
    assert heartbeat.outages is not None
    monkeypatch.setattr(heartbeat.outages, "layer", layer)
    layer.connected = layer.reachable = False
    await client.send("rtc:join", {"pool": "probed"})
    await client.error("unavailable")
    assert layer.probes == 1
    # Redis is back, but nothing has seen it yet: the join itself finds out.
    layer.reachable = True
    assert await client.join("probed")
    assert layer.connected and layer.probes == 2


async def test_the_layer_gauge_follows_the_layers_state(connect, layer, monkeypatch):
    metrics.configure()  # on, per the settings, whatever an earlier test left
    assert metrics.enabled
    await connect()
    # A layer that reports no state (the test settings' in-memory one): no gauge rather
    # than a guess.
    assert "rtcpool_channel_layer_up" not in metrics.live_state()
    monkeypatch.setattr(metrics, "get_channel_layer", lambda: layer)
    assert metrics.live_state()["rtcpool_channel_layer_up"] == 1
    assert REGISTRY.get_sample_value("rtcpool_channel_layer_up") == 1
    layer.connected = False
    assert metrics.live_state()["rtcpool_channel_layer_up"] == 0
    assert REGISTRY.get_sample_value("rtcpool_channel_layer_up") == 0


class StoppableConsumer:
    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.stops: list[int] = []

    async def stop(self, code: int) -> None:
        self.stops.append(code)


async def test_a_socket_still_departing_is_not_stopped_again_at_the_next_grace(
    layer, quick_watch, caplog
):
    # With the layer down a departure waits up to DELIVERY_TIMEOUT for its notices, so the
    # stopped consumer is still registered when the next grace runs out.
    departing = StoppableConsumer("specific.x!1")
    watch = OutageWatch({departing.channel_name: departing})
    layer.connected = layer.reachable = False
    watch.install()
    try:
        await until(lambda: departing.stops, "the grace runs out")
        await asyncio.sleep(0.8)  # several more graces of 0.2 s
        assert departing.stops == [recovery.CLOSE_LAYER_LOST]
        assert caplog.text.count("closing 1 socket(s)") == 1
        late = StoppableConsumer("specific.x!2")  # connected during the outage
        watch.connections[late.channel_name] = late
        await until(lambda: late.stops, "the newcomer is stopped at its grace")
        assert departing.stops == [recovery.CLOSE_LAYER_LOST]
    finally:
        watch.uninstall()


async def test_a_watch_is_watching_only_while_its_task_runs_on_this_loop(layer):
    watch = OutageWatch({})
    assert not watch.watching
    watch.install()
    assert watch.watching  # the health view trusts the layer's ``connected`` now
    watch.uninstall()
    await asyncio.sleep(0)
    assert not watch.watching
