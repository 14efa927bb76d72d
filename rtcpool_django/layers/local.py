"""When a message to one of a process's own channels may skip Redis.

A process reads its channels on one event loop (its readers', ``layers.reader``). A
message it sends to one of them from that loop is put straight into the channel's local
buffer: no script call to send it, none to pop it, no serializing to Redis and back. In a
join storm on two workers about half of the notices go to the sending worker's own
channels. Sent from any other loop (a sync view's ``async_to_sync``), a message goes
through Redis as before: the buffers belong to the readers' loop.

What must not change is the order of one sender's messages to one channel. A sender on
the readers' loop sends every message to a channel the same way, except when the readers
move to a new loop (a test's next event loop): messages that loop sent through Redis
before may still be in Redis. So a new loop delivers directly only once its reader has
found the queue empty with no send of that loop to these channels in flight or started
since the reader asked: by then every such message has reached the buffers.
"""

from __future__ import annotations

import asyncio


class LocalDelivery:
    """The direct-delivery state of one process channel (``specific.<prefix>!``)."""

    def __init__(self) -> None:
        #: The loop whose messages go straight into the buffers, if any.
        self.loop: asyncio.AbstractEventLoop | None = None
        # The readers' new loop, waiting for its reader to find the queue empty.
        self._pending: asyncio.AbstractEventLoop | None = None
        # Sends through Redis to these channels: started in all, and still in flight.
        self._started = 0
        self._in_flight = 0

    def direct(self) -> bool:
        """Whether a message sent from the running loop goes straight into its buffer."""
        return self.loop is not None and self.loop is asyncio.get_running_loop()

    def reading_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """The readers (re)start on ``loop``."""
        if loop is not self.loop and loop is not self._pending:
            self.loop, self._pending = None, loop

    def sending(self) -> None:
        """A send through Redis to one of these channels starts; call :meth:`sent` after."""
        self._started += 1
        self._in_flight += 1

    def sent(self) -> None:
        self._in_flight -= 1

    def asking(self) -> int | None:
        """The home shard's reader is about to pop: pass the result to :meth:`popped`.
        None when a send is in flight: it may reach Redis after the pop."""
        return None if self._in_flight else self._started

    def popped(self, asked: int | None, empty: bool) -> None:
        """The pop :meth:`asking` announced returned; ``empty``: the queue held nothing.
        Had no send been in flight when it was asked and none started since, everything
        sent through Redis before it had reached Redis before it, and is in the buffers."""
        if (
            empty
            and asked is not None
            and asked == self._started
            and self._pending is not None
            and self._pending is asyncio.get_running_loop()
        ):
            self.loop, self._pending = self._pending, None
