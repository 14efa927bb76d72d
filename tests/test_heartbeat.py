"""The heartbeat is never queued behind the work of joins: a storm that keeps every ORM
thread busy must not make a live worker look dead to the others (they would prune it)."""

from __future__ import annotations

import asyncio
import threading

from rtcpool_django.conf import rtcpool_settings
from rtcpool_django.database import run_in_heartbeat_thread, run_in_thread
from rtcpool_django.heartbeat import beat
from rtcpool_django.models import Worker


async def test_a_beat_goes_through_while_every_orm_thread_is_busy(transactional_db):
    release = threading.Event()
    busy = [
        asyncio.ensure_future(run_in_thread(release.wait, 10))
        for _ in range(rtcpool_settings.DATABASE_THREADS + 2)  # and more queued behind
    ]
    try:
        await asyncio.wait_for(run_in_heartbeat_thread(beat, "busy-worker"), 5)
        assert await Worker.objects.filter(id="busy-worker").aexists()
    finally:
        release.set()
        await asyncio.gather(*busy)
