"""Default policy hooks. Replace any of them with an import string in ``RTCPOOL``.

Each hook is a plain synchronous function, called in a thread where the ORM may be used:

- ``RESOLVE_POOL_NAME(requested, scope) -> str | None``: the real pool name for the
  name a client asked for (aliasing); ``rtc:joined.pool`` carries the result. ``None``
  or ``""`` refuses the join with ``pool_not_found``.
- ``ADMIT_PEER(scope, user, pool) -> bool``: whether this connection may join ``pool``.
  ``user`` is the authenticated Django user or ``None``. A refusal answers ``forbidden``,
  or ``pool_not_found`` for a private pool (it does not reveal that it exists).
- ``INITIAL_DESCRIPTION(scope, user, pool) -> JSON``: the new peer's description, shown to
  the other peers in ``rtc:joined.descriptions`` and ``rtc:describe``.
- ``ISSUE_TURN_CREDENTIALS(request, user, pool) -> bool``: whether this HTTP request may
  have the ICE servers (STUN URLs and a TURN credential) of ``views.ice_servers``.
  ``pool`` is the pool name the page asked with (``?pool=``, not yet resolved) or
  ``None``. A refusal answers the reason a join of that pool would get (404
  ``pool_not_found`` or ``pool_closed``, 403 ``forbidden``), else 403 ``forbidden``. The
  default gives them to whoever may join a pool, judged by the join's own hooks, so a site
  that restricts joins restricts TURN with no more code: with a pool, to whoever
  :func:`rtcpool_django.pools.may_join` it (the name resolves, the pool exists or may be
  created, ``ADMIT_PEER`` admits, the pool is open); without one, to whoever
  ``ADMIT_PEER`` admits to a public pool (an unsaved ``Pool(name="")`` stands for "any
  public pool"). Those hooks see :func:`http_scope`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from . import pools
from .conf import rtcpool_settings
from .models import Pool


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
    """Whoever may join ``pool`` (or, without one, a public pool) may have TURN credentials."""
    scope = http_scope(request)
    if pool is None:
        return bool(rtcpool_settings.ADMIT_PEER(scope, user, Pool(name="", private=False)))
    return pools.may_join(pool, scope=scope, user=user)


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
