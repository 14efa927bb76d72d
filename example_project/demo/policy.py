"""The demo's RTCPOOL policy: a peer's initial description is the display name it asked
for in the WebSocket URL (``ws/rtcpool/?name=Ada``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

MAX_NAME_LENGTH = 40


def initial_description(scope: dict[str, Any], user: Any, pool: Any) -> dict[str, str] | None:
    """``{"name": ...}`` from ``?name=`` (spaces collapsed, at most 40 characters), or no
    description when the URL names no one."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    name = " ".join((query.get("name") or [""])[0].split())[:MAX_NAME_LENGTH]
    return {"name": name} if name else None
