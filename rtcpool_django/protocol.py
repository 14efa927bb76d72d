"""The ssp v2 wire format: parse and validate client frames, build server frames.

Pure Python on purpose: nothing here imports Django or Channels, so the parser can be
tested and fuzzed on its own. Every way a client frame can be wrong maps to one stable
``reason`` code from :data:`REASONS`; those codes are part of the public API and are
listed in the README.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Stable, machine-readable error reasons. Never rename one: clients match on them.
REASONS: dict[str, str] = {
    "binary_frame": "Binary frames are not part of ssp; send JSON text frames.",
    "frame_too_large": "The frame is larger than the server accepts.",
    "invalid_json": "The frame is not valid JSON.",
    "invalid_frame": "The frame must be a JSON object with a string 'type' and an object 'data'.",
    "unknown_event": "The server does not accept this rtc: event.",
    "invalid_field": "A field of the event is missing or has the wrong type.",
    "invalid_pool_name": "The pool name must be a non-empty string within the length limit.",
    "rate_limited": "Too many frames in too short a time; slow down.",
    "not_joined": "Join a pool before relaying.",
    "already_joined": "This connection has already joined a pool.",
    "unknown_peer": "No peer with that id is in your pool.",
    "peer_unavailable": "The peer cannot take more messages right now.",
    "pool_not_found": "There is no pool with that name.",
    "pool_full": "The pool has reached its maximum number of peers.",
    "pool_closed": "The pool is closed.",
    "forbidden": "You are not allowed to join this pool.",
    "token_required": "This pool admits holders of a join token only.",
    "token_invalid": "The join token is not valid for this pool.",
    "token_expired": "The join token has expired; ask for a new one.",
    "unavailable": "The server cannot reach its channel layer right now; try again.",
    "server_error": "The server failed to handle the frame.",
}

RTC_PREFIX = "rtc:"


class ProtocolError(Exception):
    """A client frame that the server refuses; becomes ``rtc:error {message, reason}``."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown error reason {reason!r}")
        self.reason = reason
        self.message = message or REASONS[reason]
        super().__init__(self.message)


# --- client -> server events -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    pool: str


@dataclass(frozen=True, slots=True)
class Sdp:
    to: str
    description: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Candidate:
    for_: str
    candidate: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Custom:
    """An event whose type does not start with ``rtc:``: the site's own business."""

    type: str
    data: Any


ClientEvent = Join | Sdp | Candidate | Custom


def parse(text: str, *, max_bytes: int, max_pool_name_length: int) -> ClientEvent:
    """Parse one text frame into a client event, or raise :class:`ProtocolError`."""
    # A str of n characters is between n and 4n bytes of UTF-8: only encode when unsure.
    size = len(text)
    if size > max_bytes or (size * 4 > max_bytes and len(text.encode("utf-8")) > max_bytes):
        raise ProtocolError("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        frame = json.loads(text)
    except ValueError:
        raise ProtocolError("invalid_json") from None
    if not isinstance(frame, dict):
        raise ProtocolError("invalid_frame", "The frame must be a JSON object.")
    event_type = frame.get("type")
    if not isinstance(event_type, str):
        raise ProtocolError("invalid_frame", "The frame needs a string 'type'.")
    data = frame.get("data")
    if not event_type.startswith(RTC_PREFIX):
        return Custom(event_type, data)
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", "The frame needs an object 'data'.")
    parser = _PARSERS.get(event_type)
    if parser is None:
        raise ProtocolError("unknown_event", f"The server does not accept {event_type!r}.")
    return parser(data, max_pool_name_length)


def check_pool_name(pool: Any, max_length: int) -> str:
    """``pool`` if it is an acceptable pool name, else raise ``invalid_pool_name``.

    The one rule for a requested name, whether it comes in ``rtc:join`` or in a view's
    ``?pool=`` (the ICE servers view)."""
    if not isinstance(pool, str) or not pool.strip():
        raise ProtocolError("invalid_pool_name", "'pool' must be a non-empty string.")
    if len(pool) > max_length:
        raise ProtocolError(
            "invalid_pool_name", f"Pool names are limited to {max_length} characters."
        )
    return pool


def _parse_join(data: dict[str, Any], max_pool_name_length: int) -> Join:
    return Join(check_pool_name(data.get("pool"), max_pool_name_length))


def _parse_sdp(data: dict[str, Any], _: int) -> Sdp:
    to = _peer_id(data, "to")
    description = data.get("description")
    if not isinstance(description, dict):
        raise ProtocolError("invalid_field", "'description' must be an SDP description object.")
    return Sdp(to, description)


def _parse_candidate(data: dict[str, Any], _: int) -> Candidate:
    for_ = _peer_id(data, "for")
    if "candidate" not in data:
        raise ProtocolError("invalid_field", "'candidate' is required (null ends gathering).")
    candidate = data["candidate"]
    if candidate is not None and not isinstance(candidate, dict):
        raise ProtocolError("invalid_field", "'candidate' must be an ICE candidate object or null.")
    # The client's own 'from' is ignored on purpose: the server stamps the real sender.
    return Candidate(for_, candidate)


def _peer_id(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError("invalid_field", f"'{key}' must be a peer id string.")
    return value


_PARSERS: dict[str, Callable[[dict[str, Any], int], ClientEvent]] = {
    "rtc:join": _parse_join,
    "rtc:sdp": _parse_sdp,
    "rtc:candidate": _parse_candidate,
}


# --- server -> client events -------------------------------------------------------------


def encode(event_type: str, data: dict[str, Any]) -> str:
    """Serialise one server event as the text of a WebSocket frame."""
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":"))


def joined(
    client_id: str, peers: list[str], descriptions: dict[str, Any], pool: str
) -> dict[str, Any]:
    return {"client_id": client_id, "peers": peers, "descriptions": descriptions, "pool": pool}


def sdp(peer: str, description: dict[str, Any]) -> dict[str, Any]:
    return {"peer": peer, "description": description}


def candidate(sender: str, candidate: dict[str, Any] | None) -> dict[str, Any]:
    return {"from": sender, "candidate": candidate}


def peer(peer_id: str) -> dict[str, Any]:
    return {"id": peer_id}


def close(peer_id: str) -> dict[str, Any]:
    # RTCPool 3.0.0 reads 'uid', later 3.x read 'id': send both (as PyRTC 2 does).
    return {"id": peer_id, "uid": peer_id}


def describe(peer_id: str, description: Any) -> dict[str, Any]:
    return {"id": peer_id, "uid": peer_id, "description": description}


def stop() -> dict[str, Any]:
    # The client drops frames whose data is not an object: never null here.
    return {}


def error(reason: str, message: str | None = None) -> dict[str, Any]:
    return {"message": message or REASONS[reason], "reason": reason}
