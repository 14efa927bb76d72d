"""Exactly-once discovery and departure when many peers join and leave one pool at the
same moment on different workers (DESIGN rules 1 and 2, CLIENT-NOTES "Joining")."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import pytest
from websockets.exceptions import ConnectionClosed

from ..live import WSClient

pytestmark = pytest.mark.multiworker

# Any Unicode text up to MAX_POOL_NAME_LENGTH (200) must work as a pool name, also across
# workers (its channel-layer group name must stay valid).
POOL = ("会議室 🎥 ünïcode / spaces & symbols " * 8)[:200]


class Observer:
    """Reads every frame of one client in the background and checks each against what
    this client has been told so far, as the real RTCPool client does."""

    def __init__(self, client: WSClient) -> None:
        self.client = client
        self.joined: dict | None = None
        self.known: set[str] = set()
        self.peer_events: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()
        self.violations: list[str] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self.client.recv(timeout=None)
                self._see(frame["type"], frame["data"])
        except ConnectionClosed:
            pass

    def _see(self, kind: str, data: dict) -> None:
        if kind == "rtc:joined":
            self.joined = data
            self.client.id = data["client_id"]
            self.known.update(data["peers"])
        elif kind == "rtc:peer":
            self.peer_events[data["id"]] += 1
            if data["id"] in self.known or data["id"] == self.client.id:
                self.violations.append(f"rtc:peer for {data['id']}, already known")
            self.known.add(data["id"])
        elif kind == "rtc:close":
            self.closes[data["id"]] += 1
            if data["id"] not in self.known:
                self.violations.append(f"rtc:close for {data['id']}, never learned")
            self.known.discard(data["id"])
        else:
            self.violations.append(f"unexpected {kind}: {data}")

    async def join(self) -> None:
        await self.client.send("rtc:join", {"pool": POOL})

    async def close(self) -> None:
        await self.client.close()
        await self.task


async def until(condition, timeout: float = 20.0) -> None:
    """Wait (bounded) for a condition on what the observers have seen."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (polls what several readers saw)
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("layer", ["core", "pubsub", "ours"])
async def test_simultaneous_joins_and_leaves_on_three_workers(cluster, layer):
    workers = cluster(3, layer)
    urls = [worker.url for worker in workers]

    # 12 peers already in the pool, spread over the workers.
    settled = [Observer(await WSClient.connect(urls[n % 3])) for n in range(12)]
    for observer in settled:
        await observer.join()
        await until(lambda o=observer: o.joined is not None)

    # 24 more join at the same moment while 6 of the settled ones leave.
    newcomers = [Observer(await WSClient.connect(urls[n % 3])) for n in range(24)]
    leaving, staying = settled[:6], settled[6:]
    await asyncio.gather(*(o.join() for o in newcomers), *(o.client.close() for o in leaving))
    await asyncio.gather(*(o.task for o in leaving))

    survivors = staying + newcomers
    await until(lambda: all(o.joined is not None for o in newcomers))
    survivor_ids = {o.client.id for o in survivors}
    await until(lambda: all(o.known == survivor_ids - {o.client.id} for o in survivors))
    await asyncio.sleep(0.5)  # room for a duplicate or stray frame to show up

    for observer in survivors:
        assert observer.violations == [], observer.violations
        assert observer.known == survivor_ids - {observer.client.id}
        assert all(count == 1 for count in observer.closes.values()), observer.closes

    # For every pair exactly one side had the other in rtc:joined.peers (the polite
    # side); the other side got exactly one rtc:peer.
    for x, y in itertools.combinations(newcomers + staying, 2):
        x_polite = y.client.id in x.joined["peers"]
        y_polite = x.client.id in y.joined["peers"]
        assert x_polite != y_polite, (x.client.id, y.client.id)
        impolite, peer = (y, x) if x_polite else (x, y)
        assert impolite.peer_events[peer.client.id] == 1

    await asyncio.gather(*(o.close() for o in survivors))
