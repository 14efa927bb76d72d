"""State kept per event loop (rtcpool_django.loops)."""

from __future__ import annotations

import asyncio

from rtcpool_django.loops import PerLoop


def test_a_value_per_loop_and_key_dropped_with_its_loop():
    made: list[str] = []

    def make(key: str) -> object:
        made.append(key)
        return object()

    cache: PerLoop[str, object] = PerLoop(make)

    async def values() -> tuple[object, object, object]:
        return cache.get("a"), cache.get("a"), cache.get("b")

    a1, a2, b = asyncio.run(values())
    assert a1 is a2 and a1 is not b
    a3, _, _ = asyncio.run(values())
    assert a3 is not a1  # a new loop, a new value
    assert made == ["a", "b", "a", "b"]
    assert len(cache) == 2  # what the closed first loop held is gone
