"""The channel layers: ``RedisChannelLayer`` for several workers, and the parts it is made
of, and ``memory.InMemoryChannelLayer`` for one process.

``core`` is the Redis layer itself (a ``channels_redis`` subclass; see its docstring for
what differs from stock), ``outages`` keeps its ``connected`` state and reconnect
callbacks, ``reader`` pops a process's own messages from Redis, ``sender`` coalesces the
sends to one shard and ``groups`` the group changes, ``local`` says when a message to the
process's own channels may skip Redis, ``buffers`` holds each channel's
received messages and ``scripts`` the Lua scripts they run. Sites name
``rtcpool_django.layers.RedisChannelLayer`` or
``rtcpool_django.layers.memory.InMemoryChannelLayer`` as their ``BACKEND``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import RedisChannelLayer

__all__ = ["RedisChannelLayer"]


def __getattr__(name: str) -> Any:
    # The Redis layer needs the redis extra (channels_redis); a site without it uses the
    # in-memory layer of this package, whose import must not require it.
    if name == "RedisChannelLayer":
        from .core import RedisChannelLayer

        return RedisChannelLayer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
