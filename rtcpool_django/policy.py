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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resolve_pool_name(requested: str, scope: Mapping[str, Any]) -> str | None:
    """Use the requested name as is."""
    return requested


def admit_peer(scope: Mapping[str, Any], user: Any, pool: Any) -> bool:
    """Anyone may join a public pool; a private pool admits signed-in users only."""
    return not pool.private or user is not None


def initial_description(scope: Mapping[str, Any], user: Any, pool: Any) -> Any:
    """No description until the back-end sets one."""
    return None
