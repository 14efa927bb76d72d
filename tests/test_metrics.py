"""Prometheus metrics (rtcpool_django.metrics): each counting site moves its counter, the
live gauges read the connections of this process, /metrics answers in the text format,
and the app runs the same with metrics off or prometheus-client missing."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import urllib.request

import pytest
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.core.checks import Tags, run_checks
from django.test import override_settings
from prometheus_client import REGISTRY

from rtcpool_django import metrics, pools
from rtcpool_django.consumers import PoolConsumer
from rtcpool_django.heartbeat import heartbeat

from .live import WSClient

OFFER = {"type": "offer", "sdp": "v=0\r\n"}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Deltas:
    """The change of some samples since the snapshot."""

    def __init__(self, *samples: tuple[str, dict[str, str]]) -> None:
        self.before = {(n, tuple(sorted(lb.items()))): value(n, **lb) for n, lb in samples}

    def __call__(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return value(name, **labels) - self.before[key]


@pytest.fixture
def restore_metrics():
    yield
    metrics.configure()


async def test_joins_count_by_result_and_time_the_successful_ones(connect):
    await pools.acreate_pool("pair", max_peers=1)
    delta = Deltas(
        ("rtcpool_joins_total", {"result": "joined"}),
        ("rtcpool_joins_total", {"result": "pool_full"}),
        ("rtcpool_joins_total", {"result": "already_joined"}),
        ("rtcpool_join_seconds_count", {}),
    )
    a, b = await connect(), await connect()
    await a.join("pair")
    await b.send("rtc:join", {"pool": "pair"})
    await b.error("pool_full")
    await a.send("rtc:join", {"pool": "pair"})
    await a.error("already_joined")
    assert delta("rtcpool_joins_total", result="joined") == 1
    assert delta("rtcpool_joins_total", result="pool_full") == 1
    assert delta("rtcpool_joins_total", result="already_joined") == 1
    assert delta("rtcpool_join_seconds_count") == 1


async def test_relays_count_and_one_send_in_the_sample_is_timed(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    delta = Deltas(("rtcpool_relays_total", {}), ("rtcpool_layer_send_seconds_count", {}))
    for n in range(metrics.SEND_SAMPLE):
        await b.send("rtc:candidate", {"for": a.id, "candidate": {"candidate": str(n)}})
    for _ in range(metrics.SEND_SAMPLE):
        await a.expect("rtc:candidate")
    assert delta("rtcpool_relays_total") == metrics.SEND_SAMPLE
    # Any SEND_SAMPLE sends in a row hold exactly one sampled one.
    assert delta("rtcpool_layer_send_seconds_count") == 1


async def test_a_relay_the_layer_refuses_is_an_error_not_a_relay(connect, monkeypatch):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    layer = get_channel_layer()

    async def full(channel, message):
        raise ChannelFull(channel)

    monkeypatch.setattr(layer, "send", full)
    delta = Deltas(
        ("rtcpool_relays_total", {}), ("rtcpool_errors_total", {"reason": "peer_unavailable"})
    )
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    await b.error("peer_unavailable")
    assert delta("rtcpool_relays_total") == 0
    assert delta("rtcpool_errors_total", reason="peer_unavailable") == 1


async def test_every_rtc_error_counts_by_reason(connect, monkeypatch):
    reasons = ("binary_frame", "invalid_json", "not_joined", "unknown_peer", "server_error")
    delta = Deltas(*(("rtcpool_errors_total", {"reason": r}) for r in reasons))
    a = await connect()
    await a.send_raw(binary=b"\x00")
    await a.error("binary_frame")
    await a.send_raw("{not json")
    await a.error("invalid_json")
    await a.send("rtc:sdp", {"to": "x", "description": OFFER})
    await a.error("not_joined")
    await a.join("room")
    await a.send("rtc:sdp", {"to": "ghost", "description": OFFER})
    await a.error("unknown_peer")

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(PoolConsumer, "receive_custom", broken)
    await a.send("site:event", {})
    await a.error("server_error")
    assert {r: delta("rtcpool_errors_total", reason=r) for r in reasons} == dict.fromkeys(
        reasons, 1
    )


async def test_evictions_and_refused_notices_count(connect, monkeypatch):
    b = await connect()
    await b.join("p")
    c = await connect()
    layer = get_channel_layer()
    send = layer.send

    async def full(channel, message):
        if message["type"] == pools.PEER:
            raise ChannelFull(channel)
        await send(channel, message)

    monkeypatch.setattr(layer, "send", full)
    delta = Deltas(("rtcpool_evictions_total", {}), ("rtcpool_notices_refused_total", {}))
    with override_settings(RTCPOOL={"DELIVERY_TIMEOUT": 0.3}):
        await c.join("p")
    assert (await c.expect("rtc:close"))["id"] == b.id
    await b.expect("rtc:stop")
    assert delta("rtcpool_evictions_total") == 1
    assert delta("rtcpool_notices_refused_total") == 1


async def test_prunes_count_the_peers_the_heartbeat_removes(connect, monkeypatch):
    a, b = await connect(), await connect()
    await a.join("p")
    await b.join("p")
    await a.expect("rtc:peer")

    async def database_down(peer_id):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(pools, "aleave", database_down)
    await b.close()
    monkeypatch.undo()
    delta = Deltas(("rtcpool_prunes_total", {}), ("rtcpool_evictions_total", {}))
    await heartbeat.tick()
    assert (await a.expect("rtc:close"))["id"] == b.id
    assert delta("rtcpool_prunes_total") == 1
    assert delta("rtcpool_evictions_total") == 0


async def test_live_gauges_are_read_from_this_workers_connections(connect):
    a, b, c, idle = await connect(), await connect(), await connect(), await connect()
    await a.join("one")
    await b.join("one")
    await c.join("two")
    # Only this test's connections are open in this process.
    assert value("rtcpool_connections") == 4
    assert value("rtcpool_peers") == 3
    assert value("rtcpool_pools") == 2
    await c.close()
    await idle.close()
    assert (value("rtcpool_connections"), value("rtcpool_peers"), value("rtcpool_pools")) == (
        2,
        2,
        1,
    )


async def test_with_metrics_off_nothing_counts_and_the_app_works(connect, restore_metrics):
    with override_settings(RTCPOOL={"METRICS": False}):
        assert not metrics.enabled
        delta = Deltas(("rtcpool_relays_total", {}), ("rtcpool_joins_total", {"result": "joined"}))
        a, b = await connect(), await connect()
        await a.join("room")
        await b.join("room")
        await a.expect("rtc:peer")
        await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
        assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
        await b.send("rtc:sdp", {"to": "ghost", "description": OFFER})
        await b.error("unknown_peer")
        assert delta("rtcpool_relays_total") == 0
        assert delta("rtcpool_joins_total", result="joined") == 0
        # The collector reports nothing while metrics are off.
        assert REGISTRY.get_sample_value("rtcpool_peers") is None
    assert metrics.enabled


# restore_metrics before monkeypatch: fixtures are torn down in reverse, so prometheus_client
# is put back before the metrics are built again (else every later test ran without them).
async def test_without_prometheus_client_the_app_works(connect, restore_metrics, monkeypatch):
    monkeypatch.setattr(metrics, "prometheus_client", None)
    metrics.configure()
    assert not metrics.enabled and metrics.relays is metrics.NOOP
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
    await b.send("rtc:sdp", {"to": "ghost", "description": OFFER})
    await b.error("unknown_peer")


def test_the_module_imports_and_counts_nothing_when_the_package_is_missing(monkeypatch):
    # A fresh copy of the module, imported as if prometheus-client were not installed.
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    spec = importlib.util.spec_from_file_location(
        "rtcpool_django._metrics_without_client", metrics.__file__
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.configure()
        assert not module.available() and not module.enabled
        with pytest.raises(ValueError), module.join_attempt():
            raise ValueError
        module.relayed(module.send_started())
        module.error_sent("unknown_peer")
        module.refresh_gauges()
    finally:
        # Its receivers must not outlive the test.
        from django.core.signals import setting_changed

        from rtcpool_django.signals import peer_left

        setting_changed.disconnect(module._reconfigure)
        peer_left.disconnect(module._count_removal)


def test_metrics_view_answers_the_text_format_uncached(client, db):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    for name in (
        "rtcpool_joins_total",
        "rtcpool_relays_total",
        "rtcpool_errors_total",
        "rtcpool_notices_refused_total",
        "rtcpool_evictions_total",
        "rtcpool_prunes_total",
        "rtcpool_join_seconds_bucket",
        "rtcpool_layer_send_seconds_bucket",
        "rtcpool_connections",
        "rtcpool_peers",
        "rtcpool_pools",
    ):
        assert f"\n{name}" in body, name
    assert 'rtcpool_joins_total{result="pool_full"}' in body
    assert client.post("/metrics").status_code == 405


def test_metrics_view_is_404_when_metrics_are_off(client, db, restore_metrics):
    with override_settings(RTCPOOL={"METRICS": False}):
        response = client.get("/metrics")
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_metrics_must_be_a_bool():
    with override_settings(RTCPOOL={"METRICS": "yes"}):
        # Our tag only: since Django 6.0 an untagged run also checks the databases.
        errors = [e for e in run_checks(tags=[Tags.compatibility]) if e.id == "rtcpool.E001"]
    assert [e.msg for e in errors] == ["RTCPOOL['METRICS'] must be True or False."]


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "no-store" in response.headers["Cache-Control"]
        return response.read().decode()


def sample(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the exposition")


async def _joins_and_a_relay(url: str) -> list[WSClient]:
    a, b = await WSClient.connect(url), await WSClient.connect(url)
    await a.join("live")
    await b.join("live")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    await a.expect("rtc:sdp")
    await b.send("rtc:sdp", {"to": "ghost", "description": OFFER})
    await b.error("unknown_peer")
    return [a, b]


@pytest.mark.parametrize("mode", ["single", "multiprocess"])
async def test_a_live_worker_exposes_its_metrics(live_worker, tmp_path, mode):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)} if mode == "multiprocess" else {}
    server = live_worker(extra_env=env)
    clients = await _joins_and_a_relay(server.url)
    body = await asyncio.to_thread(scrape, f"{server.http_url}/metrics")
    assert sample(body, 'rtcpool_joins_total{result="joined"}') == 2
    assert sample(body, "rtcpool_relays_total") == 1
    assert sample(body, 'rtcpool_errors_total{reason="unknown_peer"}') == 1
    assert sample(body, "rtcpool_join_seconds_count") == 2
    assert sample(body, "rtcpool_peers") == 2
    assert sample(body, "rtcpool_pools") == 1
    for client in clients:
        await client.close()
