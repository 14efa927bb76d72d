"""Guard: rtcpool_django.layers was written against channels_redis 4.3.0's internals. When an
upgrade changes any of them, these tests fail with what changed and what to review, instead
of the layer silently disagreeing with stock processes about keys, encoding or routing.

To accept a new channels_redis: read the changed code, adapt rtcpool_django/layers/ (core.py,
outages.py, reader.py, scripts.py), run tests/test_layers*.py, then record the new digests
and widen the pin of the ``redis`` extra in pyproject.toml."""

from __future__ import annotations

import hashlib
import inspect
import tomllib
from pathlib import Path

import channels_redis
from channels_redis import core, utils
from packaging.requirements import Requirement

from rtcpool_django.layers import RedisChannelLayer
from rtcpool_django.layers.reader import ReadingLayer
from rtcpool_django.layers.sender import SendingLayer

WRITTEN_FOR = "4.3.0"

# sha256 (first 16 hex digits) of the source of what the layer overrides, calls or must
# agree with, in channels_redis 4.3.0.
DIGESTS = {
    # Overridden: their key formats, scores and capacity rules are copied.
    "RedisChannelLayer.__init__": "d0550cf4bccb9a90",
    "RedisChannelLayer.send": "1b2ad54990702acb",
    "RedisChannelLayer.receive": "158a09895d9a7c8e",
    "RedisChannelLayer.group_send": "c9623ea6ccfa7308",
    "RedisChannelLayer.flush": "e92ed900373a3d78",
    "RedisChannelLayer.close_pools": "e027f6102aa47f57",
    # Called: the layer relies on what they do.
    "RedisChannelLayer.receive_single": "5a498bb3a2545bf1",
    "RedisChannelLayer._brpop_with_clean": "363a120edcef61d5",
    "RedisChannelLayer._clean_receive_backup": "7142822d70070e39",
    "RedisChannelLayer._backup_channel_name": "3add6e0ef708a9de",
    "RedisChannelLayer._map_channel_keys_to_connection": "789f9193b4536625",
    "RedisChannelLayer._group_key": "7e89938e1cb20f26",
    "RedisChannelLayer.new_channel": "339845a6686b40a5",
    "RedisChannelLayer.group_add": "85ed67999d94bb85",
    "RedisChannelLayer.group_discard": "c5f15129af9f622b",
    "RedisChannelLayer.serialize": "b4934d9f37d461ec",
    "RedisChannelLayer.deserialize": "efb14181c02c1adf",
    "RedisChannelLayer.consistent_hash": "ba115e0235516e21",
    "RedisChannelLayer.connection": "d975ed8505cf7594",
    "RedisChannelLayer.create_pool": "078b4e157f6e27bc",
    "RedisLoopLayer": "85ac22b694461cb0",
    "utils._consistent_hash": "a67f87dec0b0b75d",
    "utils.create_pool": "c706feb32b834078",
    "utils.decode_hosts": "012afe3ce1b8e8a5",
    "utils._wrap_close": "3d610af1683772a9",
}


def _resolve(name: str):
    module = utils if name.startswith("utils.") else core
    target = module
    for part in name.removeprefix("utils.").split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _digest(target) -> str:
    return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()[:16]


def test_installed_channels_redis_is_within_the_pinned_range():
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    (pin,) = pyproject["project"]["optional-dependencies"]["redis"]
    assert Requirement(pin).specifier.contains(channels_redis.__version__), (
        f"channels_redis {channels_redis.__version__} is outside the pinned range {pin!r} "
        "that rtcpool_django.layers was proven on."
    )


def test_upstream_internals_are_those_the_layer_was_written_for():
    missing = [name for name in DIGESTS if _resolve(name) is None]
    changed = [
        name
        for name, digest in DIGESTS.items()
        if name not in missing and _digest(_resolve(name)) != digest
    ]
    assert not (missing or changed), (
        f"\n\n!!! channels_redis {channels_redis.__version__} changed internals that "
        f"rtcpool_django.layers (written for {WRITTEN_FOR}) overrides or relies on !!!\n"
        f"  gone:    {missing}\n  changed: {changed}\n"
        "Review them against rtcpool_django/layers/ (core, outages, reader, scripts) "
        "before trusting the layer; see this module's docstring.\n"
    )


def test_constructor_takes_what_the_stock_one_takes():
    stock = inspect.signature(core.RedisChannelLayer.__init__).parameters
    ours = inspect.signature(RedisChannelLayer.__init__).parameters
    assert list(stock) == [name for name in ours if name != "receive_batch_size"]
    for name, parameter in stock.items():
        if name not in ("self", "capacity"):
            assert ours[name].default == parameter.default, name
    assert stock["capacity"].default == 100  # the default ours replaces, documented


def test_key_formats_and_routing_are_those_the_lua_scripts_use():
    layer = core.RedisChannelLayer(hosts=["redis://127.0.0.1:6379/0"] * 3, prefix="p")
    assert layer._backup_channel_name("pspecific.x!") == "pspecific.x!$inflight"
    assert layer._group_key("g") == b"p:group:g"
    assert layer.non_local_name("specific.abc!def") == "specific.abc!"
    assert layer.consistent_hash("specific.abc!") == utils._consistent_hash("specific.abc!", 3)
    assert [layer.consistent_hash(v) for v in ("x0", "x4", "e", "specific.abc!")] == [0, 1, 1, 2]
    assert layer.client_prefix and isinstance(layer.receive_buffer, dict)
    assert hasattr(layer, "_send_index_generator") and layer.brpop_timeout == 5
    message = {"type": "t", "__asgi_channel__": "specific.abc!def"}
    encoded = layer.serialize(message)
    assert layer.deserialize(encoded) == message
    # A message to the process's own channel is copied through the serializer's bytes
    # alone (layers.local): what serialize() adds is the random prefix and encryption.
    serializer = layer._serializer
    assert serializer.from_bytes(serializer.as_bytes(message)) == layer.deserialize(encoded)
    # The random prefix comes first: equal scores would order members randomly.
    assert layer.serialize(message) != encoded


def test_the_layer_is_what_its_reader_and_sender_need():
    # Part of what they need is stock's (ring_size, brpop_timeout, connection, ...).
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:6379/0"], prefix="p")
    assert isinstance(layer, ReadingLayer)
    assert isinstance(layer, SendingLayer)
    assert layer.backup_key("pspecific.x!") == "pspecific.x!$inflight"
