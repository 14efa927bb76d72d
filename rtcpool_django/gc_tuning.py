"""Python's cyclic garbage collector, tuned once for a serving worker (``RTCPOOL["TUNE_GC"]``).

A worker's heap is mostly what it loaded to start (Django, the server, Twisted or
uvicorn, the site's code: about 100,000 tracked objects), and that lives as long as the
process. At its default thresholds the collector still walks all of it in every full
collection, and runs a young collection every 700 net allocations (2,000 on Python 3.13).
Everything a join or a relay allocates is freed by reference counting; the collector
finds next to nothing. In a 1,000-peer join storm on one daphne worker it took about a
seventh of the worker's CPU, in full collections of 100-150 ms each.

So, once per process, when the server starts serving: collect (start-up garbage is not
kept for good), freeze what is alive (:func:`gc.freeze`: later collections skip it), and
raise the young generation's threshold to :data:`YOUNG_THRESHOLD` (never lower it). Cycles
made afterwards are collected as before, just less often; the objects frozen are the ones
a worker keeps anyway.
"""

from __future__ import annotations

import gc
import logging

from .conf import rtcpool_settings

logger = logging.getLogger("rtcpool_django")

#: Net allocations of tracked objects between two young collections, at least.
YOUNG_THRESHOLD = 20_000

_tuned = False


def tune_once() -> bool:
    """Tune this process's collector, unless ``TUNE_GC`` is off or it was done already.
    Returns whether this call did it."""
    global _tuned
    if _tuned or not rtcpool_settings.TUNE_GC:
        return False
    _tuned = True
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, *older)
    logger.info(
        "rtcpool: froze %d start-up objects for the garbage collector; its thresholds are "
        "%s (RTCPOOL TUNE_GC)",
        gc.get_freeze_count(),
        gc.get_threshold(),
    )
    return True
