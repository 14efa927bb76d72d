"""The local receive buffer of one channel of ``rtcpool_django.layers.RedisChannelLayer``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

logger = logging.getLogger("rtcpool_django.layers")


class ChannelBuffer:
    """Messages popped from Redis for one channel, waiting for its ``receive()``.

    Unlike ``asyncio.Queue`` it is bound to no event loop (a layer may be used from several
    loops in turn). ``get()`` is cancellation-safe: a message is only taken by the getter
    that returns it. When full, the oldest message is dropped (a consumer that stopped
    reading must not grow memory forever) and a warning names the channel, once per episode:
    the episode ends when the buffer has been emptied.
    """

    def __init__(self, channel: str, max_size: int) -> None:
        self.channel = channel
        self.max_size = max_size
        self.messages: deque[dict[str, Any]] = deque()
        self.getters: deque[asyncio.Future[None]] = deque()
        #: Number of receive() calls waiting on this channel (kept by the layer).
        self.waiting = 0
        #: When a receive() last waited on or left this channel (time.monotonic()).
        self.read_at = time.monotonic()
        self.overflowing = False

    def __len__(self) -> int:
        return len(self.messages)

    def put(self, message: dict[str, Any]) -> bool:
        """Append a message and wake one getter; False if the oldest had to be dropped."""
        kept = True
        if len(self.messages) >= self.max_size:
            self.messages.popleft()
            kept = False
            if not self.overflowing:
                self.overflowing = True
                logger.warning(
                    "Receive buffer of channel %s is full (%s messages): dropping its oldest "
                    "messages until it is read again.",
                    self.channel,
                    self.max_size,
                )
        self.messages.append(message)
        self._wake_one()
        return kept

    async def get(self) -> dict[str, Any]:
        """Wait for and take the oldest message."""
        while not self.messages:
            waiter = asyncio.get_running_loop().create_future()
            self.getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # Woken for a message but cancelled before taking it: pass the wake-up on.
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                raise
            finally:
                if waiter in self.getters:
                    self.getters.remove(waiter)
        message = self.messages.popleft()
        if not self.messages:
            self.overflowing = False
        return message

    def clear(self) -> None:
        """Forget every buffered message (``flush``)."""
        self.messages.clear()
        self.overflowing = False

    def _wake_one(self) -> None:
        while self.getters:
            waiter = self.getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
