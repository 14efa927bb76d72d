"""The send side of ``rtcpool_django.layers``: every send of a process to one Redis shard
is coalesced into as few script calls as possible.

A burst of joins fans out thousands of notices and a busy worker relays thousands of
candidates a second, each a separate ``send``. One script call per message costs a round
trip each and, when they run at once, a new Redis connection each (redis-py creates one
per concurrent command, and creating one is expensive). Here messages wait while the call
before them is in flight and then go together in the next one: one connection per shard
and event loop, and under load one round trip for many messages. An idle process sends at
once (no timer, no added latency).

Order: a message's score (its place in the queue) is fixed when it is submitted, strictly
increasing within the process, and a sender awaits each send before the next, so one
sender's messages to one channel keep their order.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, runtime_checkable

#: A message waiting to go: Redis key, capacity, score, payload, and the future its sender
#: awaits (True if the channel was full).
Pending = tuple[str | bytes, int, float, bytes, asyncio.Future[bool]]


@runtime_checkable
class SendingLayer(Protocol):
    """What a sender needs of its layer (``core.RedisChannelLayer`` provides it)."""

    #: Most messages per script call.
    SEND_CHUNK: int

    async def deliver_batch(self, index: int, items: list[Pending]) -> list[int]:
        """Deliver messages to one shard in one script call; the positions refused."""
        ...


class ShardSender:
    """The sends of one event loop to one shard."""

    def __init__(self, layer: SendingLayer, index: int) -> None:
        self.layer = layer
        self.index = index
        self.pending: list[Pending] = []
        self.task: asyncio.Task[None] | None = None

    def submit(
        self, key: str | bytes, capacity: int, score: float, payload: bytes
    ) -> asyncio.Future[bool]:
        """Queue a message; the future says whether its channel was full (refused)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self.pending.append((key, capacity, score, payload, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())
        return future

    async def _run(self) -> None:
        while self.pending:
            batch = self.pending[: self.layer.SEND_CHUNK]
            del self.pending[: self.layer.SEND_CHUNK]
            try:
                refused = set(await self.layer.deliver_batch(self.index, batch))
            except BaseException as exc:
                # Redis failing: every message of the call may be lost; their senders hear
                # it. Cancelled (the loop closing): so are the messages still waiting.
                cancelled = isinstance(exc, asyncio.CancelledError)
                for *_, future in batch + (self.pending if cancelled else []):
                    if not future.done():
                        future.set_exception(
                            ConnectionError("send cancelled") if cancelled else exc
                        )
                        _quiet(future)
                if cancelled:
                    self.pending.clear()
                    raise
                continue
            for number, (*_, future) in enumerate(batch):
                if not future.done():  # its sender may have been cancelled
                    future.set_result(number in refused)


class ShardBatch:
    """The messages of one ``send_many`` / ``group_send`` call bound for one shard."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.keys: list[str | bytes] = []
        self.capacities: list[int] = []
        self.scores: list[float] = []
        self.payloads: list[bytes] = []

    def add(self, number: int, key: str | bytes, capacity: int, score: float) -> None:
        self.numbers.append(number)
        self.keys.append(key)
        self.capacities.append(capacity)
        self.scores.append(score)


def _quiet(future: asyncio.Future[Any]) -> None:
    # A sender cancelled meanwhile never reads its exception: do not log it as unretrieved.
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
