"""Who may join which pool: the requested name resolved through ``RESOLVE_POOL_NAME``, the
join token checked, the pool found (or one a join would create), its access mode and
``ADMIT_PEER`` asked, before any lock is taken.

:func:`admit` reads and never writes, so a refused join leaves nothing behind and a join
transaction (one join or a batch of them) can ask it first, unchanged. Admission reads
the pool unlocked: what can change under a join (the pool closing or filling up) is
checked again under the pool's row lock by :func:`rtcpool_django.entry.enter_many`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import access
from .conf import POOL_NAME_COLUMN_LENGTH, rtcpool_settings
from .models import Pool
from .protocol import ProtocolError

logger = logging.getLogger("rtcpool_django")


@dataclass(frozen=True, slots=True)
class Admission:
    """An admitted join: the pool (unsaved when the join creates it) and who joins (the
    join token's user, else the connection's; and the token's claim)."""

    pool: Pool
    entrant: access.Entrant

    @property
    def user(self) -> Any:
        return self.entrant.user


def joiner(scope: Mapping[str, Any]) -> Any:
    """The scope's authenticated user, or None for an anonymous one."""
    user = scope.get("user")
    return user if user is not None and user.is_authenticated else None


def admit(requested: str, scope: Mapping[str, Any], user: Any) -> Admission:
    """Admit a join of ``requested`` by a connection with ``scope`` and ``user`` (signed
    in, or ``None``), or raise ``ProtocolError``; reads only.

    The order of refusals: the name (``pool_not_found``), the join token
    (``token_invalid``, ``token_expired``, and ``forbidden`` for its user gone), the pool's
    existence (``pool_not_found``), its access mode (``token_required``, ``forbidden``),
    then ``ADMIT_PEER`` (``forbidden``); a private pool answers the last two
    ``pool_not_found``.
    """
    (admission,) = admit_many([(requested, scope, user)])
    if isinstance(admission, Exception):
        raise admission
    return admission


def admit_many(
    joins: Sequence[tuple[str, Mapping[str, Any], Any]],
) -> list[Admission | Exception]:
    """:func:`admit` for each ``(requested, scope, user)`` of a batch of joins, their pools
    read in one query; in order, each join's admission or what its own checks raised
    (``ProtocolError`` for a refusal; a site hook's own exception fails only its join)."""
    outcomes: list[Admission | Exception | None] = [None] * len(joins)
    named: list[tuple[int, str, access.Entrant, Mapping[str, Any]]] = []
    for n, (requested, scope, user) in enumerate(joins):
        user = user if user is not None and user.is_authenticated else None
        try:
            name = resolve(requested, scope)
            named.append((n, name, access.entrant(name, scope, user), scope))
        except Exception as exc:
            outcomes[n] = exc
    found = {pool.name: pool for pool in Pool.objects.filter(name__in={m[1] for m in named})}
    for n, name, entrant, scope in named:
        pool = found.get(name)
        if pool is None:
            if not rtcpool_settings.AUTO_CREATE_POOLS:
                outcomes[n] = ProtocolError("pool_not_found")
                continue
            pool = Pool(name=name, **_new_pool_fields())
        try:
            check(scope, entrant, pool)
        except Exception as exc:
            outcomes[n] = exc
            continue
        outcomes[n] = Admission(pool, entrant)
    return outcomes  # type: ignore[return-value]


def pool_for_join(admission: Admission, scope: Mapping[str, Any]) -> Pool:
    """The saved pool of an admitted join, created if the join creates it. Another join
    may create it meanwhile, maybe differently: a pool found made is admitted again."""
    (pool,) = pools_for_joins([(admission, scope)])
    if isinstance(pool, Exception):
        raise pool
    return pool


def pools_for_joins(
    admitted: Sequence[tuple[Admission, Mapping[str, Any]]],
) -> list[Pool | Exception]:
    """:func:`pool_for_join` for each ``(admission, scope)`` of a batch: the missing pools
    created in one insert (in name order) and read back in one query. A join whose pool
    was created meanwhile with other settings than it assumed is admitted again against
    the row that exists: it gets that pool or its refusal."""
    missing = {a.pool.name: a.pool for a, _ in admitted if a.pool.pk is None}
    if missing:
        Pool.objects.bulk_create([missing[name] for name in sorted(missing)], ignore_conflicts=True)
    rows = {pool.name: pool for pool in Pool.objects.filter(name__in=missing)} if missing else {}
    pools: list[Pool | Exception] = []
    for admission, scope in admitted:
        pool = admission.pool
        if pool.pk is None:
            pool = rows.get(pool.name)
            if pool is None:  # deleted as soon as made
                pools.append(ProtocolError("pool_not_found"))
                continue
            if not pool.admits_as(admission.pool):
                try:
                    check(scope, admission.entrant, pool)
                except Exception as exc:
                    pools.append(exc)
                    continue
        pools.append(pool)
    return pools


def initial_description(admission: Admission, scope: Mapping[str, Any], pool: Pool) -> Any:
    """The new peer's description: the join token's when it carries one (signed, so the
    client could not choose it), else what ``INITIAL_DESCRIPTION`` says."""
    given, description = admission.entrant.description
    if given:
        return description
    return rtcpool_settings.INITIAL_DESCRIPTION(scope, admission.user, pool)


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


def check(scope: Mapping[str, Any], entrant: access.Entrant, pool: Pool) -> None:
    """Raise ``ProtocolError`` unless ``pool``'s access mode and then ``ADMIT_PEER`` admit
    ``entrant``. A join token is the site's own decision, taken when it issued the token:
    ``ADMIT_PEER`` is not asked again of its holder."""
    access.check(pool, entrant)
    if entrant.claim is None and not rtcpool_settings.ADMIT_PEER(scope, entrant.user, pool):
        # A private pool does not reveal that it exists to those it refuses.
        raise ProtocolError("pool_not_found" if pool.private else "forbidden")


def may_join(requested: str, *, scope: Mapping[str, Any], user: Any) -> bool:
    """Whether a join of ``requested`` by ``user`` would be admitted now: the name resolves
    (``RESOLVE_POOL_NAME``), the pool exists or joining may create it, the join token in
    ``scope``'s query string (if any) is valid for it, the access mode and ``ADMIT_PEER``
    say yes, and the pool is open. Capacity (``max_peers``) is not checked: it changes by
    the second and says nothing about who you are. Nothing is created."""
    return join_refusal(requested, scope=scope, user=user) is None


def join_refusal(requested: str, *, scope: Mapping[str, Any], user: Any) -> str | None:
    """The reason a join of ``requested`` by ``user`` would be refused now (``None``: it
    would be admitted), as :func:`may_join` judges it: ``pool_not_found``,
    ``token_invalid``, ``token_expired``, ``token_required``, ``forbidden`` or
    ``pool_closed``, the ``rtc:error`` reason the join itself would answer."""
    try:
        pool = admit(requested, scope, user).pool
    except ProtocolError as error:
        return error.reason
    return None if pool.is_open else "pool_closed"


def _new_pool_fields() -> dict[str, Any]:
    """The fields of a pool a join creates."""
    return {
        "max_peers": rtcpool_settings.DEFAULT_MAX_PEERS,
        "access": rtcpool_settings.DEFAULT_ACCESS,
    }
