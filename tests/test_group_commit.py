"""Group commit (rtcpool_django.group_commit): a lone call goes at once, calls that arrive
while a batch is in flight go together in the next one, and each call gets its own
outcome."""

from __future__ import annotations

import asyncio

import pytest

from rtcpool_django.group_commit import GroupCommit


class Held:
    """A batch function that records its batches and waits while ``hold`` is cleared."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.entered = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        self.entered.set()
        await self.hold.wait()
        return [ValueError(n) if n < 0 else n * 10 for n in items]


async def test_a_lone_call_goes_at_once_alone():
    batch = Held()
    commit = GroupCommit(batch)
    assert await asyncio.wait_for(commit.submit(1), 1) == 10
    assert batch.batches == [[1]]
    assert commit.batches_in_flight() == 0


async def test_calls_that_arrive_while_a_batch_is_in_flight_go_together_next():
    batch = Held()
    commit = GroupCommit(batch)
    batch.hold.clear()
    first = asyncio.ensure_future(commit.submit(1))
    await batch.entered.wait()
    later = [asyncio.ensure_future(commit.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0.01)
    assert batch.batches == [[1]] and commit.batches_in_flight() == 1
    batch.hold.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40]
    assert batch.batches == [[1], [2, 3, 4]]


async def test_a_batch_takes_at_most_max_items():
    batch = Held()
    commit = GroupCommit(batch, max_items=2)
    batch.hold.clear()
    first = asyncio.ensure_future(commit.submit(0))
    await batch.entered.wait()
    later = [asyncio.ensure_future(commit.submit(n)) for n in (1, 2, 3, 4, 5)]
    batch.hold.set()
    await asyncio.gather(first, *later)
    assert batch.batches == [[0], [1, 2], [3, 4], [5]]


async def test_each_call_gets_its_own_outcome():
    batch = Held()
    commit = GroupCommit(batch)
    batch.hold.clear()
    first = asyncio.ensure_future(commit.submit(1))
    await batch.entered.wait()
    good, bad = asyncio.ensure_future(commit.submit(2)), asyncio.ensure_future(commit.submit(-1))
    batch.hold.set()
    assert await first == 10 and await good == 20
    with pytest.raises(ValueError):
        await bad


async def test_a_batch_that_fails_as_a_whole_fails_each_of_its_calls_and_no_later_one():
    calls = []

    async def failing(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("database down")
        return items

    commit = GroupCommit(failing)
    with pytest.raises(RuntimeError):
        await commit.submit(1)
    assert await commit.submit(2) == 2


async def test_a_cancelled_caller_leaves_the_others_of_its_batch_alone():
    batch = Held()
    commit = GroupCommit(batch)
    batch.hold.clear()
    first = asyncio.ensure_future(commit.submit(1))
    await batch.entered.wait()
    quitter, stayer = (
        asyncio.ensure_future(commit.submit(2)),
        asyncio.ensure_future(commit.submit(3)),
    )
    await asyncio.sleep(0)
    quitter.cancel()
    batch.hold.set()
    assert await first == 10 and await stayer == 30
    assert batch.batches == [[1], [2, 3]]
