"""The Redis channel layer family: ``RedisChannelLayer`` and the parts it is made of.

``core`` is the layer itself (a ``channels_redis`` subclass; see its docstring for what
differs from stock), ``reader`` pops a process's own messages from Redis, ``sender``
coalesces the sends to one shard, ``buffers`` holds each channel's received messages and
``scripts`` the Lua scripts they run. Sites name ``rtcpool_django.layers.RedisChannelLayer``
as their ``BACKEND``.
"""

from .core import RedisChannelLayer

__all__ = ["RedisChannelLayer"]
