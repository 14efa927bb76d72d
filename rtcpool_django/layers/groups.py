"""Group membership of ``rtcpool_django.layers.RedisChannelLayer``: every ``group_add`` and
``group_discard`` of a process to one Redis shard is coalesced into as few round trips as
possible.

A join storm adds a thousand channels to their pools' groups and the end of a class
discards as many, each a separate call. One call per change costs a round trip each, and a
pooled connection each while they run at once. Here changes that arrive while the call
before them is in flight wait and go together in the next one: one pipeline of ``ZADD``,
``ZREM`` and ``EXPIRE`` commands, the same commands stock sends, so stock processes read
the same groups. An idle process changes a group at once (no timer, no added latency).

Order: the changes of one group keep the order they were made in (an add and then a
discard of a channel leave it out, a discard and then an add leave it in); changes of
different groups are independent, and are merged per group.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

from redis.asyncio import Redis

from ..group_commit import GroupCommit

#: One change: whether it is an add (else a discard), the group's Redis key, the channel.
Change = tuple[bool, bytes, str]


@runtime_checkable
class GroupLayer(Protocol):
    """What group changes need of their layer (``core.RedisChannelLayer`` provides it)."""

    #: Seconds a group lives after its last add (stock's ``group_expiry``).
    group_expiry: int
    #: Most changes per pipeline.
    SEND_CHUNK: int

    def connection(self, index: int) -> Redis:
        """A Redis client for a shard, on the running event loop."""
        ...


class GroupChanges:
    """The group changes of a layer, one coalescing queue per shard (and event loop)."""

    def __init__(self, layer: GroupLayer) -> None:
        self.layer = layer
        self._shards: dict[int, GroupCommit[Change, None]] = {}

    async def change(self, index: int, add: bool, key: bytes, channel: str) -> None:
        """Add ``channel`` to (or discard it from) the group stored at ``key`` on shard
        ``index``; returns once Redis has done it, raises what redis-py raised."""
        shard = self._shards.get(index)
        if shard is None:
            shard = self._shards[index] = GroupCommit(
                lambda changes: self._apply(index, changes), max_items=self.layer.SEND_CHUNK
            )
        await shard.submit((add, key, channel))

    async def _apply(self, index: int, changes: list[Change]) -> list[None]:
        # Per group, in order, consecutive changes of one kind as one command.
        by_key: dict[bytes, list[tuple[bool, list[str]]]] = {}
        for add, key, channel in changes:
            runs = by_key.setdefault(key, [])
            if runs and runs[-1][0] == add:
                runs[-1][1].append(channel)
            else:
                runs.append((add, [channel]))
        now = time.time()
        pipe = self.layer.connection(index).pipeline(transaction=False)
        for key, runs in by_key.items():
            for add, channels in runs:
                if add:
                    pipe.zadd(key, dict.fromkeys(channels, now))
                else:
                    pipe.zrem(key, *channels)
            if any(add for add, _ in runs):
                pipe.expire(key, self.layer.group_expiry)
        await pipe.execute()
        return [None] * len(changes)
