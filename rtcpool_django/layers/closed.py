"""Channels whose one reader has ended, remembered for a while so that a layer drops what
is still sent to them instead of keeping it until it expires."""

from __future__ import annotations

import time


class ClosedChannels:
    """Names of closed channels, each forgotten ``expiry`` seconds after it closed (by then
    a message sent to it would have expired anyway). Costs a name per channel closed in
    the last ``expiry`` seconds, against a queue and its messages."""

    def __init__(self, expiry: float) -> None:
        self.expiry = expiry
        self._closed: dict[str, float] = {}  # in the order they closed (time.monotonic())

    def __contains__(self, channel: object) -> bool:
        return channel in self._closed

    def add(self, channel: str) -> None:
        """Note that ``channel`` closed now; forget those closed over ``expiry`` ago."""
        now = time.monotonic()
        self._closed.pop(channel, None)
        self._closed[channel] = now
        expired = []
        for name, closed_at in self._closed.items():  # oldest first: stop at the first kept
            if now - closed_at <= self.expiry:
                break
            expired.append(name)
        for name in expired:
            del self._closed[name]

    def clear(self) -> None:
        self._closed.clear()
