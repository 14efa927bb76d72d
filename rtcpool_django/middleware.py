"""ASGI middleware for the signalling socket: Channels' session and auth stack without its
cost per frame.

Channels' ``SessionMiddleware`` wraps the application's ``send`` to save a modified
session when an HTTP response starts. On a WebSocket it can never save anything (its save
and cookie message types are HTTP's; a WebSocket consumer saves its session itself), yet
it still reads the session's ``modified`` and ``is_empty()`` through ``LazyObject`` for
every frame sent, a large share of a worker's time in a join storm, where one join sends
up to ten frames. :class:`SessionMiddleware` resolves the session exactly as
Channels does and hands a WebSocket application the server's own ``send``;
:func:`AuthMiddlewareStack` is Channels' stack built on it, a drop-in replacement in a
site's ``asgi.py``.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper
from channels.sessions import SessionMiddleware as ChannelsSessionMiddleware

__all__ = ["AuthMiddlewareStack", "SessionMiddleware"]


class SessionMiddleware(ChannelsSessionMiddleware):
    """Channels' ``SessionMiddleware``; a WebSocket's ``send`` is passed on unwrapped.

    HTTP scopes (and any other) go through Channels' own, which saves the session and
    sets its cookie when the response starts.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        inner: Any = self.inner  # an ASGI 3 application, as Channels' own calls it
        return await inner(wrapper.scope, receive, send)


def AuthMiddlewareStack(inner: Any) -> Any:
    """Channels' ``AuthMiddlewareStack`` (cookies, session, ``scope["user"]``) on
    :class:`SessionMiddleware`."""
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))
