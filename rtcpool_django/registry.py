"""This worker process: its identity and the connections it holds open.

The heartbeat, the recovery after an outage and the metrics read it; the consumer
registers its connection here (through :meth:`rtcpool_django.heartbeat.Heartbeat.connected`,
which also starts the beat). It imports nothing of the app's, so every module may read it
and none has to import the heartbeat to know who this worker is.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from typing import Protocol


class Connection(Protocol):
    """What the worker's bookkeeping reads of an open connection (a ``PoolConsumer``)."""

    channel_name: str
    #: The joined peer's id, the pool's primary key and its group; ``None`` until joined.
    peer_id: str | None
    pool_id: int | None
    group_name: str | None
    #: The peers this connection knows, ``{peer_id: channel_name}``, and since when each
    #: (event-loop time); when it joined.
    roster: dict[str, str]
    roster_since: dict[str, float]
    joined_at: float

    async def stop(self, code: int) -> None:
        """Send ``rtc:stop`` and close the socket with ``code``."""
        ...


class Registry:
    """The identity and the open connections of this process (one instance: ``registry``)."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._worker_id = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        #: channel name -> connection, for every open connection of this process. The same
        #: dict for the life of the process: a reader may keep it.
        self.connections: dict[str, Connection] = {}

    @property
    def worker_id(self) -> str:
        """Unique per process: host, pid and a random part, re-made after a fork."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._worker_id = f"{socket.gethostname()}:{self._pid}:{secrets.token_hex(3)}"
        return self._worker_id

    def serve_running_loop(self) -> bool:
        """Hold the connections of the running event loop; True if it is a new one.

        Connections belong to the event loop that serves them: on a new loop (tests run
        one per test) those of the old one are forgotten."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return False
        self._loop = loop
        self.connections.clear()
        return True

    def connected(self, channel_name: str, connection: Connection) -> None:
        """A connection opened on the running event loop."""
        self.serve_running_loop()
        self.connections[channel_name] = connection

    def disconnected(self, channel_name: str) -> bool:
        """A connection closed; False if it was opened on another event loop (and so was
        already forgotten)."""
        if self._loop is not asyncio.get_running_loop():
            return False
        self.connections.pop(channel_name, None)
        return True


registry = Registry()
