"""A site's own events on the same socket: a PoolConsumer subclass, as the README shows."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer

from rtcpool_django import pools
from rtcpool_django.consumers import PoolConsumer


class ChatConsumer(PoolConsumer):
    """Relays {"type": "chat", "data": {"text"}} to everyone in the sender's pool."""

    async def receive_custom(self, event_type: str, data: Any) -> None:
        if event_type == "chat" and self.group_name:
            await self.channel_layer.group_send(
                self.group_name, {"type": "chat.message", "sender": self.peer_id, "data": data}
            )

    async def chat_message(self, message: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "chat", "data": {**message["data"], "from": message["sender"]}}
        )


@pytest.fixture
def application():
    return ChatConsumer.as_asgi()


async def test_custom_events_reach_the_subclass_and_the_pool_group(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    other = await connect()
    await other.join("elsewhere")
    await a.drain()

    await a.send("chat", {"text": "hi"})
    for client in (a, b):
        assert await client.recv() == {"type": "chat", "data": {"text": "hi", "from": a.id}}
    await other.nothing()

    # A site's own server code reaches the pool through its group.
    pool = await pools.aget_pool("room")
    await get_channel_layer().group_send(
        pool.group_name, {"type": "chat.message", "sender": "server", "data": {"text": "news"}}
    )
    for client in (a, b):
        assert (await client.recv())["data"] == {"text": "news", "from": "server"}
    await other.nothing()


async def test_custom_events_are_ignored_by_default(transactional_db):
    """Also the testing kit's own example: SspClient.connect() with its defaults."""
    from rtcpool_django.testing import SspClient

    client = await SspClient.connect()
    await client.join("room")
    await client.send("chat", {"text": "hi"})
    await client.nothing()
    await client.send("rtc:join", {"pool": "room"})  # still usable afterwards
    await client.error("already_joined")
    await client.close()
