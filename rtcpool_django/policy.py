"""Default policy hooks. Replace any of them with an import string in ``RTCPOOL``.

Each hook is a plain synchronous function, called in a thread where the ORM may be used:

- ``RESOLVE_POOL_NAME(requested, scope) -> str | None``: the real pool name for the
  name a client asked for (aliasing); ``rtc:joined.pool`` carries the result. ``None``
  or ``""`` refuses the join with ``pool_not_found``.
- ``ADMIT_PEER(scope, user, pool) -> bool``: whether this connection may join ``pool``,
  asked once the pool's access mode (``Pool.access``) has admitted it, and not asked of
  the holder of a valid join token (the site decided when it issued it). ``user`` is the
  authenticated Django user or ``None``. A refusal answers ``forbidden``, or
  ``pool_not_found`` for a private pool (it does not reveal that it exists).
- ``INITIAL_DESCRIPTION(scope, user, pool) -> JSON``: the new peer's description, shown to
  the other peers in ``rtc:joined.descriptions`` and ``rtc:describe``.
- ``ISSUE_TURN_CREDENTIALS(request, user, pool) -> bool``: whether this HTTP request may
  have the ICE servers (STUN URLs and a TURN credential) of ``views.ice_servers``.
  ``pool`` is the pool name the page asked with (``?pool=``, not yet resolved) or
  ``None``. A refusal answers the reason a join of that pool would get (404
  ``pool_not_found`` or ``pool_closed``, 403 ``forbidden``, ``token_required``,
  ``token_invalid``, ``token_expired``), else 403 ``forbidden``. The default gives them to
  whoever may join a pool, judged by the join's own rules, so a site that restricts joins
  restricts TURN with no more code: with a pool, to whoever
  :func:`rtcpool_django.pools.may_join` it (the name resolves, the pool exists or may be
  created, the join token of ``?token=`` if any is valid for it, its access mode and
  ``ADMIT_PEER`` admit, the pool is open); without one, to the holder of a valid join
  token (``?token=``), else to whoever the access mode ``DEFAULT_ACCESS`` and
  ``ADMIT_PEER`` admit to a pool a join would create (an unsaved ``Pool(name="")``).
  Those hooks see :func:`http_scope`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from . import access, admission, tokens
from .conf import rtcpool_settings
from .models import Pool
from .protocol import ProtocolError


def resolve_pool_name(requested: str, scope: Mapping[str, Any]) -> str | None:
    """Use the requested name as is."""
    return requested


def admit_peer(scope: Mapping[str, Any], user: Any, pool: Any) -> bool:
    """Anyone may join a public pool; a private pool admits signed-in users only."""
    return not pool.private or user is not None


def initial_description(scope: Mapping[str, Any], user: Any, pool: Any) -> Any:
    """No description until the back-end sets one."""
    return None


def issue_turn_credentials(request: HttpRequest, user: Any, pool: str | None) -> bool:
    """Whoever may join ``pool`` (or, without one, the pool their join token names, or a
    pool a join would create) may have TURN credentials."""
    scope = http_scope(request)
    if pool is not None:
        return admission.may_join(pool, scope=scope, user=user)
    token = tokens.from_scope(scope)
    if token is not None:
        try:
            claim = tokens.read(token)
        except tokens.TokenError:
            return False
        # The name in a token is already resolved: not resolved again.
        return not Pool.objects.filter(name=claim.pool, is_open=False).exists()
    # "Any pool a join would create": an unsaved one with the defaults of such a pool.
    candidate = Pool(name="", private=False, access=rtcpool_settings.DEFAULT_ACCESS)
    try:
        access.check(candidate, access.Entrant(user))
    except ProtocolError:
        return False
    return bool(rtcpool_settings.ADMIT_PEER(scope, user, candidate))


def http_scope(request: HttpRequest) -> dict[str, Any]:
    """An ASGI-style scope of an HTTP request, for hooks written against a WebSocket scope:
    the request's own scope under ASGI, one built from ``request.META`` under WSGI; with
    ``"user"`` set as ``AuthMiddlewareStack`` sets it on a WebSocket."""
    scope = getattr(request, "scope", None)
    if scope is not None:
        scope = dict(scope)
    else:
        meta = request.META
        scope = {
            "type": "http",
            "method": request.method,
            "path": request.path,
            "query_string": meta.get("QUERY_STRING", "").encode("latin-1"),
            "headers": [
                (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
                for key, value in meta.items()
                if key.startswith("HTTP_")
            ],
            "client": (meta.get("REMOTE_ADDR", ""), int(meta.get("REMOTE_PORT") or 0)),
        }
    scope["user"] = getattr(request, "user", None)
    return scope
