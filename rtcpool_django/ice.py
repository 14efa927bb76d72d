"""ICE server entries for ``RTCPeerConnection``, with TURN credentials minted the coturn way.

Pure on purpose (no Django, no clock of its own): the caller passes the secret, the URLs
and ``now``, so the maths is tested alone. The scheme is coturn's ``use-auth-secret``
(the "TURN REST API" of draft-uberti-behave-turn-rest): the username is
``<unix expiry>:<id>`` and the credential ``base64(HMAC-SHA1(secret, username))``. coturn,
holding the same ``static-auth-secret``, recomputes the credential from the username and
refuses it once the expiry has passed, so nothing is stored and a leaked credential dies
by itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

# coturn's default rest-api-separator: the username is "<expiry>:<id>".
SEPARATOR = ":"


def turn_credentials(secret: str, user_id: str, ttl: int, now: float) -> tuple[str, str]:
    """``(username, credential)`` valid for ``ttl`` seconds from ``now`` (a Unix time).

    ``user_id`` is what coturn logs for the allocation; it may not contain the separator.
    """
    if SEPARATOR in user_id:
        raise ValueError(f"a TURN user id may not contain {SEPARATOR!r}: {user_id!r}")
    username = f"{int(now) + ttl}{SEPARATOR}{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(
    *,
    stun_urls: Sequence[str],
    turn_urls: Sequence[str],
    secret: str | None,
    user_id: str,
    ttl: int,
    now: float,
) -> list[dict[str, Any]]:
    """The ``iceServers`` list of an ``RTCConfiguration``: one STUN entry for all the STUN
    URLs (if any), one TURN entry for all the TURN URLs with a fresh credential (if any
    and a secret is set; without a secret coturn would refuse every allocation)."""
    servers: list[dict[str, Any]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and secret:
        username, credential = turn_credentials(secret, user_id, ttl, now)
        servers.append({"urls": list(turn_urls), "username": username, "credential": credential})
    return servers
