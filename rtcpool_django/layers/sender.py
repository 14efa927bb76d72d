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

A ``send_many`` submits its messages to a shard as one request with one future, not one
future per message: in a departure storm, resolving a future and waking a gather for
every notice was a twentieth of a worker's time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol, runtime_checkable

#: A message to send: Redis key, capacity, score, payload.
Item = tuple[str | bytes, int, float, bytes]
#: Messages of one sender waiting to go, and the future it awaits: the positions, in
#: ``items``, of those refused because their channel was full.
Request = tuple[list[Item], asyncio.Future[list[int]]]


@runtime_checkable
class SendingLayer(Protocol):
    """What a sender needs of its layer (``core.RedisChannelLayer`` provides it)."""

    #: Most messages per script call.
    SEND_CHUNK: int

    async def deliver_batch(self, index: int, items: list[Item]) -> list[int]:
        """Deliver messages to one shard in one script call; the positions refused."""
        ...


class ShardSender:
    """The sends of one event loop to one shard."""

    def __init__(self, layer: SendingLayer, index: int) -> None:
        self.layer = layer
        self.index = index
        self.pending: deque[Request] = deque()
        self.task: asyncio.Task[None] | None = None

    def submit(self, items: list[Item]) -> asyncio.Future[list[int]]:
        """Queue messages, in order; the future gives the positions of those refused
        because their channel was full."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        self.pending.append((items, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())
        return future

    async def _run(self) -> None:
        while self.pending:
            # Whole requests, about SEND_CHUNK messages (the layer splits a longer call).
            batch: list[Request] = []
            items: list[Item] = []
            while self.pending and (not items or len(items) < self.layer.SEND_CHUNK):
                request = self.pending.popleft()
                batch.append(request)
                items += request[0]
            try:
                refused = await self.layer.deliver_batch(self.index, items)
            except BaseException as exc:
                # Redis failing: every message of the call may be lost; their senders hear
                # it. Cancelled (the loop closing): so are the messages still waiting.
                cancelled = isinstance(exc, asyncio.CancelledError)
                for _, future in batch + (list(self.pending) if cancelled else []):
                    if not future.done():
                        future.set_exception(
                            ConnectionError("send cancelled") if cancelled else exc
                        )
                        _quiet(future)
                if cancelled:
                    self.pending.clear()
                    raise
                continue
            _resolve(batch, refused)


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


def _resolve(batch: list[Request], refused: list[int]) -> None:
    """Give each request of a call the positions refused among its own messages."""
    by_request: list[list[int]] = [[] for _ in batch]
    if refused:
        ends, end = [], 0
        for items, _ in batch:
            end += len(items)
            ends.append(end)
        request, start = 0, 0
        for position in sorted(refused):
            while position >= ends[request]:
                start = ends[request]
                request += 1
            by_request[request].append(position - start)
    for (_, future), positions in zip(batch, by_request, strict=True):
        if not future.done():  # its sender may have been cancelled
            future.set_result(positions)


def _quiet(future: asyncio.Future[Any]) -> None:
    # A sender cancelled meanwhile never reads its exception: do not log it as unretrieved.
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
