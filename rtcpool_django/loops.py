"""State that belongs to one event loop: asyncio objects (semaphores, queues, tasks) work
only on the loop they were made on, and a process may run several loops in turn (tests,
``async_to_sync`` from a thread). Imports nothing of the app's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerLoop(Generic[K, V]):
    """``factory(key)`` made once per running event loop and key; what a closed loop
    held is dropped the next time a value is made."""

    def __init__(self, factory: Callable[[K], V]) -> None:
        self._factory = factory
        self._values: dict[tuple[asyncio.AbstractEventLoop, K], V] = {}

    def get(self, key: K) -> V:
        """The value of ``key`` for the running loop (call from inside it)."""
        loop = asyncio.get_running_loop()
        value = self._values.get((loop, key))
        if value is None:
            for stale in [k for k in self._values if k[0].is_closed()]:
                del self._values[stale]
            value = self._values[(loop, key)] = self._factory(key)
        return value

    def __len__(self) -> int:
        return len(self._values)
