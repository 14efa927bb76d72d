"""rtcpool_django.middleware: Channels' session and auth stack, without a wrapped send on
WebSockets."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

from rtcpool_django.middleware import AuthMiddlewareStack

pytestmark = pytest.mark.django_db(transaction=True)


class Inner:
    """An ASGI application that records the scope and send it was called with."""

    def __init__(self, then: Any = None) -> None:
        self.scope: dict[str, Any] = {}
        self.send: Any = None
        self.then = then

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope, self.send = scope, send
        if self.then is not None:
            await self.then(scope, send)


def scope_of(kind: str, cookie: str | None = None) -> dict[str, Any]:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return {"type": kind, "path": "/ws/rtcpool/", "headers": headers}


async def nothing() -> dict[str, Any]:
    return {}


sent: list[dict[str, Any]] = []


async def server_send(message: dict[str, Any]) -> None:
    sent.append(message)


async def test_a_websocket_gets_the_servers_own_send_and_its_session_and_user():
    user = await get_user_model().objects.acreate_user("ada", password="x")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    await sync_to_async(session.save)()
    inner = Inner()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    await AuthMiddlewareStack(inner)(scope_of("websocket", cookie), nothing, server_send)

    # Channels' stack hands over its InstanceSessionWrapper.send, which reads the session
    # for every frame and can save nothing on a WebSocket.
    assert inner.send is server_send
    assert inner.scope["session"].session_key == session.session_key
    assert await sync_to_async(lambda: inner.scope["user"].pk)() == user.pk


async def test_a_websocket_without_a_cookie_is_anonymous():
    inner = Inner()
    await AuthMiddlewareStack(inner)(scope_of("websocket"), nothing, server_send)
    assert inner.send is server_send
    assert inner.scope["session"].session_key is None
    assert await sync_to_async(lambda: inner.scope["user"].is_anonymous)()


async def test_http_keeps_channels_session_saving_and_cookie():
    async def modify_then_respond(scope: Any, send: Any) -> None:
        scope["session"]["seen"] = True
        await send({"type": "http.response.start", "status": 200, "headers": []})

    sent.clear()
    inner = Inner(then=modify_then_respond)
    await AuthMiddlewareStack(inner)(scope_of("http"), nothing, server_send)

    assert inner.send is not server_send
    (start,) = sent
    cookies = [value for name, value in start["headers"] if name == b"Set-Cookie"]
    assert cookies and cookies[0].startswith(f"{settings.SESSION_COOKIE_NAME}=".encode())
    key = cookies[0].split(b";")[0].split(b"=", 1)[1].decode()
    assert (await sync_to_async(SessionStore(key).load)())["seen"] is True
