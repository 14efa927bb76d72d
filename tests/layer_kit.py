"""The ``make`` fixture (imported by conftest) and helpers of the channel-layer tests
against real Redis."""

from __future__ import annotations

import asyncio
import os

import pytest

from rtcpool_django.layers import RedisChannelLayer

from .live import unique_prefix

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/0")


def host(url: str = REDIS_URL) -> dict:
    return {"address": url, "socket_timeout": None}


@pytest.fixture
async def make():
    """make(cls=RedisChannelLayer, **config) -> a layer on the test prefix; flushed after."""
    prefix = unique_prefix() + ":"
    made = []

    def _make(cls=RedisChannelLayer, **config):
        config.setdefault("hosts", [host()])
        layer = cls(prefix=prefix, **config)
        made.append(layer)
        return layer

    yield _make
    for layer in made:
        await layer.flush()


async def receive(layer, channel: str) -> dict:
    async with asyncio.timeout(5):
        return await layer.receive(channel)
