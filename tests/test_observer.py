"""The multi-worker tests count evictions with Observer.ended_by_server: it must tell a
close the server started from one the client started, or those counts cannot fail."""

from __future__ import annotations

import asyncio

import websockets

from .live import WSClient
from .multiworker.observe import Observer


async def test_observer_tells_who_closed_first():
    async def handler(ws):
        if ws.request.path == "/evict":
            await ws.close(4001)
        else:
            await ws.wait_closed()

    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        evicted = Observer(await WSClient.connect(f"ws://127.0.0.1:{port}/evict"))
        await asyncio.wait_for(evicted.task, 5)
        assert evicted.ended_by_server and evicted.close_code == 4001

        leaving = Observer(await WSClient.connect(f"ws://127.0.0.1:{port}/stay"))
        await asyncio.wait_for(leaving.close(), 5)
        assert not leaving.ended_by_server
