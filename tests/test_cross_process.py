"""The Python API from a process with no WebSocket of its own, against live daphne workers.

Two daphne workers share a Redis channel layer; the management commands run as separate
``manage.py`` processes on the same test database and layer, as an operator would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from websockets.exceptions import ConnectionClosed

from rtcpool_django.models import Peer, Worker

from .live import ROOT, WSClient, start_all, unique_prefix
from .live import Worker as Daphne

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/0")


# No heartbeat prune during a test: only the command under test removes peers.
QUIET = {"RTCPOOL_HEARTBEAT_INTERVAL": "3600", "RTCPOOL_WORKER_TIMEOUT": "7200"}


@pytest.fixture(scope="module")
def _shared_workers(module_workers) -> list[Daphne]:
    return module_workers(2, redis_url=REDIS_URL, prefix=unique_prefix(), extra_env=QUIET)


@pytest.fixture
def workers(_shared_workers, transactional_db) -> list[Daphne]:
    """Two workers sharing a Redis channel layer, shared by the tests that leave them
    serving (describe, kick, close)."""
    return _shared_workers


@pytest.fixture
def own_workers(transactional_db) -> Iterator[list[Daphne]]:
    """Two workers of the test's own, for a test that kills one."""
    prefix = unique_prefix()
    started = [Daphne(redis_url=REDIS_URL, prefix=prefix, extra_env=QUIET) for _ in range(2)]
    try:
        yield start_all(started)
    finally:
        for worker in started:
            worker.stop()


async def manage(worker: Daphne, *args: str) -> str:
    """Run ``manage.py`` in its own process, with the workers' database and channel layer."""
    result = await sync_to_async(subprocess.run, thread_sensitive=False)(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=worker.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def peers_on(workers: list[Daphne], pool: str) -> list[WSClient]:
    """Three peers of ``pool``: two on the first worker, one on the second."""
    clients = [await WSClient.connect(workers[i].url) for i in (0, 0, 1)]
    for client in clients:
        await client.join(pool)
    for client in clients[:2]:
        await client.drain()
    return clients


async def test_describe_from_another_process(workers):
    a, b, c = await peers_on(workers, "room")
    out = await manage(workers[0], "rtcpool_describe", b.id, json.dumps({"n": 1}))
    assert out == f"Described {b.id}.\n"
    for client in (a, c):  # on b's own worker, and on the other one
        assert await client.expect("rtc:describe") == {
            "id": b.id,
            "uid": b.id,
            "description": {"n": 1},
        }
    assert await b.drain() == []
    for client in (a, b, c):
        await client.close()


async def test_kick_from_another_process(workers):
    a, b, c = await peers_on(workers, "room")
    await manage(workers[0], "rtcpool_kick", a.id)
    for client in (b, c):
        assert await client.expect("rtc:close") == {"id": a.id, "uid": a.id}
    assert await a.recv() == {"type": "rtc:stop", "data": {}}
    with pytest.raises(ConnectionClosed) as closed:
        await a.recv()
    assert closed.value.rcvd.code == 4001
    for client in (b, c):
        await client.close()


async def test_close_pool_from_another_process(workers):
    clients = await peers_on(workers, "room")
    assert await manage(workers[1], "rtcpool_close", "room") == (
        "Closed room: 3 peer(s) stopped.\n"
    )
    for client in clients:
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
        await client.ws.wait_closed()
    late = await WSClient.connect(workers[1].url)
    await late.send("rtc:join", {"pool": "room"})
    await late.error("pool_closed")
    await late.close()


async def test_prune_from_another_process_after_a_worker_dies(own_workers):
    workers = own_workers
    a, b, c = await peers_on(workers, "room")
    # The second worker (c's) dies without cleaning up; its heartbeat is then long past.
    workers[1].kill()
    await Worker.objects.filter(id=(await Peer.objects.aget(pk=c.id)).worker).aupdate(
        last_seen=timezone.now() - timedelta(days=1)
    )
    assert await manage(workers[0], "rtcpool_prune") == "Pruned 1 peer(s).\n"
    for client in (a, b):
        assert await client.expect("rtc:close") == {"id": c.id, "uid": c.id}
        await client.close()
