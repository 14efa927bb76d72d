"""Channels' in-memory channel layer, without its sweep of every channel and group on every
receive.

``channels.layers.InMemoryChannelLayer`` calls ``_clean_expired`` at the start of each
``receive`` and ``group_send``: it walks every channel's queue for expired messages and
every group membership for expired entries. A worker with N open connections thus pays
O(N) for each message any of them receives, so a join storm of N peers costs O(N²) in the
layer alone. This subclass keeps the same semantics (a message expires ``expiry`` seconds
after it was sent and is then dropped and its channel removed from every group; a
membership expires ``group_expiry`` seconds after its ``group_add``; ``capacity`` and
``channel_capacity`` as stock) and sweeps only when the sweep can find something:

* channels, once the earliest moment a queued message can expire has passed. Every
  ``send`` lowers that bound to its message's expiry; each sweep sets it to the earliest
  expiry still queued. A message taken by a receive before it expired only makes the
  bound early, never late, so no expired message is ever handed out.
* group memberships, once per second: stock compares a membership's time with
  ``int(time.time()) - group_expiry``, which changes once a second, and ``group_add`` only
  ever adds memberships that are not expired. So a sweep within the same second as the
  last one cannot find anything the last one did not.

Stock's ``send`` and ``receive`` also build a new ``asyncio.Queue`` (deques and an
``Event``) on every call and throw it away when the channel has one (``setdefault``):
a tenth of a join storm's time in a worker. These build one only for a new channel.

It also has ``send_many``, which :mod:`rtcpool_django.delivery` uses to send a whole
fan-out of notices in one call instead of one task per message, and ``close_channel``,
which the consumer calls as it ends: stock keeps the queue of a channel whose consumer has
gone, with every message sent to it since, until they expire (a worker with much churn
holds ``expiry`` seconds of such queues).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as StockInMemoryChannelLayer

from .closed import ClosedChannels


class InMemoryChannelLayer(StockInMemoryChannelLayer):
    """Drop-in for ``channels.layers.InMemoryChannelLayer`` (one process; same options)."""

    def __init__(
        self,
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int = 100,
        channel_capacity: dict[Any, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            expiry=expiry,
            group_expiry=group_expiry,
            capacity=capacity,
            channel_capacity=channel_capacity,
            **kwargs,
        )
        # No queued message expires before this (a lower bound; inf: nothing is queued).
        self._sweep_after = math.inf
        # The second (int(time.time())) of the last sweep of group memberships.
        self._groups_swept: int | None = None
        self._closed = ClosedChannels(expiry)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send a message onto a channel; raises ``ChannelFull`` at capacity."""
        # Stock's send, without building a new asyncio.Queue (and its Event) for every
        # message only to throw it away when the channel has one (setdefault).
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        if channel in self._closed:
            return  # nobody will read it: as if it had expired unread
        queue = self._queue(channel)
        expires = time.time() + self.expiry
        try:
            queue.put_nowait((expires, deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None
        self._sweep_after = min(self._sweep_after, expires)

    async def receive(self, channel: str) -> dict[str, Any]:
        """The first message that arrives on the channel (stock's receive, without a new
        queue built per call)."""
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty():
                self.channels.pop(channel, None)
        return message

    def _queue(self, channel: str) -> asyncio.Queue[tuple[float, dict[str, Any]]]:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def send_many(self, messages: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
        """Send each ``(channel, message)`` in order; return the channels that refused
        theirs because they were full (the others got theirs)."""
        full = []
        for channel, message in messages:
            try:
                await self.send(channel, message)
            except ChannelFull:
                full.append(channel)
        return full

    def close_channel(self, channel: str) -> None:
        """The one reader of ``channel`` (a consumer) has ended: drop what is queued for it,
        and what is sent to it from now on until it would have expired."""
        self.channels.pop(channel, None)
        self._closed.add(channel)

    async def flush(self) -> None:
        await super().flush()
        self._sweep_after = math.inf
        self._groups_swept = None
        self._closed.clear()

    def _clean_expired(self) -> None:
        if time.time() > self._sweep_after:
            self._sweep_channels()
        second = int(time.time())
        if second != self._groups_swept:
            self._groups_swept = second
            self._sweep_groups(second)

    def _sweep_channels(self) -> None:
        # Stock's channel sweep, noting the earliest expiry that is left.
        earliest = math.inf
        for channel, queue in list(self.channels.items()):
            while not queue.empty() and queue._queue[0][0] < time.time():  # type: ignore[attr-defined]
                queue.get_nowait()
                # Any removal prompts group discard (as stock).
                self._remove_from_groups(channel)  # type: ignore[attr-defined]
                if queue.empty():
                    self.channels.pop(channel, None)
            if not queue.empty():
                earliest = min(earliest, queue._queue[0][0])  # type: ignore[attr-defined]
        self._sweep_after = earliest

    def _sweep_groups(self, second: int) -> None:
        # Stock's group expiry.
        timeout = second - self.group_expiry
        for channels in self.groups.values():
            for name, timestamp in list(channels.items()):
                if timestamp and timestamp < timeout:
                    channels.pop(name, None)
