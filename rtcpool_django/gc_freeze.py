"""The start-up objects of a worker, frozen for Python's cyclic garbage collector, once
(``RTCPOOL["GC_FREEZE"]``).

A worker's heap is mostly what it loaded to start (Django, the server, Twisted or
uvicorn, the site's code: about 95,000 tracked objects), and that lives as long as the
process. The collector still walks all of it in every full collection, and full
collections come often while connections open and close: they are what reclaims the
reference cycles closed connections leave, which live long enough to be old. In a
1,000-peer join storm on one daphne worker the collector took about a seventh of the
worker's CPU, in full collections of 100-150 ms each, most of that walking the start-up
objects.

So, once per process, when the ASGI application is built (``PoolConsumer.as_asgi()``, as
a server loads the site's ``asgi.py``): collect (start-up garbage is not kept for good),
then :func:`gc.freeze` what is alive, which later collections skip. They come as often as
before and reclaim what they did; they walk only what came after start-up. The
thresholds stay as they are: raising the young one to 5,000 or 20,000 allocations saved
a little more CPU, but a worker's memory then grew by a sixth to a third over 20,000
join-and-leave cycles, where it stays flat with the freeze alone.
"""

from __future__ import annotations

import gc
import logging

from .conf import rtcpool_settings

logger = logging.getLogger("rtcpool_django")

_frozen = False


def freeze_once() -> bool:
    """Collect, then freeze what is alive, unless ``GC_FREEZE`` is off or this process
    did it already. Returns whether this call did it."""
    global _frozen
    if _frozen or not rtcpool_settings.GC_FREEZE:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    logger.info(
        "rtcpool: froze %d start-up objects for the garbage collector (RTCPOOL GC_FREEZE)",
        gc.get_freeze_count(),
    )
    return True
