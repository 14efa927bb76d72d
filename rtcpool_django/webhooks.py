"""Webhooks as the Standard Webhooks specification has them: endpoints, payloads, signing,
and :func:`verify` for a Django site that receives them.

Each request is a POST of one event as JSON, ``{"type", "timestamp", "data"}``, with the
headers ``webhook-id`` (the event's id: the same on every retry, so a receiver
de-duplicates on it), ``webhook-timestamp`` (the attempt, in Unix seconds) and
``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` under
the endpoint's ``whsec_`` secret). Signing and verifying are the ``standardwebhooks``
package's (``pip install rtcpool-django[webhooks]``); without it the app runs as long as
``RTCPOOL["WEBHOOKS"]`` is empty (check ``rtcpool.E007``).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest

from .conf import rtcpool_settings

try:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ImportError:  # the optional extra is not installed: no endpoint may be configured
    Webhook = None  # type: ignore[assignment,misc]

    class WebhookVerificationError(Exception):  # type: ignore[no-redef]
        """Raised by :func:`verify` when a request is not a valid signed webhook."""


__all__ = [
    "EVENT_TYPES",
    "Endpoint",
    "WebhookVerificationError",
    "available",
    "encode",
    "endpoint_errors",
    "endpoints",
    "signed_headers",
    "verify",
]

#: Every event type, in the order a call produces them.
EVENT_TYPES = (
    "pool.started",
    "peer.joined",
    "peer.described",
    "peer.left",
    "pool.finished",
    "pool.closed",
)

SECRET_PREFIX = "whsec_"


def available() -> bool:
    """Whether the ``webhooks`` extra (``standardwebhooks`` and ``httpx``) is installed."""
    try:
        import httpx  # noqa: F401
    except ImportError:
        return False
    return Webhook is not None


@dataclass(frozen=True)
class Endpoint:
    """One entry of ``RTCPOOL["WEBHOOKS"]``."""

    url: str
    secret: str
    events: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


def endpoint_errors(entry: Any) -> list[str]:
    """What is wrong with one ``WEBHOOKS`` entry (empty when it is well-formed)."""
    if not isinstance(entry, Mapping):
        return ["must be a dict with URL, SECRET and optionally EVENTS"]
    problems = []
    unknown = set(entry) - {"URL", "SECRET", "EVENTS"}
    if unknown:
        problems.append(f"has unknown keys {sorted(unknown)}")
    url = entry.get("URL")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"URL must be an http:// or https:// URL, not {url!r}")
    secret = entry.get("SECRET")
    if not isinstance(secret, str) or not _valid_secret(secret):
        problems.append("SECRET must be a 'whsec_' secret: whsec_ and base64 of 24 to 64 bytes")
    events = entry.get("EVENTS", EVENT_TYPES)
    if isinstance(events, str) or not isinstance(events, list | tuple | set | frozenset):
        problems.append("EVENTS must be a list of event types")
    elif set(events) - set(EVENT_TYPES):
        problems.append(
            f"EVENTS has unknown types {sorted(map(str, set(events) - set(EVENT_TYPES)))}; "
            f"known: {', '.join(EVENT_TYPES)}"
        )
    return problems


def _valid_secret(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(key) <= 64


def endpoints() -> list[Endpoint]:
    """The configured endpoints (well-formed ones only: the system check reports the rest)."""
    return [
        Endpoint(
            url=entry["URL"],
            secret=entry["SECRET"],
            events=frozenset(entry.get("EVENTS", EVENT_TYPES)),
        )
        for entry in rtcpool_settings.WEBHOOKS or ()
        if not endpoint_errors(entry)
    ]


def new_event_id() -> str:
    """A fresh event id, as Standard Webhooks examples spell them (``msg_...``)."""
    return f"msg_{uuid.uuid4().hex}"


def timestamp(moment: datetime) -> str:
    """An aware datetime as the payload's ISO 8601 UTC ``timestamp``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body of an event: compact JSON, the bytes that are signed."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, event_id: str, sent: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery attempt made at ``sent`` (UTC)."""
    if Webhook is None:
        raise RuntimeError(
            "Webhooks need the 'webhooks' extra: pip install rtcpool-django[webhooks]"
        )
    signature = Webhook(secret).sign(event_id, sent, body.decode())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def verify(request: HttpRequest, secret: str) -> dict[str, Any]:
    """Check that ``request`` is a webhook signed with ``secret`` and recent (five minutes
    either way, against replays); return its payload.

    Raises :class:`WebhookVerificationError` otherwise. De-duplicate on the payload's
    ``webhook-id`` header (``request.headers["webhook-id"]``): delivery is at least once.
    """
    if Webhook is None:
        raise RuntimeError(
            "verify() needs the 'webhooks' extra: pip install rtcpool-django[webhooks]"
        )
    headers = {
        name: request.headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        payload = Webhook(secret).verify(request.body, headers)
    except WebhookVerificationError:
        raise
    except (ValueError, binascii.Error) as error:  # a mangled signature header
        raise WebhookVerificationError(f"Invalid signature header: {error}") from error
    if not isinstance(payload, dict):
        raise WebhookVerificationError("The payload is not a JSON object")
    return payload
