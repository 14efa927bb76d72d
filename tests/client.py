"""A small ssp client over a Channels WebsocketCommunicator, for tests."""

from __future__ import annotations

import json
from typing import Any

from channels.testing import WebsocketCommunicator


class Client:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.id: str | None = None
        self.closed = False

    async def send(self, event_type: str, data: Any = None, **extra: Any) -> None:
        frame = {"type": event_type, "data": data if data is not None else {}, **extra}
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text: str | None = None, binary: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    async def recv(self, timeout: float = 2.0) -> dict[str, Any]:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def expect(self, event_type: str, timeout: float = 2.0) -> dict[str, Any]:
        frame = await self.recv(timeout)
        assert frame["type"] == event_type, frame
        return frame["data"]

    async def error(self, reason: str) -> dict[str, Any]:
        data = await self.expect("rtc:error")
        assert data["reason"] == reason, data
        assert isinstance(data["message"], str) and data["message"]
        return data

    async def join(self, pool: str) -> dict[str, Any]:
        await self.send("rtc:join", {"pool": pool})
        data = await self.expect("rtc:joined")
        self.id = data["client_id"]
        return data

    async def nothing(self, timeout: float = 0.1) -> None:
        assert await self.communicator.receive_nothing(timeout=timeout), "unexpected frame"

    async def drain(self, quiet: float = 0.2) -> list[dict[str, Any]]:
        """Every frame until none comes for ``quiet`` seconds.

        (A timed-out receive_output would cancel the application, so wait with
        receive_nothing, which does not.)
        """
        frames = []
        while not await self.communicator.receive_nothing(timeout=quiet):
            frames.append(await self.recv())
        return frames

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            # A timed-out receive (a failed expect) cancels the consumer: nothing to close,
            # and raising here would leave the other clients of the test open.
            if not self.communicator.future.cancelled():
                await self.communicator.disconnect()
