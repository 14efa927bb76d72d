"""Who may join a pool: the join token a connection carries, and the pool's access mode.

The decision reads and never writes: a refused join leaves no row behind, and the
membership transaction that follows an admission is not slowed by it. The order is the
one a client can reason about: first what is wrong with the token itself (the same answer
whatever pool it is used on, so it reveals nothing about which pools exist), then what
the pool asks of whoever joins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from . import tokens
from .models import Access, Pool
from .protocol import ProtocolError
from .tokens import JoinClaim


@dataclass(frozen=True, slots=True)
class Entrant:
    """Who a join admits: the user it joins as (the token's, else the connection's), and
    the token's claim when it came with one."""

    user: Any
    claim: JoinClaim | None = None

    @property
    def description(self) -> tuple[bool, Any]:
        """``(True, description)`` when the token fixes the initial description."""
        if self.claim is not None and self.claim.has_description:
            return True, self.claim.description
        return False, None


def entrant(name: str, scope: Mapping[str, Any], user: Any) -> Entrant:
    """The entrant of a join of the pool named ``name`` (resolved) by a connection with
    ``scope`` and signed-in ``user`` (or ``None``). Raises ``ProtocolError``
    ``token_invalid`` (malformed, tampered, for another pool), ``token_expired``, or
    ``forbidden`` (the token's user is gone or inactive)."""
    token = tokens.from_scope(scope)
    if token is None:
        return Entrant(user)
    try:
        claim = tokens.read(token)
    except tokens.TokenError as error:
        raise ProtocolError(error.reason) from None
    if claim.pool != name:
        raise ProtocolError("token_invalid", "This join token is for another pool.")
    if claim.user_id is None:
        return Entrant(user, claim)
    holder = _active_user(claim.user_id)
    if holder is None:
        raise ProtocolError("forbidden", "The user this join token names may not join.")
    return Entrant(holder, claim)


def check(pool: Pool, who: Entrant) -> None:
    """Raise ``ProtocolError`` unless ``pool``'s access mode admits ``who``: a valid token
    for the pool admits in every mode; else ``token`` refuses with ``token_required``, and
    ``authenticated`` and ``members`` refuse outsiders with ``forbidden``. A private pool
    answers every refusal ``pool_not_found``: it does not reveal that it exists."""
    if who.claim is not None or pool.access == Access.PUBLIC:
        return
    if pool.access == Access.TOKEN:
        refusal = "token_required"
    elif who.user is None:
        refusal = "forbidden"
    elif pool.access == Access.AUTHENTICATED or (
        pool.access == Access.MEMBERS and is_member(pool, who.user)
    ):
        return
    else:
        refusal = "forbidden"
    raise ProtocolError("pool_not_found" if pool.private else refusal)


def is_member(pool: Pool, user: Any) -> bool:
    """Whether ``user`` is listed on ``pool`` (``members``) or in one of its
    ``member_groups``: one query. An unsaved pool (one a join would create) has none."""
    if pool.pk is None or user is None or not user.is_authenticated:
        return False
    listed = Q(members=user)
    if hasattr(user, "groups"):  # a custom user model may have no groups
        listed |= Q(member_groups__in=user.groups.all())
    return Pool.objects.filter(listed, pk=pool.pk).exists()


def _active_user(pk: str) -> Any:
    model = get_user_model()
    try:
        user = model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):  # a pk of another model's type
        return None
    if user is None or not getattr(user, "is_active", True):
        return None
    return user
