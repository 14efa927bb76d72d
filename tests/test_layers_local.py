"""rtcpool_django.layers.RedisChannelLayer: messages a process sends to its own channels,
on the loop that reads them, go straight into their buffers (layers.local), against real
Redis."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.exceptions import ChannelFull

from rtcpool_django.layers.local import LocalDelivery

from .layer_kit import count_commands, receive

pytestmark = pytest.mark.redis


async def goes_direct(layer, channel: str) -> bool:
    """Whether, within 2 s, the layer delivers ``channel``'s messages sent on this loop
    directly (its reader has found the queue empty); a receive() waits meanwhile."""
    local = layer._local(channel)
    listener = asyncio.ensure_future(layer.receive(channel))  # keeps the reader running
    for _ in range(200):
        if local.direct():
            break
        await asyncio.sleep(0.01)
    listener.cancel()
    return local.direct()


async def reading(layer, channel: str) -> None:
    """Receive once through Redis, then wait until the layer delivers ``channel``'s
    messages sent on this loop directly."""
    await layer.send(channel, {"type": "warm.up"})
    assert await receive(layer, channel) == {"type": "warm.up"}
    assert await goes_direct(layer, channel)


def read_on_a_first_loop(layer, channel: str) -> None:
    """Read ``channel`` directly on an event loop of its own, then close that loop: the
    next loop's readers start anew (as a test's next event loop does)."""

    async def first_loop() -> None:
        await reading(layer, channel)
        await layer.close_pools()

    asyncio.run(first_loop())


async def test_a_message_to_a_channel_of_this_process_skips_redis(make, monkeypatch):
    ours, other = make(), make()
    a, b = await ours.new_channel(), await ours.new_channel()
    await reading(ours, a)
    commands = count_commands(monkeypatch)

    sent = {"type": "m", "items": (1, 2)}
    await ours.send(b, sent)
    sent["type"] = "changed after send"
    assert await ours.send_many([(a, {"type": "n", "n": n}) for n in range(3)]) == []
    assert commands == []
    # A copy, as through Redis and the serializer (a tuple comes back a list).
    assert await receive(ours, b) == {"type": "m", "items": [1, 2]}
    assert [(await receive(ours, a))["n"] for _ in range(3)] == [0, 1, 2]
    # What the serializer refuses is refused as through Redis.
    with pytest.raises(TypeError):
        await ours.send(b, {"type": "m", "object": object()})
    # Another process's channels still go through Redis, and get there.
    c = await other.new_channel()
    await ours.send(c, {"type": "to.another.process"})
    assert commands == ["EVALSHA"]
    assert await receive(other, c) == {"type": "to.another.process"}


async def test_a_group_of_this_process_channels_is_read_once_and_sent_directly(make, monkeypatch):
    ours = make()
    a, b = await ours.new_channel(), await ours.new_channel()
    for channel in (a, b):
        await ours.group_add("local", channel)
    await reading(ours, a)
    commands = count_commands(monkeypatch)
    await ours.group_send("local", {"type": "all"})
    assert commands == ["EVALSHA"]  # reading the members; no delivery script
    assert await receive(ours, a) == await receive(ours, b) == {"type": "all"}


def test_order_holds_when_the_readers_move_to_a_new_event_loop(make):
    # What a loop sent through Redis before its reader started must not be overtaken by
    # what it sends directly after: the readers' new loop delivers directly only once its
    # reader has found the queue empty with nothing in flight.
    ours = make()
    channel = asyncio.run(ours.new_channel())
    read_on_a_first_loop(ours, channel)

    async def second_loop() -> list[int]:
        for n in range(3):  # through Redis: the reader runs on the first loop
            await ours.send(channel, {"type": "m", "n": n})
        received = []
        for n in range(3, 40):
            listener = asyncio.ensure_future(ours.receive(channel))
            await asyncio.sleep(0)  # the listener starts the reader on this loop
            await ours.send(channel, {"type": "m", "n": n})
            received.append((await listener)["n"])
        while len(received) < 40:
            received.append((await receive(ours, channel))["n"])
        # Once the sends stop, the reader finds the queue empty: direct from then on.
        direct = await goes_direct(ours, channel)
        await ours.close_pools()
        assert direct
        return received

    assert asyncio.run(second_loop()) == list(range(40))
    asyncio.run(ours.flush())


def test_a_bad_message_sent_through_redis_does_not_keep_a_new_loop_from_going_direct(make):
    # A send refused before it went (the serializer) must not stay counted in flight.
    ours = make()
    channel = asyncio.run(ours.new_channel())
    read_on_a_first_loop(ours, channel)

    async def second_loop() -> None:
        with pytest.raises(TypeError):
            await ours.send(channel, {"type": "m", "object": object()})
        with pytest.raises(TypeError):
            await ours.send_many([(channel, {"type": "m", "object": object()})])
        await reading(ours, channel)  # asserts it goes direct
        await ours.close_pools()

    asyncio.run(second_loop())
    asyncio.run(ours.flush())


async def test_a_full_buffer_refuses_a_direct_send_and_drops_nothing(make):
    ours = make(capacity=2)
    channel, idle = await ours.new_channel(), await ours.new_channel()
    await reading(ours, channel)
    for n in range(2):
        await ours.send(idle, {"type": "m", "n": n})
    with pytest.raises(ChannelFull):
        await ours.send(idle, {"type": "m", "n": 2})
    assert await ours.send_many([(idle, {"type": "m", "n": 3}), (channel, {"type": "ok"})]) == [
        idle
    ]
    assert ours.dropped_messages == 0
    assert [(await receive(ours, idle))["n"] for _ in range(2)] == [0, 1]
    assert await receive(ours, channel) == {"type": "ok"}


async def test_a_closed_channel_keeps_nothing_sent_to_it_directly(make):
    ours = make()
    channel, gone = await ours.new_channel(), await ours.new_channel()
    await reading(ours, channel)
    ours.close_channel(gone)
    await ours.send(gone, {"type": "crossed.its.departure"})
    assert gone not in ours.receive_buffer


async def test_a_send_from_another_event_loop_goes_through_redis(make, monkeypatch):
    # A sync view's async_to_sync sends from a loop of its own thread: the buffers belong
    # to the readers' loop.
    ours = make()
    channel = await ours.new_channel()
    await reading(ours, channel)
    commands = count_commands(monkeypatch)
    thread = threading.Thread(
        target=lambda: asyncio.run(ours.send(channel, {"type": "from.a.thread"}))
    )
    thread.start()
    await asyncio.to_thread(thread.join)
    assert "EVALSHA" in commands
    assert await receive(ours, channel) == {"type": "from.a.thread"}


def test_a_new_loop_waits_for_an_empty_pop_with_no_send_in_flight_or_started_since():
    local = LocalDelivery()

    async def scenario() -> list[bool]:
        loop = asyncio.get_running_loop()
        seen = []
        local.reading_on(loop)
        seen.append(local.direct())  # not yet: sends of this loop may be in Redis
        local.sending()
        asked = local.asking()  # a send in flight may reach Redis after the pop
        local.sent()
        local.popped(asked, empty=True)
        seen.append(local.direct())
        asked = local.asking()
        local.sending()  # started after the pop was asked: may land after it
        local.sent()
        local.popped(asked, empty=True)
        seen.append(local.direct())
        asked = local.asking()
        local.popped(asked, empty=False)  # the queue held messages: they are not read yet
        seen.append(local.direct())
        asked = local.asking()
        local.popped(asked, empty=True)
        seen.append(local.direct())
        local.reading_on(loop)  # the same loop again: stays direct
        seen.append(local.direct())
        return seen

    assert asyncio.run(scenario()) == [False, False, False, False, True, True]
    assert asyncio.run(_direct(local)) is False  # another loop


async def _direct(local: LocalDelivery) -> bool:
    return local.direct()
