"""System checks on the channel layer for several workers (rtcpool.W002, W003; W001 and
E004 are in test_checks.py), the example settings against them, and the group names that
pools map to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from channels.layers import BaseChannelLayer
from django.test import override_settings

from rtcpool_django import checks
from rtcpool_django.models import Pool

ROOT = Path(__file__).resolve().parent.parent
CORE, PUBSUB, OURS = checks.REDIS_LAYERS
GOOD_HOST = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None, "max_connections": 1000}


def ids(**layer) -> set[str]:
    with override_settings(CHANNEL_LAYERS={"default": layer}):
        return {message.id for message in checks.check_channel_layer()}


@pytest.mark.parametrize("backend", [CORE, PUBSUB])
def test_redis_py_8_without_max_connections_warns(backend):
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with mock.patch.object(checks, "_redis_major", return_value=8):
        assert ids(BACKEND=backend, CONFIG={"hosts": [host], "capacity": 1000}) == {"rtcpool.W002"}
        assert ids(BACKEND=backend, CONFIG={"hosts": [GOOD_HOST], "capacity": 1000}) == set()


def test_our_layer_needs_no_max_connections():
    """Its pools wait for a free connection instead of raising MaxConnectionsError."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with mock.patch.object(checks, "_redis_major", return_value=8):
        assert ids(BACKEND=OURS, CONFIG={"hosts": [host]}) == set()


def test_redis_channel_layer_with_default_capacity_warns():
    assert ids(BACKEND=CORE, CONFIG={"hosts": [GOOD_HOST]}) == {"rtcpool.W003"}
    # The pub/sub layer has no capacity to set.
    assert ids(BACKEND=PUBSUB, CONFIG={"hosts": [GOOD_HOST]}) == set()
    # rtcpool_django.layers defaults to a capacity sized for a process.
    assert ids(BACKEND=OURS, CONFIG={"hosts": [GOOD_HOST]}) == set()


def test_the_installed_redis_py_is_detected():
    import redis

    assert checks._redis_major() == int(redis.__version__.split(".")[0])


@pytest.mark.parametrize("layer", ["", CORE, PUBSUB, OURS])
def test_example_project_settings_pass_the_checks(layer):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="example_project.settings", DJANGO_DEBUG="0")
    env.pop("DATABASE_URL", None)
    if layer:
        env.update(REDIS_URL="redis://127.0.0.1:6379/0", RTCPOOL_CHANNEL_LAYER=layer)
    else:
        env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rtcpool = [line for line in result.stderr.splitlines() if "rtcpool." in line]
    assert rtcpool == (["?: (rtcpool.W001) " + _w001()] if not layer else []), result.stderr


def _w001() -> str:
    return "The in-memory channel layer only reaches peers on the same process."


@pytest.mark.parametrize(
    "name", ["a", "会議室 🎥 / spaces & symbols " * 8, "\U0010ffff" * 200, "x" * 200, ".."]
)
def test_any_pool_name_maps_to_a_valid_group_name(name, db):
    pool = Pool.objects.create(name=name[:200])
    group = pool.group_name
    assert BaseChannelLayer().require_valid_group_name(group)
    assert len(group) < 100
    assert group.isascii()


@pytest.mark.parametrize(
    ("layer", "backend", "capacity"),
    [(None, OURS, None), (OURS, OURS, None), (CORE, CORE, 10000), (PUBSUB, PUBSUB, 10000)],
)
def test_example_project_defaults_to_our_redis_layer(layer, backend, capacity):
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:6379/0")
    env.pop("RTCPOOL_CHANNEL_CAPACITY", None)
    env.pop("RTCPOOL_CHANNEL_LAYER", None)
    if layer:
        env["RTCPOOL_CHANNEL_LAYER"] = layer
    code = "import json, example_project.settings as s; print(json.dumps(s.CHANNEL_LAYERS))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == backend
    # Ours sizes its capacity for a process (5000) unless RTCPOOL_CHANNEL_CAPACITY is set.
    assert default["CONFIG"].get("capacity") == capacity
