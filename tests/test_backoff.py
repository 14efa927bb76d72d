"""The one backoff of delivery: between offers of a refused notice (send_notices) and
attempts of a failing layer call (retry)."""

from __future__ import annotations

import asyncio

import pytest

from rtcpool_django import delivery


async def test_backoff_doubles_to_its_cap_and_gives_up_at_the_deadline(monkeypatch):
    loop = asyncio.get_running_loop()
    now = [loop.time()]
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        now[0] += delay

    monkeypatch.setattr(loop, "time", lambda: now[0])
    monkeypatch.setattr(asyncio, "sleep", sleep)
    backoff = delivery.Backoff(1.0)
    while await backoff.wait():
        pass
    monkeypatch.undo()
    # 0.81 s slept; one more 0.25 would end past the deadline, so it is not slept.
    assert slept == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.16, 0.25, 0.25])
    backoff.reset()
    assert backoff.delay == delivery.FIRST_BACKOFF
