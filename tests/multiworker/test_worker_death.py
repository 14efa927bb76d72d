"""A worker that goes away (SIGKILL or SIGTERM) must not leave ghosts in its pools: its
peers are removed and every surviving peer that knew them gets ``rtc:close``."""

from __future__ import annotations

import asyncio
import signal
import socket

import pytest

from rtcpool_django.models import Peer, Worker

from ..live import WSClient
from .conftest import query

pytestmark = pytest.mark.multiworker

# Short heartbeat so that a killed worker is noticed within seconds.
FAST_HEARTBEAT = {"RTCPOOL_HEARTBEAT_INTERVAL": "0.5", "RTCPOOL_WORKER_TIMEOUT": "2"}


async def closes(client: WSClient, count: int, timeout: float) -> set[str]:
    """The ids of the next ``count`` rtc:close frames, in a bounded wait."""
    ids = set()
    async with asyncio.timeout(timeout):
        while len(ids) < count:
            frame = await client.recv(timeout=None)
            assert frame["type"] == "rtc:close", frame
            assert frame["data"]["id"] == frame["data"]["uid"]
            ids.add(frame["data"]["id"])
    return ids


async def pool_of_two_workers(doomed_url: str, survivor_url: str):
    """Two peers on the doomed worker, two on the survivor, all in one pool."""
    clients = []
    for url in (doomed_url, survivor_url, doomed_url, survivor_url):
        client = await WSClient.connect(url)
        await client.join("mortal")
        clients.append(client)
    for n, client in enumerate(clients):
        # Each learns of every later joiner; nothing else.
        for later in clients[n + 1 :]:
            assert (await client.expect("rtc:peer"))["id"] == later.id
    return clients[0::2], clients[1::2]


async def peers_in_database() -> set[str]:
    return await query(lambda: {str(pk) for pk in Peer.objects.values_list("id", flat=True)})


async def test_peers_of_a_killed_worker_are_pruned_by_a_live_one(cluster):
    doomed, survivor = cluster(2, **FAST_HEARTBEAT)
    lost, kept = await pool_of_two_workers(doomed.url, survivor.url)

    doomed.kill()  # SIGKILL: no cleanup at all

    lost_ids = {client.id for client in lost}
    for client in kept:
        assert await closes(client, 2, timeout=20) == lost_ids
    assert await peers_in_database() == {client.id for client in kept}
    for client in kept:
        assert await client.drain() == []
    # The dead worker's heartbeat row went with its peers; the survivor's stays.
    assert await query(Worker.objects.count) == 1


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
async def test_a_worker_stopped_with_sigterm_removes_its_peers_on_the_way_out(cluster, server):
    # A long heartbeat timeout: only the departing worker itself can have told the others.
    leaving, staying = cluster(
        2, server=server, RTCPOOL_HEARTBEAT_INTERVAL="60", RTCPOOL_WORKER_TIMEOUT="600"
    )
    lost, kept = await pool_of_two_workers(leaving.url, staying.url)
    # An idle TCP connection that never sends a request, as a load balancer's health check
    # leaves: daphne's own shutdown hook fails on it (KeyError) and cancels no consumer.
    with socket.create_connection(("127.0.0.1", leaving.port)):
        # uvicorn re-raises the signal after its graceful shutdown; daphne exits 0.
        assert leaving.terminate() == (-signal.SIGTERM if server == "uvicorn" else 0)

    lost_ids = {client.id for client in lost}
    for client in kept:
        assert await closes(client, 2, timeout=10) == lost_ids
    assert await peers_in_database() == {client.id for client in kept}


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
async def test_a_worker_without_connections_prunes_a_dead_ones_peers(cluster, server):
    """A worker beats from the moment it serves, not from its first connection: uvicorn
    builds the application before its loop runs, and beats from ``lifespan.startup``."""
    (doomed,) = cluster(1, **FAST_HEARTBEAT)
    cluster(1, server=server, **FAST_HEARTBEAT)  # serves, and no socket ever reaches it
    clients = [await WSClient.connect(doomed.url) for _ in range(2)]
    for client in clients:
        await client.join("mortal")
    doomed.kill()  # SIGKILL: no cleanup at all; the idle worker is the only one left
    async with asyncio.timeout(20):
        while await peers_in_database():  # noqa: ASYNC110 (polls the database)
            await asyncio.sleep(0.1)
    assert await query(Worker.objects.count) == 1
    for client in clients:
        await client.close()
