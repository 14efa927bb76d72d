"""The channel-layer messages that workers send to each other's connections.

A :class:`~rtcpool_django.consumers.PoolConsumer` handles each type with the method named
after it (``rtcpool.peer`` -> ``rtcpool_peer``, as Channels dispatches). Every message
that concerns a pool carries its ``pool`` id, so a connection that has moved on since
(left, kicked, joined elsewhere) ignores a late one. The builders below are the one place
each message's fields are written; they import nothing of the app's, so any module may
build or recognise a message.
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]
#: Messages to send: ``(channel name, message)``, in order per channel.
Outbox = list[tuple[str, Message]]

#: A peer joined the pool (-> ``rtc:peer``, unless the roster already holds it).
PEER = "rtcpool.peer"
#: A peer left the pool (-> ``rtc:close``).
LEAVE = "rtcpool.leave"
#: The back-end changed a peer's description (-> ``rtc:describe``).
DESCRIBE = "rtcpool.describe"
#: The pool was closed (-> ``rtc:stop``, then the socket closes).
STOP = "rtcpool.stop"
#: This connection's peer was removed by someone else: stop and close the socket.
KICK = "rtcpool.kick"
#: An ``rtc:sdp`` or ``rtc:candidate`` from another peer, already encoded for the client.
RELAY = "rtcpool.relay"
#: The worker's roster repair: peers this connection missed, and departures it missed.
SYNC = "rtcpool.sync"
#: Several of the above for one connection, handled in their order (one delivery's).
NOTICES = "rtcpool.notices"


def peer(pool_id: int, peer_id: str, channel: str, description: Any) -> Message:
    return {
        "type": PEER,
        "pool": pool_id,
        "id": peer_id,
        "channel": channel,
        "description": description,
    }


def leave(pool_id: int, peer_id: str) -> Message:
    return {"type": LEAVE, "pool": pool_id, "id": peer_id}


def describe(pool_id: int, peer_id: str, description: Any) -> Message:
    return {"type": DESCRIBE, "pool": pool_id, "id": peer_id, "description": description}


def stop(pool_id: int) -> Message:
    return {"type": STOP, "pool": pool_id}


def kick(pool_id: int | None, peer_id: str) -> Message:
    return {"type": KICK, "pool": pool_id, "id": peer_id}


def relay(sender: str, text: str) -> Message:
    """``text`` is the whole client frame: the receiving consumer forwards it as it is."""
    return {"type": RELAY, "from": sender, "text": text}


def sync(pool_id: int, add: dict[str, list[Any]], close: list[str]) -> Message:
    """``add`` maps a peer id to ``[channel, description]``; ``close`` lists peer ids."""
    return {"type": SYNC, "pool": pool_id, "add": add, "close": close}


def notices(bundled: list[Message]) -> Message:
    """Several messages to one channel as one, handled in order by its consumer."""
    return {"type": NOTICES, "messages": bundled}
