"""A testing kit for sites: an ssp v2 client over Channels' ``WebsocketCommunicator``.

Test your own policies, signals and custom events against the real consumer, in-process,
without a browser or a server::

    from rtcpool_django.testing import SspClient

    async def test_guests_cannot_join_the_boardroom(transactional_db):
        guest = await SspClient.connect()
        await guest.send("rtc:join", {"pool": "boardroom"})
        await guest.error("forbidden")
        await guest.close()

    async def test_two_peers_meet(transactional_db):
        a, b = await SspClient.connect(), await SspClient.connect()
        await a.join("room")
        assert (await b.join("room"))["peers"] == [a.id]
        assert (await a.expect("rtc:peer"))["id"] == b.id
        await a.candidate(b.id, {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host"})
        assert (await b.expect("rtc:candidate"))["from"] == a.id
        await a.close()
        assert (await b.expect("rtc:close"))["id"] == a.id
        await b.close()

The consumer reads and writes the database from other threads, so use pytest-django's
``transactional_db`` (or ``TransactionTestCase``), not ``db``. The default application is
``PoolConsumer.as_asgi()``; pass your own (a subclass, or your whole ASGI router with
its middleware) as ``application``.
"""

from __future__ import annotations

import json
from typing import Any

from channels.testing import WebsocketCommunicator

from .consumers import PoolConsumer

DEFAULT_PATH = "/ws/rtcpool/"


class BaseSspClient:
    """What every ssp test client does, over any transport: a subclass provides
    :meth:`send_text` and :meth:`recv` (and :attr:`default_timeout`)."""

    default_timeout = 2.0
    #: How long :meth:`SspClient.connect` waits for the consumer to accept. The first
    #: connection of a process also registers its worker in the database, which on a
    #: loaded CI machine can take more than a second.
    connect_timeout = 10.0
    id: str | None = None

    async def send_text(self, text: str) -> None:
        raise NotImplementedError

    async def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, decoded: ``{"type": ..., "data": ...}``."""
        raise NotImplementedError

    async def send(self, event_type: str, data: Any = None, **extra: Any) -> None:
        """Send ``{"type": event_type, "data": data or {}}`` (plus any ``extra`` keys)."""
        frame = {"type": event_type, "data": data if data is not None else {}, **extra}
        await self.send_text(json.dumps(frame))

    async def join(self, pool: str) -> dict[str, Any]:
        """Join ``pool``; returns ``rtc:joined``'s data and sets :attr:`id`."""
        await self.send("rtc:join", {"pool": pool})
        data = await self.expect("rtc:joined")
        self.id = data["client_id"]
        return data

    async def sdp(self, to: str, description: Any) -> None:
        """Relay an SDP description to peer ``to``."""
        await self.send("rtc:sdp", {"to": to, "description": description})

    async def candidate(self, for_: str, candidate: Any) -> None:
        """Relay an ICE candidate (``None`` ends gathering) to peer ``for_``."""
        await self.send("rtc:candidate", {"for": for_, "candidate": candidate})

    async def expect(self, event_type: str, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, which must be of ``event_type``; returns its data."""
        frame = await self.recv(self.default_timeout if timeout is None else timeout)
        assert frame["type"] == event_type, f"expected {event_type}, got {frame}"
        data: dict[str, Any] = frame["data"]
        return data

    async def error(self, reason: str, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, which must be ``rtc:error`` with ``reason`` and a message."""
        data = await self.expect("rtc:error", timeout)
        assert data["reason"] == reason, f"expected reason {reason!r}, got {data}"
        assert isinstance(data["message"], str) and data["message"], data
        return data


class SspClient(BaseSspClient):
    """One test connection to a consumer, speaking ssp v2 frames.

    Every ``expect``/``recv`` waits at most ``timeout`` seconds and fails the test with the
    frame that came instead; :attr:`id` is this peer's id once :meth:`join` succeeded.
    """

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.id: str | None = None
        self.closed = False

    @classmethod
    async def connect(
        cls,
        application: Any = None,
        path: str = DEFAULT_PATH,
        *,
        user: Any = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        timeout: float | None = None,
    ) -> SspClient:
        """Open a connection. ``user`` is put in the scope as ``AuthMiddlewareStack``
        would; ``headers`` are raw ASGI headers (e.g. ``[(b"origin", b"https://...")]``);
        ``timeout`` is how long to wait for the accept (:attr:`connect_timeout`)."""
        if application is None:
            application = PoolConsumer.as_asgi()
        communicator = WebsocketCommunicator(application, path, headers=headers)
        if user is not None:
            scope: dict[str, Any] = communicator.scope  # type: ignore[assignment]
            scope["user"] = user
        wait = cls.connect_timeout if timeout is None else timeout
        connected, _ = await communicator.connect(timeout=wait)
        assert connected, f"the application refused the WebSocket connection to {path}"
        return cls(communicator)

    # --- sending -------------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_raw(self, text: str | None = None, binary: bytes | None = None) -> None:
        """Send a frame as is: malformed JSON, a binary frame."""
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    # --- receiving -----------------------------------------------------------------------

    async def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, decoded: ``{"type": ..., "data": ...}``."""
        wait = self.default_timeout if timeout is None else timeout
        frame: dict[str, Any] = json.loads(await self.communicator.receive_from(timeout=wait))
        return frame

    async def nothing(self, timeout: float = 0.1) -> None:
        """Assert that no frame comes within ``timeout`` seconds."""
        assert await self.communicator.receive_nothing(timeout=timeout), "unexpected frame"

    async def drain(self, quiet: float = 0.2) -> list[dict[str, Any]]:
        """Every frame until none comes for ``quiet`` seconds."""
        # A timed-out receive_output would cancel the application, so wait with
        # receive_nothing, which does not.
        frames = []
        while not await self.communicator.receive_nothing(timeout=quiet):
            frames.append(await self.recv())
        return frames

    async def closed_by_server(self, timeout: float = 2.0) -> int | None:
        """Wait for the server to close the socket; returns its close code."""
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", f"expected a close, got {output}"
        return output.get("code")

    async def close(self) -> None:
        """Close the connection (the peer leaves its pool); safe to call twice."""
        if not self.closed:
            self.closed = True
            # A timed-out receive (a failed expect) cancels the consumer: nothing to close,
            # and raising here would hide the assertion that failed.
            if not self.communicator.future.cancelled():
                await self.communicator.disconnect()
