"""Fixtures for the multi-worker tests: several real daphne processes of the example
project sharing one Redis channel layer and the run's PostgreSQL test database."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from ..live import Worker, stop_all, unique_prefix

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/0")

T = TypeVar("T")

LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "ours": "rtcpool_django.layers.RedisChannelLayer",
}


async def query(fn: Callable[[], T]) -> T:
    """Run a database query of the test from async code, and close the connection of the
    thread it ran in: an open one would keep the test database from being dropped."""

    def run() -> T:
        try:
            return fn()
        finally:
            connection.close()

    return await sync_to_async(run)()


@pytest.fixture(autouse=True)
def _shared_database() -> None:
    # SQLite cannot serve several processes' concurrent transactions the way production
    # does; these tests prove the PostgreSQL deployment, so they refuse to run on anything
    # else rather than pass for the wrong reason.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("multi-worker tests need PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def cluster(transactional_db) -> Iterator[Callable[..., list[Worker]]]:
    """cluster(n, layer="core", server="daphne", **env) -> n workers sharing one Redis prefix.

    Workers start in parallel (each takes a second or two to import Django); all are
    stopped before the test database is flushed.
    """
    started: list[Worker] = []

    def start(
        n: int = 2,
        layer: str = "core",
        server: str = "daphne",
        redis_url: str = REDIS_URL,
        server_args: Sequence[str] = (),
        **env: str,
    ) -> list[Worker]:
        prefix = unique_prefix()
        extra = {"RTCPOOL_CHANNEL_LAYER": LAYERS[layer], **env}
        workers = [
            Worker(
                redis_url=redis_url,
                prefix=prefix,
                extra_env=extra,
                server=server,
                server_args=server_args,
            )
            for _ in range(n)
        ]
        started.extend(workers)
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(lambda worker: worker.start(), workers))
        return workers

    yield start
    stop_all(started)
