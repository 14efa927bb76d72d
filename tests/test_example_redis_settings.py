"""How the example project's settings build the channel layer's Redis host from the
environment: ``REDIS_URL``, or Redis Sentinel (``REDIS_SENTINELS`` + ``REDIS_SENTINEL_MASTER``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from example_project.settings import redis_host

from .live import ROOT


def test_a_redis_url():
    assert redis_host({"REDIS_URL": "redis://10.0.0.1:6380/2"}) == {
        "address": "redis://10.0.0.1:6380/2",
        "socket_timeout": None,
    }


def test_sentinels_and_a_master_name():
    environ = {"REDIS_SENTINELS": "10.0.0.1:26379, sentinel-b:26380,[::1]:26381"}
    environ["REDIS_SENTINEL_MASTER"] = "mymaster"
    assert redis_host(environ) == {
        "sentinels": [("10.0.0.1", 26379), ("sentinel-b", 26380), ("::1", 26381)],
        "master_name": "mymaster",
        "socket_timeout": None,
    }


def test_no_redis():
    assert redis_host({}) is None
    assert redis_host({"REDIS_URL": "", "REDIS_SENTINELS": " "}) is None


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"REDIS_SENTINELS": "10.0.0.1:26379"}, "REDIS_SENTINEL_MASTER"),
        ({"REDIS_SENTINELS": "10.0.0.1", "REDIS_SENTINEL_MASTER": "m"}, "not host:port"),
        ({"REDIS_SENTINELS": ":26379", "REDIS_SENTINEL_MASTER": "m"}, "not host:port"),
        (
            {"REDIS_SENTINELS": "h:1", "REDIS_SENTINEL_MASTER": "m", "REDIS_URL": "redis://h"},
            "not both",
        ),
    ],
)
def test_a_wrong_sentinel_setting_is_refused_with_a_reason(environ, complaint):
    with pytest.raises(ValueError, match=complaint):
        redis_host(environ)


def test_the_channel_layer_uses_the_sentinel_host():
    env = dict(os.environ, REDIS_SENTINELS="127.0.0.1:26379", REDIS_SENTINEL_MASTER="m")
    env.pop("REDIS_URL", None)
    env.pop("RTCPOOL_CHANNEL_LAYER", None)
    code = "import json, example_project.settings as s; print(json.dumps(s.CHANNEL_LAYERS))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "rtcpool_django.layers.RedisChannelLayer"
    assert default["CONFIG"]["hosts"] == [
        {"sentinels": [["127.0.0.1", 26379]], "master_name": "m", "socket_timeout": None}
    ]
