"""Policy hooks that the tests install through RTCPOOL import strings."""

from __future__ import annotations

from typing import Any

ALIASES = {"lobby": "main-hall", "hidden": None, "too-long": "x" * 256, "not-text": 42}
CALLS: list[tuple[str, Any, Any]] = []


def alias(requested: str, scope: dict[str, Any]) -> str | None:
    return ALIASES.get(requested, requested)


def only_staff_in_vip(scope: dict[str, Any], user: Any, pool: Any) -> bool:
    CALLS.append(("admit", user, pool.name))
    return not pool.name.startswith("vip") or (user is not None and user.is_staff)


def name_from_user(scope: dict[str, Any], user: Any, pool: Any) -> Any:
    if user is None:
        return {"name": "guest", "pool": pool.name}
    return {"name": user.get_full_name() or user.get_username(), "pool": pool.name}


def turn_for_staff_only(request: Any, user: Any, pool: str | None) -> bool:
    CALLS.append(("turn", user, pool))
    return user is not None and user.is_staff


def admit_signed_in_only(scope: dict[str, Any], user: Any, pool: Any) -> bool:
    CALLS.append(("admit-scope", scope, pool.name))
    return user is not None
