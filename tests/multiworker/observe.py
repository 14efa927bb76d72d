"""Clients that read every frame in the background and check each against what they
have been told so far, as the real RTCPool client does (CLIENT-NOTES "Joining")."""

from __future__ import annotations

import asyncio
from collections import Counter

from websockets.exceptions import ConnectionClosed

from ..live import WSClient


class Observer:
    """Reads every frame of one client in the background and checks each against what
    this client has been told so far, as the real RTCPool client does."""

    def __init__(self, client: WSClient) -> None:
        self.client = client
        self.joined: dict | None = None
        self.known: set[str] = set()
        self.peer_events: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()
        self.violations: list[str] = []
        self.ended_by_server = False
        self.close_code: int | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self.client.recv(timeout=None)
                self._see(frame["type"], frame["data"])
        except ConnectionClosed as closed:
            # Whether the server closed first (the client answers its close frame, so
            # ``sent`` is set either way), and the server's close code.
            self.ended_by_server = closed.rcvd is not None and bool(closed.rcvd_then_sent)
            self.close_code = closed.rcvd.code if closed.rcvd else None

    def _see(self, kind: str, data: dict) -> None:
        if kind == "rtc:joined":
            self.joined = data
            self.client.id = data["client_id"]
            self.known.update(data["peers"])
        elif kind == "rtc:peer":
            self.peer_events[data["id"]] += 1
            if data["id"] in self.known or data["id"] == self.client.id:
                self.violations.append(f"rtc:peer for {data['id']}, already known")
            self.known.add(data["id"])
        elif kind == "rtc:close":
            self.closes[data["id"]] += 1
            if data["id"] not in self.known:
                self.violations.append(f"rtc:close for {data['id']}, never learned")
            self.known.discard(data["id"])
        else:
            self.violations.append(f"unexpected {kind}: {data}")

    async def join(self, pool: str) -> None:
        await self.client.send("rtc:join", {"pool": pool})

    async def close(self) -> None:
        await self.client.close()
        await self.task


async def until(condition, timeout: float = 20.0) -> None:
    """Wait (bounded) for a condition on what the observers have seen."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (polls what several readers saw)
            await asyncio.sleep(0.05)
