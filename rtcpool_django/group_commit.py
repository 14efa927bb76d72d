"""Group commit: calls that arrive while one call of their kind is in flight wait for it,
then go together as one batch.

A join or a departure is one short transaction, and on a database a few milliseconds
away most of its time is the round trip, not the work. So when a burst arrives (a class
starting, a class ending) the first call goes at once, alone; the calls that arrive while
it is in flight queue up and go together as the next batch, in one transaction and one
round trip, while a batch's results are being delivered; and so on. Batching comes from
concurrency, never from a timer: a lone call on an idle worker starts at once and waits
for nothing.

The batch function returns one outcome per item (a result, or the exception that item
alone failed with); an exception of the batch as a whole fails every item of it. Each
event loop has its own queue (a worker has one loop; tests start one per test).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - an item
R = TypeVar("R")  # its result

#: A batch: items in arrival order -> one outcome per item, in the same order.
Batch = Callable[[list[I]], Awaitable[Sequence["R | BaseException"]]]


class GroupCommit(Generic[I, R]):
    """Run ``batch`` over the items of concurrent :meth:`submit` calls, one batch at a time
    (per event loop), at most ``max_items`` items per batch."""

    def __init__(self, batch: Batch[I, R], *, max_items: int = 200) -> None:
        self.batch = batch
        self.max_items = max_items
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[I, R]] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, item: I) -> R:
        """Await ``item``'s outcome: its result, or raise the exception it failed with."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(self)
        return await queue.submit(item)

    def batches_in_flight(self) -> int:
        """Batches running on the current event loop (0 or 1)."""
        queue = self._queues.get(asyncio.get_running_loop())
        return 1 if queue is not None and queue.draining is not None else 0

    def queued(self) -> int:
        """Items on the current event loop waiting for the next batch."""
        queue = self._queues.get(asyncio.get_running_loop())
        return len(queue.waiting) if queue is not None else 0


class _Queue(Generic[I, R]):
    def __init__(self, owner: GroupCommit[I, R]) -> None:
        self.owner = owner
        self.waiting: list[tuple[I, asyncio.Future[R]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def submit(self, item: I) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self.draining is None:
            # Nothing in flight: this call starts a batch now, alone or with the calls
            # that were queued in the same loop iteration.
            self.draining = asyncio.ensure_future(self.drain())
        # A caller cancelled while its item is in a batch leaves the batch going: the
        # others' items are in the same transaction.
        return await future

    async def drain(self) -> None:
        taken: list[tuple[I, asyncio.Future[R]]] = []
        try:
            while self.waiting:
                taken = self.waiting[: self.owner.max_items]
                del self.waiting[: self.owner.max_items]
                try:
                    outcomes = list(await self.owner.batch([item for item, _ in taken]))
                    if len(outcomes) != len(taken):
                        raise RuntimeError("a batch returned the wrong number of outcomes")
                except Exception as exc:  # the batch as a whole failed: so did each item
                    outcomes = [exc] * len(taken)
                for (_, future), outcome in zip(taken, outcomes, strict=True):
                    if future.done():  # its caller was cancelled
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                taken = []
        except BaseException:
            # Cancelled (the loop is shutting down): nobody may wait for ever.
            for _, future in [*taken, *self.waiting]:
                future.cancel()
            self.waiting = []
            raise
        finally:
            self.draining = None
