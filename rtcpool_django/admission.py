"""Who may join which pool: the requested name resolved through ``RESOLVE_POOL_NAME``, the
pool found or created, and ``ADMIT_PEER`` asked, before any lock is taken.

Admission reads the pool unlocked: what can change under a join (the pool closing or
filling up) is checked again under the pool's row lock by :func:`rtcpool_django.entry.enter`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .conf import POOL_NAME_COLUMN_LENGTH, rtcpool_settings
from .models import Pool
from .protocol import ProtocolError

logger = logging.getLogger("rtcpool_django")


def joiner(scope: Mapping[str, Any]) -> Any:
    """The scope's authenticated user, or None for an anonymous one."""
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None


def pool_for_join(requested: str, scope: Mapping[str, Any], user: Any) -> Pool:
    """The pool a join of ``requested`` by ``user`` enters, created if joining may create
    it; raises ``ProtocolError`` (``pool_not_found``, ``forbidden``) for a refused join."""
    name = resolve(requested, scope)
    pool = Pool.objects.filter(name=name).first() or _create_for_join(name, scope, user)
    admit(scope, user, pool)
    return pool


def resolve(requested: str, scope: Mapping[str, Any]) -> str:
    """The pool name ``RESOLVE_POOL_NAME`` makes of ``requested``; raises
    ``pool_not_found`` when it makes none, or one no pool can have."""
    name = rtcpool_settings.RESOLVE_POOL_NAME(requested, scope)
    if not name:
        raise ProtocolError("pool_not_found")
    if not isinstance(name, str) or len(name) > POOL_NAME_COLUMN_LENGTH:
        # A site's aliasing hook made a name no pool can have: the client asked for a valid
        # name, so it hears that there is no such pool, and the site's log says why.
        logger.error(
            "rtcpool: RESOLVE_POOL_NAME returned %r for %r: not a str of at most %d characters",
            name if not isinstance(name, str) else f"{name[:40]}... ({len(name)} characters)",
            requested,
            POOL_NAME_COLUMN_LENGTH,
        )
        raise ProtocolError("pool_not_found")
    return name


def _create_for_join(name: str, scope: Mapping[str, Any], user: Any) -> Pool:
    """Create the pool a join asks for, if joining may create it and the joiner would be
    admitted: a refused join must leave no pool behind."""
    if not rtcpool_settings.AUTO_CREATE_POOLS:
        raise ProtocolError("pool_not_found")
    admit(scope, user, Pool(name=name, max_peers=rtcpool_settings.DEFAULT_MAX_PEERS))
    # Another join may create it meanwhile, maybe differently: the caller admits against
    # the row that exists.
    pool, _ = Pool.objects.get_or_create(
        name=name, defaults={"max_peers": rtcpool_settings.DEFAULT_MAX_PEERS}
    )
    return pool


def admit(scope: Mapping[str, Any], user: Any, pool: Pool) -> None:
    """Raise ``ProtocolError`` unless ``ADMIT_PEER`` admits ``user`` to ``pool``."""
    if not rtcpool_settings.ADMIT_PEER(scope, user, pool):
        # A private pool does not reveal that it exists to those it refuses.
        raise ProtocolError("pool_not_found" if pool.private else "forbidden")


def may_join(requested: str, *, scope: dict[str, Any], user: Any) -> bool:
    """Whether a join of ``requested`` by ``user`` would be admitted now: the name resolves
    (``RESOLVE_POOL_NAME``), the pool exists or joining may create it, ``ADMIT_PEER`` says
    yes and the pool is open. Capacity (``max_peers``) is not checked: it changes by the
    second and says nothing about who you are. Nothing is created."""
    return join_refusal(requested, scope=scope, user=user) is None


def join_refusal(requested: str, *, scope: dict[str, Any], user: Any) -> str | None:
    """The reason a join of ``requested`` by ``user`` would be refused now (``None``: it
    would be admitted), as :func:`may_join` judges it: ``pool_not_found``, ``forbidden``
    or ``pool_closed``, the ``rtc:error`` reason the join itself would answer."""
    user = user if user is not None and user.is_authenticated else None
    try:
        name = resolve(requested, scope)
        pool = Pool.objects.filter(name=name).first()
        if pool is None:
            if not rtcpool_settings.AUTO_CREATE_POOLS:
                return "pool_not_found"
            pool = Pool(name=name, max_peers=rtcpool_settings.DEFAULT_MAX_PEERS)
        admit(scope, user, pool)
    except ProtocolError as error:
        return error.reason
    return None if pool.is_open else "pool_closed"
