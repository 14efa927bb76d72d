"""Signed join tokens: a narrow, expiring right to join one pool, issued by the back-end.

A site issues a token in a view (or ``manage.py rtcpool_token``) and the page opens its
WebSocket with it, ``ws/rtcpool/?token=<token>``; the RTCPool client needs no change. At
``rtc:join`` the token admits its holder to the pool it names whatever the pool's access
mode, as the user it names (if any), with the description it carries (if any), so a
client can pick neither its name nor its role. A peer that joined stays when its token
expires later: the token is a right to enter, not to stay.

Tokens are :class:`django.core.signing.Signer` values: URL-safe base64 JSON, compressed
when that is shorter, and an HMAC-SHA256 under ``SECRET_KEY`` with this module's salt
(``SECRET_KEY_FALLBACKS`` still verify, so a key rotation does not cut a call short). The
expiry is inside the signed payload rather than the timestamp of a ``TimestampSigner``
because each token has its own lifetime, which the reader could not know beforehand.
Nothing is stored: a token cannot be revoked, only left to expire, so keep ``ttl`` short.
"""

from __future__ import annotations

import binascii
import json
import logging
import math
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.http import QueryDict

from .conf import POOL_NAME_COLUMN_LENGTH

#: The salt of every join token: a value signed for another purpose never reads as one.
SALT = "rtcpool_django.tokens.join"
#: The query parameter of the WebSocket URL (and of the ICE servers view) carrying it.
QUERY_PARAMETER = "token"
#: The longest token read, in characters: longer ones are refused before any HMAC is
#: computed, and :func:`issue` refuses to make one (it would not fit in a request line).
MAX_LENGTH = 4096
#: Lifetime of a token when :func:`issue` is given none, in seconds.
DEFAULT_TTL = 300

# A separator outside URL-safe base64 that needs no escaping in a URL (RFC 3986
# "unreserved"): the token goes into a query string as it is.
_SEPARATOR = "."


class TokenError(Exception):
    """A token that admits no one; :attr:`reason` is its ``rtc:error`` reason."""

    reason = "token_invalid"


class InvalidToken(TokenError):
    """Not a join token: malformed, tampered with, signed with another key or salt, or
    (when checked against a pool) for another pool."""

    reason = "token_invalid"


class ExpiredToken(TokenError):
    """A genuine join token whose lifetime is over."""

    reason = "token_expired"


@dataclass(frozen=True, slots=True)
class JoinClaim:
    """What a valid token says: who may join which pool, until when, described how."""

    pool: str
    expires: int  # Unix time
    user_id: str | None = None  # the pk of the user it admits as, as a string
    description: Any = None
    has_description: bool = False  # False: INITIAL_DESCRIPTION decides as for anyone


def issue(
    pool: Any,
    *,
    user: Any = None,
    description: Any = None,
    ttl: float = DEFAULT_TTL,
    now: float | None = None,
) -> str:
    """A URL-safe token that admits its holder to the pool named ``pool`` (the resolved
    name, or a :class:`~rtcpool_django.models.Pool`) until ``ttl`` seconds from ``now``.

    With ``user`` (a user instance), the peer joins as that user, whoever holds the token;
    with ``description`` (JSON), that is the peer's initial description instead of what
    ``INITIAL_DESCRIPTION`` would say. Raises ``ValueError`` for a pool name no pool can
    have, a ``ttl`` that is not positive, or a token over :data:`MAX_LENGTH` characters,
    and ``TypeError`` for a description that is not JSON.
    """
    name = getattr(pool, "name", pool)
    if not isinstance(name, str) or not name or len(name) > POOL_NAME_COLUMN_LENGTH:
        raise ValueError(f"not a pool name: {name!r}")
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
    issued = time.time() if now is None else now
    payload: dict[str, Any] = {"p": name, "e": math.ceil(issued + ttl)}
    if user is not None:
        payload["u"] = str(user.pk)
    if description is not None:
        json.dumps(description)  # a TypeError here, not a token that cannot be read
        payload["d"] = description
    token = _signer().sign_object(payload, compress=True)
    if len(token) > MAX_LENGTH:
        raise ValueError(
            f"the token would be {len(token)} characters, over {MAX_LENGTH}: "
            "give a shorter description"
        )
    return token


def read(token: str, *, now: float | None = None) -> JoinClaim:
    """The claim of a token; raises :class:`InvalidToken` or :class:`ExpiredToken`.

    Checks the signature before reading anything, so a client cannot make the server
    decompress or parse a payload it chose.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_LENGTH:
        raise InvalidToken("not a join token")
    try:
        payload = _signer().unsign_object(token)
    except (
        signing.BadSignature,
        binascii.Error,
        zlib.error,
        ValueError,
        UnicodeError,
        RecursionError,  # JSON nested too deep: only a payload signed with our key gets here
    ):
        raise InvalidToken("not a join token") from None
    claim = _claim(payload)
    if (time.time() if now is None else now) >= claim.expires:
        raise ExpiredToken("the join token has expired")
    return claim


def from_scope(scope: Any) -> str | None:
    """The token in a connection's query string (``?token=``), or ``None`` without one;
    the last one when given twice, as ``request.GET`` would."""
    raw = scope.get("query_string", b"") if hasattr(scope, "get") else b""
    if not raw:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    return QueryDict(raw).get(QUERY_PARAMETER) or None


class RedactTokens(logging.Filter):
    """A logging filter that rewrites ``token=<anything>`` in a record's message as
    ``token=[redacted]``: for the loggers of an ASGI server that logs URLs with their query
    string (uvicorn's ``uvicorn.access`` and ``uvicorn.error``). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_IN_URL.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_TOKEN_IN_URL = re.compile(rf"(\b{QUERY_PARAMETER}=)[^&\s\"'#]+")


def _claim(payload: Any) -> JoinClaim:
    # Only this module signs with this salt, so a payload of another shape is a bug or a
    # leaked key; refused all the same rather than trusted.
    if not isinstance(payload, dict):
        raise InvalidToken("not a join token")
    pool, expires, user_id = payload.get("p"), payload.get("e"), payload.get("u")
    if not isinstance(pool, str) or not pool or isinstance(expires, bool):
        raise InvalidToken("not a join token")
    if not isinstance(expires, int) or not (user_id is None or isinstance(user_id, str)):
        raise InvalidToken("not a join token")
    return JoinClaim(
        pool=pool,
        expires=expires,
        user_id=user_id,
        description=payload.get("d"),
        has_description="d" in payload,
    )


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=_SEPARATOR)
