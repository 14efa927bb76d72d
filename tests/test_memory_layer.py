"""Our in-memory channel layer behaves as Channels' own and does not walk every channel on
every receive.

The first tests are the cases of Channels' ``tests/test_inmemorychannel.py`` (channels
4.3, BSD licence), run against both layers: ours must pass exactly what stock passes.
The expiry cases after them run on a fake clock, on both layers too.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as Stock

from rtcpool_django.layers.memory import InMemoryChannelLayer as Ours

LAYERS = pytest.mark.parametrize("layer_class", [Stock, Ours], ids=["stock", "ours"])


@pytest.fixture(params=[Stock, Ours], ids=["stock", "ours"])
async def channel_layer(request):
    channel_layer = request.param(capacity=3)
    yield channel_layer
    await channel_layer.flush()
    await channel_layer.close()


# --- Channels' own cases --------------------------------------------------------------------


async def test_send_receive(channel_layer):
    await channel_layer.send("test-channel-1", {"type": "test.message", "text": "Ahoy-hoy!"})
    await channel_layer.send("test-channel-1", {"type": "test.message", "text": "Ahoy-hoy!"})
    message = await channel_layer.receive("test-channel-1")
    assert message["type"] == "test.message"
    assert message["text"] == "Ahoy-hoy!"
    # not removed because not empty
    assert "test-channel-1" in channel_layer.channels
    message = await channel_layer.receive("test-channel-1")
    assert message["type"] == "test.message"
    assert message["text"] == "Ahoy-hoy!"
    # removed because empty
    assert "test-channel-1" not in channel_layer.channels


async def test_race_empty(channel_layer):
    receive_task = asyncio.create_task(channel_layer.receive("test-channel-1"))
    await asyncio.sleep(0.1)
    await channel_layer.send("test-channel-1", {"type": "test.message", "text": "Ahoy-hoy!"})
    del channel_layer.channels["test-channel-1"]
    await asyncio.sleep(0.1)
    message = await receive_task
    assert message["type"] == "test.message"
    assert message["text"] == "Ahoy-hoy!"


async def test_send_capacity(channel_layer):
    await channel_layer.send("test-channel-1", {"type": "test.message"})
    await channel_layer.send("test-channel-1", {"type": "test.message"})
    await channel_layer.send("test-channel-1", {"type": "test.message"})
    with pytest.raises(ChannelFull):
        await channel_layer.send("test-channel-1", {"type": "test.message"})


async def test_process_local_send_receive(channel_layer):
    channel_name = await channel_layer.new_channel()
    await channel_layer.send(channel_name, {"type": "test.message", "text": "Local only please"})
    message = await channel_layer.receive(channel_name)
    assert message["type"] == "test.message"
    assert message["text"] == "Local only please"


async def test_multi_send_receive(channel_layer):
    await channel_layer.send("test-channel-3", {"type": "message.1"})
    await channel_layer.send("test-channel-3", {"type": "message.2"})
    await channel_layer.send("test-channel-3", {"type": "message.3"})
    assert (await channel_layer.receive("test-channel-3"))["type"] == "message.1"
    assert (await channel_layer.receive("test-channel-3"))["type"] == "message.2"
    assert (await channel_layer.receive("test-channel-3"))["type"] == "message.3"


async def test_groups_basic(channel_layer):
    await channel_layer.group_add("test-group", "test-gr-chan-1")
    await channel_layer.group_add("test-group", "test-gr-chan-2")
    await channel_layer.group_add("test-group", "test-gr-chan-3")
    await channel_layer.group_discard("test-group", "test-gr-chan-2")
    await channel_layer.group_send("test-group", {"type": "message.1"})
    # Make sure we get the message on the two channels that were in
    async with asyncio.timeout(1):
        assert (await channel_layer.receive("test-gr-chan-1"))["type"] == "message.1"
        assert (await channel_layer.receive("test-gr-chan-3"))["type"] == "message.1"
    # Make sure the removed channel did not get the message
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(1):
            await channel_layer.receive("test-gr-chan-2")


async def test_groups_channel_full(channel_layer):
    await channel_layer.group_add("test-group", "test-gr-chan-1")
    for _ in range(5):
        await channel_layer.group_send("test-group", {"type": "message.1"})


@LAYERS
async def test_expiry_single(layer_class):
    channel_layer = layer_class(expiry=0.1)
    await channel_layer.send("test-channel-1", {"type": "message.1"})
    assert len(channel_layer.channels) == 1

    await asyncio.sleep(0.1)

    # Message should have expired and been dropped.
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(0.5):
            await channel_layer.receive("test-channel-1")

    # Channel should be cleaned up.
    assert len(channel_layer.channels) == 0


@LAYERS
async def test_expiry_unread(layer_class):
    channel_layer = layer_class(expiry=0.1)
    await channel_layer.send("test-channel-1", {"type": "message.1"})

    await asyncio.sleep(0.1)

    await channel_layer.send("test-channel-2", {"type": "message.2"})
    assert len(channel_layer.channels) == 2
    assert (await channel_layer.receive("test-channel-2"))["type"] == "message.2"
    # Both channels should be cleaned up.
    assert len(channel_layer.channels) == 0


@LAYERS
async def test_expiry_multi(layer_class):
    channel_layer = layer_class(expiry=0.1)
    await channel_layer.send("test-channel-1", {"type": "message.1"})
    await channel_layer.send("test-channel-1", {"type": "message.2"})
    await channel_layer.send("test-channel-1", {"type": "message.3"})
    assert (await channel_layer.receive("test-channel-1"))["type"] == "message.1"

    await asyncio.sleep(0.1)
    await channel_layer.send("test-channel-1", {"type": "message.4"})
    assert (await channel_layer.receive("test-channel-1"))["type"] == "message.4"

    # The second and third message should have expired and been dropped.
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(0.5):
            await channel_layer.receive("test-channel-1")

    # Channel should be cleaned up.
    assert len(channel_layer.channels) == 0


# --- expiry on a fake clock, both layers ------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """time.time() of both layers, moved by hand."""

    class Clock:
        now = 1_000_000.25

    monkeypatch.setattr(time, "time", lambda: Clock.now)
    return Clock


async def receive_now(layer, channel):
    """What a receive hands out at once, or None if it would wait."""
    try:
        async with asyncio.timeout(0.05):
            return await layer.receive(channel)
    except TimeoutError:
        return None


@LAYERS
async def test_a_message_is_handed_out_until_it_expires_and_then_never(layer_class, clock):
    layer = layer_class(expiry=10)
    await layer.send("c", {"type": "m", "n": 1})
    clock.now += 10  # expires when its time is strictly past
    assert await receive_now(layer, "c") == {"type": "m", "n": 1}
    await layer.send("c", {"type": "m", "n": 2})
    clock.now += 5
    await layer.send("c", {"type": "m", "n": 3})
    clock.now += 5.5  # n=2 expired, n=3 not yet
    assert await receive_now(layer, "c") == {"type": "m", "n": 3}
    assert await receive_now(layer, "c") is None


@LAYERS
async def test_an_expired_message_takes_its_channel_out_of_every_group(layer_class, clock):
    layer = layer_class(expiry=10)
    await layer.group_add("g1", "stuck")
    await layer.group_add("g2", "stuck")
    await layer.group_add("g1", "fine")
    await layer.send("stuck", {"type": "m"})
    clock.now += 5
    await layer.send("other", {"type": "m"})
    assert await receive_now(layer, "other") is not None  # nothing expired yet
    assert "stuck" in layer.groups["g1"]
    clock.now += 6
    await layer.send("other", {"type": "m"})
    assert await receive_now(layer, "other") is not None  # a receive anywhere sweeps
    assert layer.groups == {"g1": {"fine": pytest.approx(clock.now - 11)}, "g2": {}}
    assert "stuck" not in layer.channels


@LAYERS
async def test_a_membership_expires_group_expiry_seconds_after_its_group_add(layer_class, clock):
    layer = layer_class(group_expiry=60)
    await layer.group_add("g", "old")
    clock.now += 30
    await layer.group_add("g", "young")
    clock.now += 31
    await layer.group_send("g", {"type": "m"})  # "old" is 61 s old, "young" 31 s
    assert await receive_now(layer, "old") is None
    assert await receive_now(layer, "young") == {"type": "m"}
    assert list(layer.groups["g"]) == ["young"]
    await layer.group_add("g", "young")  # a group_add again starts it afresh
    clock.now += 59
    await layer.group_send("g", {"type": "m"})
    assert await receive_now(layer, "young") == {"type": "m"}


# --- what is ours only ------------------------------------------------------------------------


class CountingDict(dict):
    walks = 0

    def items(self):
        CountingDict.walks += 1
        return super().items()

    def values(self):
        CountingDict.walks += 1
        return super().values()


async def test_receives_do_not_walk_every_channel_and_group_while_nothing_can_expire(clock):
    layer = Ours(expiry=60)
    layer.channels, layer.groups = CountingDict(), CountingDict()
    for n in range(100):
        await layer.group_add(f"g{n // 10}", f"c{n}")
        await layer.send(f"c{n}", {"type": "m"})
    CountingDict.walks = 0
    for n in range(100):
        assert await layer.receive(f"c{n}") == {"type": "m"}
        await layer.send(f"c{(n + 1) % 100}", {"type": "again"})
    await layer.group_send("g0", {"type": "m"})
    # One sweep of the groups (the first of this second), none of the channels.
    assert CountingDict.walks == 1
    clock.now += 61  # now the messages left can have expired: the next receive sweeps
    await layer.send("fresh", {"type": "m"})
    assert await layer.receive("fresh") == {"type": "m"}
    assert CountingDict.walks >= 2
    assert set(layer.channels) == set()


async def test_send_many_delivers_in_order_and_reports_full_channels():
    layer = Ours(capacity=2)
    refused = await layer.send_many(
        [
            ("a", {"type": "m", "n": 1}),
            ("b", {"type": "m", "n": 1}),
            ("a", {"type": "m", "n": 2}),
            ("a", {"type": "m", "n": 3}),
            ("b", {"type": "m", "n": 2}),
        ]
    )
    assert refused == ["a"]
    assert [(await layer.receive("a"))["n"] for _ in range(2)] == [1, 2]
    assert [(await layer.receive("b"))["n"] for _ in range(2)] == [1, 2]


async def test_sends_and_receives_build_a_queue_only_for_a_new_channel(monkeypatch):
    layer = Ours()
    await layer.send("c", {"type": "m"})
    built = []

    class Counted(asyncio.Queue):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(asyncio, "Queue", Counted)
    for _ in range(3):
        await layer.send("c", {"type": "m"})
    assert [await layer.receive("c") for _ in range(4)] == [{"type": "m"}] * 4
    assert built == []
    await layer.send("new", {"type": "m"})
    assert len(built) == 1


async def test_a_closed_channel_keeps_nothing_of_what_is_sent_to_it_until_it_expires():
    layer = Ours(expiry=1)
    await layer.send("gone", {"type": "sent.before.it.closed"})
    layer.close_channel("gone")
    await layer.send("gone", {"type": "sent.after.it.closed"})
    assert "gone" not in layer.channels
    await layer.group_add("pool", "gone")
    await layer.group_send("pool", {"type": "to.the.group"})
    assert "gone" not in layer.channels
    await asyncio.sleep(1.1)
    layer.close_channel("another")
    assert "gone" not in layer._closed and "another" in layer._closed


def test_the_in_memory_layer_needs_no_redis_extra():
    # A site without channels_redis names it as its BACKEND: importing it must work.
    code = (
        "import sys; sys.modules['channels_redis'] = None\n"
        "from django.utils.module_loading import import_string\n"
        "import_string('rtcpool_django.layers.memory.InMemoryChannelLayer')\n"
        "try:\n"
        "    import_string('rtcpool_django.layers.RedisChannelLayer')\n"
        "except ImportError:\n"
        "    print('redis layer needs the extra')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "redis layer needs the extra\n"
