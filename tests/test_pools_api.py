"""pools is the public domain API: every name it offered stays there, each sync function
with its async twin, whichever module does the work behind it."""

from __future__ import annotations

import inspect

from rtcpool_django import pools

SYNC_WITH_TWIN = [
    "create_pool",
    "get_pool",
    "list_pools",
    "live_peers",
    "describe",
    "close_pool",
    "kick",
    "leave",
    "may_join",
    "prune_dead_workers",
]
ASYNC_ONLY = ["ajoin", "aforget_worker", "aprune_orphans", "deliver"]
SYNC_ONLY = ["join_refusal"]


def test_every_public_function_is_offered_by_pools():
    for name in SYNC_WITH_TWIN:
        assert callable(getattr(pools, name)) and not inspect.iscoroutinefunction(
            getattr(pools, name)
        ), name
        assert inspect.iscoroutinefunction(getattr(pools, "a" + name)), name
    for name in ASYNC_ONLY:
        assert inspect.iscoroutinefunction(getattr(pools, name)), name
    for name in SYNC_ONLY:
        assert callable(getattr(pools, name)), name


def test_all_lists_exactly_what_pools_offers():
    for name in pools.__all__:
        assert hasattr(pools, name), name
    public = SYNC_WITH_TWIN + ["a" + name for name in SYNC_WITH_TWIN] + ASYNC_ONLY + SYNC_ONLY
    assert set(public) <= set(pools.__all__)
    assert {"Joined", "PEER", "LEAVE", "DESCRIBE", "STOP", "KICK", "RELAY"} <= set(pools.__all__)
