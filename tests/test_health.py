"""The health view a load balancer asks (/rtcpool/health/): 200 when the worker can serve
joins, 503 naming what is down (the database, the channel layer), cheap and bounded in time.
Real workers losing Redis answer 503 and then 200 in tests/multiworker/test_layer_outage.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from django.db import connection
from django.test import AsyncClient
from django.urls import reverse

from rtcpool_django import views

from .live import free_port

pytestmark = pytest.mark.django_db

URL = "/rtcpool/health/"
HEALTHY = {"database": "ok", "channel_layer": "ok"}


class ReportingLayer:
    """Reports its state as rtcpool_django.layers.RedisChannelLayer does."""

    def __init__(self, connected: bool) -> None:
        self.connected = connected


class FailingLayer:
    """A layer that does not report its state, and whose backend is unreachable."""

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        raise ConnectionError("unreachable")


def use_layer(monkeypatch, layer: Any) -> None:
    monkeypatch.setattr(views, "get_channel_layer", lambda: layer)


def test_it_is_routed_by_the_apps_urls():
    assert reverse("rtcpool_django:health") == URL


async def test_a_healthy_worker_answers_200_naming_both_ok():
    # The test settings' in-memory layer does not report a state: it is sent to.
    response = await AsyncClient().get(URL)
    assert response.status_code == 200
    assert response.json() == HEALTHY
    assert "no-cache" in response["Cache-Control"]  # a balancer must not see a cached state


async def test_head_is_answered_too():
    response = await AsyncClient().head(URL)
    assert response.status_code == 200


async def test_other_methods_are_refused():
    response = await AsyncClient().post(URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"]["reason"] == "method_not_allowed"


async def test_a_layer_that_reports_itself_connected_is_ok(monkeypatch):
    use_layer(monkeypatch, ReportingLayer(connected=True))
    response = await AsyncClient().get(URL)
    assert (response.status_code, response.json()) == (200, HEALTHY)


async def test_a_layer_that_reports_itself_down_answers_503(monkeypatch):
    use_layer(monkeypatch, ReportingLayer(connected=False))
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "down"}


class ProbingLayer(ReportingLayer):
    """Reports a state and can probe Redis, as rtcpool_django.layers.RedisChannelLayer."""

    def __init__(self, connected: bool, answers: bool) -> None:
        super().__init__(connected)
        self.answers = answers
        self.probes = 0

    async def probe(self, timeout: float = 1.0) -> bool:
        self.probes += 1
        self.connected = self.answers
        return self.answers


class Watch:
    def __init__(self, watching: bool) -> None:
        self.watching = watching


async def test_where_no_watch_keeps_the_state_current_the_layer_is_probed(monkeypatch):
    # A WSGI process (or an ASGI one before its first connection) runs no outage watch:
    # its layer's ``connected`` is whatever it was last told, so Redis itself is asked.
    layer = ProbingLayer(connected=True, answers=False)
    use_layer(monkeypatch, layer)
    monkeypatch.setattr(views.heartbeat, "outages", None)
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "down"}
    assert layer.probes == 1

    monkeypatch.setattr(views.heartbeat, "outages", Watch(watching=False))
    layer.answers = True
    response = await AsyncClient().get(URL)
    assert (response.status_code, response.json()) == (200, HEALTHY)
    assert layer.probes == 2


async def test_where_the_watch_runs_its_state_is_trusted_without_a_round_trip(monkeypatch):
    layer = ProbingLayer(connected=False, answers=True)
    use_layer(monkeypatch, layer)
    monkeypatch.setattr(views.heartbeat, "outages", Watch(watching=True))
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert layer.probes == 0


async def test_a_layer_that_does_not_report_is_probed(monkeypatch):
    use_layer(monkeypatch, FailingLayer())
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "down"


async def test_the_stock_redis_layer_is_pinged(monkeypatch):
    # Nothing listens on that port: the PING fails.
    layer = StockRedisChannelLayer(hosts=[f"redis://127.0.0.1:{free_port()}/0"])
    use_layer(monkeypatch, layer)
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "down"}


async def test_no_channel_layer_is_down(monkeypatch):
    use_layer(monkeypatch, None)
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "down"


async def test_an_unreachable_database_answers_503(monkeypatch):
    # The health check's thread opens its own connection, from the shared settings.
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    else:
        monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))
    response = await AsyncClient().get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "down", "channel_layer": "ok"}


async def test_a_database_that_hangs_is_down_once_the_timeout_runs_out(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(views, "_select_one", lambda: release.wait(10))
    monkeypatch.setattr(views, "HEALTH_TIMEOUT", 0.3)
    use_layer(monkeypatch, ReportingLayer(connected=False))
    try:
        started = time.monotonic()
        response = await AsyncClient().get(URL)
        assert time.monotonic() - started < 3
    finally:
        release.set()
    assert response.status_code == 503
    assert response.json() == {"database": "down", "channel_layer": "down"}
