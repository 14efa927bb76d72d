"""The channel-layer vocabulary lives in one module that any other may import, and each
message type it defines is one the consumer handles."""

from __future__ import annotations

import ast
import inspect

from channels.consumer import get_handler_name

from rtcpool_django import messages, pools
from rtcpool_django.consumers import PoolConsumer

TYPES = {
    name: value
    for name, value in vars(messages).items()
    if name.isupper() and isinstance(value, str) and value.startswith("rtcpool.")
}


def test_every_message_type_has_a_consumer_handler_and_every_handler_a_type():
    assert set(TYPES.values()) == {
        "rtcpool.peer",
        "rtcpool.leave",
        "rtcpool.describe",
        "rtcpool.stop",
        "rtcpool.kick",
        "rtcpool.relay",
        "rtcpool.sync",
        "rtcpool.notices",
    }
    for message_type in TYPES.values():
        assert callable(getattr(PoolConsumer, get_handler_name({"type": message_type})))
    handlers = {name for name in vars(PoolConsumer) if name.startswith("rtcpool_")}
    assert handlers == {get_handler_name({"type": t}) for t in TYPES.values()}


def test_each_builder_makes_a_message_of_its_own_type():
    built = [
        messages.peer(1, "p", "chan", {"name": "Ada"}),
        messages.leave(1, "p"),
        messages.describe(1, "p", None),
        messages.stop(1),
        messages.kick(1, "p"),
        messages.relay("p", '{"type":"rtc:sdp","data":{}}'),
        messages.sync(1, {"q": ["chan", None]}, ["r"]),
        messages.notices([messages.leave(1, "p"), messages.stop(1)]),
    ]
    assert sorted(m["type"] for m in built) == sorted(TYPES.values())
    # Every message about a pool says which one, so a connection that moved on ignores it.
    assert all("pool" in m for m in built if m["type"] not in (messages.RELAY, messages.NOTICES))
    assert all("pool" in m for m in built[-1]["messages"])


def test_messages_imports_nothing_of_the_app():
    tree = ast.parse(inspect.getsource(messages))
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.level or "rtcpool" in (node.module or ""))
    ]
    assert imported == []


def test_pools_still_offers_the_vocabulary():
    # Sites and tests matched on pools.PEER and friends before messages.py existed.
    for name, value in TYPES.items():
        assert getattr(pools, name) == value
