"""The exactly-once discovery rule (docs/reference/protocol.rst, "Exactly-once discovery"),
checked over what clients saw."""

from __future__ import annotations

from collections import Counter
from typing import Any


def assert_exactly_once(views: dict[str, dict[str, Any]]) -> None:
    """``views[id] = {"peers": joined.peers, "events": [frames after rtc:joined]}``.

    For every pair exactly one side has the other in ``joined.peers`` and the other side
    gets exactly one ``rtc:peer`` for it; nobody hears of itself, nobody gets ``rtc:close``
    for an id it never learned.
    """
    ids = set(views)
    learned: dict[str, Counter[str]] = {}
    for me, view in views.items():
        counts = Counter(view["peers"])
        for frame in view["events"]:
            if frame["type"] == "rtc:peer":
                counts[frame["data"]["id"]] += 1
            if frame["type"] == "rtc:close":
                assert counts[frame["data"]["id"]] > 0, f"{me} got rtc:close for unknown {frame}"
        assert me not in counts, f"{me} was told about itself"
        assert set(counts) <= ids, f"{me} learned of ids outside the pool"
        learned[me] = counts
    for a in ids:
        for b in ids - {a}:
            assert learned[a][b] == 1, f"{a} learned of {b} {learned[a][b]} times"
            in_a = b in views[a]["peers"]
            in_b = a in views[b]["peers"]
            assert in_a != in_b, f"{a}/{b}: joined.peers on {'both' if in_a else 'neither'} sides"
