"""The testing kit's own contract (``rtcpool_django.testing``)."""

import asyncio

import pytest

from rtcpool_django.consumers import PoolConsumer
from rtcpool_django.testing import SspClient


class SlowToAccept(PoolConsumer):
    """A consumer whose accept comes late, as a process's first connection's does on a
    loaded machine (it registers the worker in the database first)."""

    delay = 1.5

    async def connect(self) -> None:
        await asyncio.sleep(self.delay)
        await super().connect()


async def test_connect_waits_for_a_slow_accept(transactional_db):
    client = await SspClient.connect(SlowToAccept.as_asgi())
    await client.join("room")
    await client.close()


async def test_connect_gives_up_after_its_timeout(transactional_db):
    with pytest.raises(asyncio.TimeoutError):
        await SspClient.connect(SlowToAccept.as_asgi(), timeout=0.2)
