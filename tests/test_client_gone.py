"""A client that closes while the server still has frames of its own to answer: the
server's send raises (daphne: autobahn's ``Disconnected``, "Attempt to send on a closed
protocol"; uvicorn: an ``OSError``). That is a normal end, not an error: nothing may
escape the consumer (daphne would log "Exception inside application" with a traceback),
and the queued ``websocket.disconnect`` still departs. Found by benchmarks/soak.py."""

from __future__ import annotations

import asyncio

import pytest
from autobahn.exception import Disconnected


@pytest.mark.parametrize("gone", [Disconnected("Attempt to send on a closed protocol"), OSError()])
async def test_a_reply_to_a_client_that_closed_is_dropped_quietly(
    application, transactional_db, gone
):
    incoming: asyncio.Queue[dict] = asyncio.Queue()
    for message in (
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "not json"},  # answered with rtc:error ...
        {"type": "websocket.disconnect", "code": 1000},  # ... after the client closed
    ):
        incoming.put_nowait(message)
    sent: list[dict] = []

    async def send(message: dict) -> None:
        if message["type"] == "websocket.send":
            raise gone
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws/rtcpool/", "headers": [], "query_string": b""}
    await asyncio.wait_for(application(scope, incoming.get, send), 10)
    assert [message["type"] for message in sent] == ["websocket.accept"]
