"""System checks: misconfiguration is reported by `manage.py check`, with stable ids."""

import pytest
from django.core import checks
from django.test import override_settings

from rtcpool_django.checks import check_channel_layer, check_ice_settings, check_rtcpool_settings

INMEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def ids(messages):
    return [m.id for m in messages]


def test_defaults_pass():
    assert check_rtcpool_settings() == []


def test_checks_are_registered():
    assert any(m.id == "rtcpool.E001" for m in _run_with(RTCPOOL={"NOPE": 1}))


def _run_with(**overrides):
    # Only our tag: since Django 6.0 an untagged run_checks() also runs the model checks
    # against every database (JSONField support), which needs database access.
    with override_settings(**overrides):
        return checks.run_checks(tags=[checks.Tags.compatibility])


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"NOT_A_SETTING": 1},
        {"MAX_FRAME_BYTES": 0},
        {"MAX_FRAME_BYTES": "64k"},
        {"RATE_LIMIT_BURST": True},
        {"MAX_POOL_NAME_LENGTH": 256},
        {"DEFAULT_MAX_PEERS": 0},
        {"HEARTBEAT_INTERVAL": 10, "WORKER_TIMEOUT": 10},
    ],
)
def test_bad_rtcpool_values(value):
    with override_settings(RTCPOOL=value):
        assert "rtcpool.E001" in ids(check_rtcpool_settings())


@pytest.mark.parametrize(
    "hook", ["RESOLVE_POOL_NAME", "ADMIT_PEER", "INITIAL_DESCRIPTION", "ISSUE_TURN_CREDENTIALS"]
)
def test_hooks_must_import(hook):
    with override_settings(RTCPOOL={hook: "no.such.module.fn"}):
        assert ids(check_rtcpool_settings()) == ["rtcpool.E002"]
    with override_settings(RTCPOOL={hook: 42}):
        assert ids(check_rtcpool_settings()) == ["rtcpool.E002"]
    with override_settings(RTCPOOL={hook: "rtcpool_django.policy.admit_peer"}):
        assert check_rtcpool_settings() == []


@override_settings(CHANNEL_LAYERS={})
def test_a_channel_layer_is_required():
    assert ids(check_channel_layer()) == ["rtcpool.E003"]


@pytest.mark.parametrize(
    "backend",
    ["channels.layers.InMemoryChannelLayer", "rtcpool_django.layers.memory.InMemoryChannelLayer"],
)
def test_in_memory_layer_without_debug_warns(backend):
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": backend}}, DEBUG=False):
        assert ids(check_channel_layer()) == ["rtcpool.W001"]


@override_settings(CHANNEL_LAYERS=INMEMORY, DEBUG=True)
def test_in_memory_layer_in_development_is_fine():
    assert check_channel_layer() == []


REDIS = "channels_redis.core.RedisChannelLayer"
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"
OURS = "rtcpool_django.layers.RedisChannelLayer"
# Set so that only E004 is in question here (W002, W003: test_channel_layer_checks.py).
POOL = {"max_connections": 1000}


@pytest.mark.parametrize("backend", [REDIS, PUBSUB])
@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["redis://127.0.0.1:6379"], ["rtcpool.E004"]),
        ([("127.0.0.1", 6379)], ["rtcpool.E004"]),
        ([{"address": "redis://127.0.0.1:6379", **POOL}], ["rtcpool.E004"]),
        ([{"address": "redis://127.0.0.1:6379", "socket_timeout": 5, **POOL}], ["rtcpool.E004"]),
        ([{"address": "redis://127.0.0.1:6379", "socket_timeout": None, **POOL}], []),
    ],
)
def test_redis_py_8_needs_socket_timeout_none(monkeypatch, backend, hosts, expected):
    import redis

    monkeypatch.setattr(redis, "__version__", "8.1.0")
    layers = {"default": {"BACKEND": backend, "CONFIG": {"hosts": hosts, "capacity": 1000}}}
    with override_settings(CHANNEL_LAYERS=layers):
        assert ids(check_channel_layer()) == expected
    monkeypatch.setattr(redis, "__version__", "7.4.0")
    with override_settings(CHANNEL_LAYERS=layers):
        assert check_channel_layer() == []


TURN_OK = {"TURN_URLS": ["turn:turn.example:3478"], "TURN_SECRET": "north"}


@pytest.mark.parametrize(
    "value",
    [
        TURN_OK,
        {**TURN_OK, "STUN_URLS": ("stun:stun.example:3478", "stuns:stun.example:5349")},
        {**TURN_OK, "TURN_URLS": ["turns:turn.example:5349"], "TURN_CREDENTIAL_TTL": 60},
        {"STUN_URLS": ["stun:stun.example:3478"]},
    ],
)
def test_good_ice_settings_pass(value):
    with override_settings(RTCPOOL=value):
        assert ids(check_ice_settings()) == []
        tagged = checks.run_checks(tags=[checks.Tags.compatibility])  # no DB checks (Django 6)
        assert not [m for m in tagged if m.id.startswith("rtcpool.E")]


@pytest.mark.parametrize(
    "value",
    [
        {"TURN_URLS": ["turn:turn.example:3478"]},
        {"TURN_URLS": ["turn:turn.example:3478"], "TURN_SECRET": None},
        {"TURN_SECRET": "north"},
        {"TURN_SECRET": "north", "TURN_URLS": []},
    ],
)
def test_turn_urls_and_secret_come_together(value):
    with override_settings(RTCPOOL=value):
        assert ids(check_ice_settings()) == ["rtcpool.E005"]
        assert "rtcpool.E005" in ids(checks.run_checks(tags=[checks.Tags.compatibility]))


@pytest.mark.parametrize(
    "value",
    [
        {**TURN_OK, "TURN_URLS": "turn:turn.example:3478"},
        {**TURN_OK, "TURN_URLS": ["http://turn.example"]},
        {**TURN_OK, "TURN_URLS": ["stun:stun.example:3478"]},
        {**TURN_OK, "STUN_URLS": ["turn:turn.example:3478"]},
        {**TURN_OK, "STUN_URLS": [None]},
        {**TURN_OK, "TURN_SECRET": 42},
        {**TURN_OK, "TURN_CREDENTIAL_TTL": 0},
        {**TURN_OK, "TURN_CREDENTIAL_TTL": 60.5},
        {**TURN_OK, "TURN_CREDENTIAL_TTL": True},
    ],
)
def test_ill_typed_ice_settings(value):
    with override_settings(RTCPOOL=value):
        assert ids(check_ice_settings()) == ["rtcpool.E001"]


def test_an_empty_secret_is_ill_typed_and_leaves_turn_urls_without_one():
    with override_settings(RTCPOOL={**TURN_OK, "TURN_SECRET": ""}):
        assert ids(check_ice_settings()) == ["rtcpool.E001", "rtcpool.E005"]


def test_our_layer_does_not_need_socket_timeout_none(monkeypatch):
    # Its reader waits less than the connections' read timeout (tests/test_layers.py).
    import redis

    monkeypatch.setattr(redis, "__version__", "8.1.0")
    for hosts in (["redis://127.0.0.1:6379"], [{"address": "redis://127.0.0.1:6379", **POOL}]):
        layers = {"default": {"BACKEND": OURS, "CONFIG": {"hosts": hosts}}}
        with override_settings(CHANNEL_LAYERS=layers):
            assert "rtcpool.E004" not in ids(check_channel_layer())
