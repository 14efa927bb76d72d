"""The floor: the least a server can do to speak ssp v2, written directly on ``websockets``.

No framework, no database, no validation beyond what routing needs: ``rtc:join`` gets an
id, answers ``rtc:joined`` with the pool's other peers and tells them ``rtc:peer``;
``rtc:sdp`` / ``rtc:candidate`` are relayed by id with the real sender stamped;
a peer that leaves is announced with ``rtc:close``. Every benchmark figure is a ratio to
this server measured in the same run, so what it costs is what any server must pay
(WebSocket framing, JSON, one Python event loop), and the rest is the cost of the stack.

    python benchmarks/floor.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import uuid
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


def frame(kind: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "data": data})


def error(reason: str, message: str) -> str:
    return frame("rtc:error", {"message": message, "reason": reason})


class Relay:
    """Pools as ``{pool name: {peer id: connection}}``, all in this one process."""

    def __init__(self) -> None:
        self.pools: dict[str, dict[str, ServerConnection]] = {}

    async def handle(self, ws: ServerConnection) -> None:
        peer_id = ""
        members: dict[str, ServerConnection] = {}
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                    kind, data = message["type"], message["data"]
                except (ValueError, TypeError, KeyError):
                    await ws.send(error("invalid_json", "not an ssp frame"))
                    continue
                if kind == "rtc:candidate" or kind == "rtc:sdp":
                    to = data.get("for" if kind == "rtc:candidate" else "to")
                    target = members.get(to) if peer_id and to != peer_id else None
                    if target is None:
                        await ws.send(error("unknown_peer", "no such peer in your pool"))
                    elif kind == "rtc:candidate":
                        out = {"from": peer_id, "candidate": data.get("candidate")}
                        await _send(target, frame(kind, out))
                    else:
                        out = {"peer": peer_id, "description": data.get("description")}
                        await _send(target, frame(kind, out))
                elif kind == "rtc:join":
                    if peer_id:
                        await ws.send(error("already_joined", "join once"))
                        continue
                    name = str(data.get("pool"))
                    members = self.pools.setdefault(name, {})
                    # No await between the snapshot and the insert: a single event loop
                    # makes each join atomic, so discovery is exactly once for free.
                    peer_id = uuid.uuid4().hex
                    others = list(members)
                    members[peer_id] = ws
                    notice = frame("rtc:peer", {"id": peer_id})
                    for other in others:
                        await _send(members.get(other), notice)
                    joined = {"client_id": peer_id, "peers": others, "descriptions": {}}
                    await ws.send(frame("rtc:joined", {**joined, "pool": name}))
        except ConnectionClosed:
            pass
        finally:
            if peer_id:
                members.pop(peer_id, None)
                notice = frame("rtc:close", {"id": peer_id, "uid": peer_id})
                for other in list(members.values()):
                    await _send(other, notice)


async def _send(ws: ServerConnection | None, text: str) -> None:
    # A peer that left between the lookup and the send is simply gone.
    if ws is not None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(text)


async def serve_forever(host: str, port: int) -> None:
    relay = Relay()
    # compression=None: the benchmark client does not negotiate it either.
    async with serve(relay.handle, host, port, compression=None, max_size=None, backlog=1024):
        await asyncio.get_running_loop().create_future()


def main() -> None:
    parser = argparse.ArgumentParser(description="The floor: a minimal ssp v2 relay.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.host, args.port))


if __name__ == "__main__":
    main()
