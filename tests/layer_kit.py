"""The ``make`` fixture (imported by conftest) and helpers of the channel-layer tests
against real Redis: layers on a test prefix, receiving with a timeout, and counting what
redis-py sends."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis.asyncio as aioredis

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


def count_commands(monkeypatch) -> list[str]:
    """The Redis commands run from now on, by name (a list)."""
    commands: list[str] = []
    execute = aioredis.Redis.execute_command

    async def counted(self, *args, **options):
        commands.append(str(args[0]).upper())
        return await execute(self, *args, **options)

    monkeypatch.setattr(aioredis.Redis, "execute_command", counted)
    return commands


def count_pipelines(monkeypatch) -> list[int]:
    """The commands of each pipeline redis-py executes from now on, counted (a list)."""
    pipelines: list[int] = []
    pipeline_execute = aioredis.client.Pipeline.execute

    async def counted_pipeline(self, *args, **options):
        pipelines.append(len(self.command_stack))
        return await pipeline_execute(self, *args, **options)

    monkeypatch.setattr(aioredis.client.Pipeline, "execute", counted_pipeline)
    return pipelines
