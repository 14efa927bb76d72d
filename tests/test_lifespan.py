"""The ASGI lifespan route (uvicorn, hypercorn): the heartbeat starts at startup, before
any connection, and the worker takes its peers and its row away at shutdown."""

from __future__ import annotations

import asyncio

from asgiref.testing import ApplicationCommunicator

from rtcpool_django.lifespan import Lifespan
from rtcpool_django.models import Peer, Worker
from rtcpool_django.registry import registry


async def worker_row_exists() -> bool:
    return await Worker.objects.filter(id=registry.worker_id).aexists()


async def test_startup_starts_the_beat_and_shutdown_forgets_the_worker(connect):
    assert not await worker_row_exists()
    lifespan = ApplicationCommunicator(Lifespan(), {"type": "lifespan", "asgi": {"version": "3.0"}})
    await lifespan.send_input({"type": "lifespan.startup"})
    assert await lifespan.receive_output(5) == {"type": "lifespan.startup.complete"}
    async with asyncio.timeout(5):  # no connection: the beat registers the worker itself
        while not await worker_row_exists():  # noqa: ASYNC110 (polls the database)
            await asyncio.sleep(0.02)

    # Peers still here at shutdown (consumers the server could not close) are removed.
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await lifespan.send_input({"type": "lifespan.shutdown"})
    assert await lifespan.receive_output(5) == {"type": "lifespan.shutdown.complete"}
    assert not await worker_row_exists()
    assert not await Peer.objects.filter(id__in=[a.id, b.id]).aexists()
