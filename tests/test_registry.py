"""rtcpool_django.registry: this worker's identity and the connections it holds."""

from __future__ import annotations

import asyncio
import os
from types import SimpleNamespace

from rtcpool_django.registry import Registry


def test_worker_id_is_one_per_process_and_made_afresh_after_a_fork(monkeypatch):
    registry = Registry()
    first = registry.worker_id
    assert first == registry.worker_id
    assert first.split(":")[1] == str(os.getpid())
    # A forked child has another pid: it must not beat (or prune) as its parent.
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    child = registry.worker_id
    assert child != first and child.split(":")[1] == "4242"


async def test_connections_are_registered_and_forgotten():
    registry = Registry()
    one, two = SimpleNamespace(peer_id=None), SimpleNamespace(peer_id="p")
    registry.connected("a", one)
    registry.connected("b", two)
    assert registry.connections == {"a": one, "b": two}
    assert registry.disconnected("a")
    assert registry.disconnected("a")  # twice is harmless
    assert registry.connections == {"b": two}


def test_a_new_event_loop_forgets_the_connections_of_the_old():
    registry = Registry()
    held = registry.connections

    async def open_one(name: str) -> None:
        registry.connected(name, SimpleNamespace(peer_id=None))

    asyncio.run(open_one("old"))
    asyncio.run(open_one("new"))
    assert list(registry.connections) == ["new"]
    assert registry.connections is held  # readers may keep the dict

    async def close_elsewhere() -> bool:
        return registry.disconnected("new")

    # Closed on a loop that does not hold it: nothing to forget, nothing forgotten.
    assert not asyncio.run(close_elsewhere())
    assert list(registry.connections) == ["new"]
