"""A serving worker's start-up objects are frozen for the garbage collector, once per
process, unless ``RTCPOOL["GC_FREEZE"]`` is off."""

from __future__ import annotations

import gc
import types
import weakref

import pytest
from django.core.checks import Tags, run_checks
from django.test import override_settings

from rtcpool_django import gc_freeze
from rtcpool_django.consumers import PoolConsumer


@pytest.fixture
def collector(monkeypatch):
    """The collector as the process had it, restored afterwards; this process unfrozen."""
    threshold = gc.get_threshold()
    monkeypatch.setattr(gc_freeze, "_frozen", False)
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def tracked_objects_include(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_freezing_takes_what_is_alive_out_of_collections(collector):
    alive = types.SimpleNamespace()  # alive at the freeze, and tracked by the collector
    assert tracked_objects_include(alive)
    assert gc_freeze.freeze_once() is True
    assert gc.get_freeze_count() > 0
    assert not tracked_objects_include(alive)  # frozen: collections skip it
    later = types.SimpleNamespace()
    assert tracked_objects_include(later)  # what comes after is collected as before


def test_the_collector_keeps_its_thresholds(collector):
    gc.set_threshold(700, 10, 10)
    gc_freeze.freeze_once()
    assert gc.get_threshold() == (700, 10, 10)


class Node:
    pass


def test_start_up_garbage_is_collected_not_frozen(collector):
    cycle = Node()
    cycle.self = cycle
    gone = weakref.ref(cycle)
    del cycle
    gc_freeze.freeze_once()
    assert gone() is None  # frozen garbage would stay for the process's life


def test_it_happens_once_per_process(collector):
    assert gc_freeze.freeze_once() is True
    gc.unfreeze()
    assert gc_freeze.freeze_once() is False
    assert gc.get_freeze_count() == 0


def test_gc_freeze_off_leaves_the_collector_alone(collector):
    with override_settings(RTCPOOL={"GC_FREEZE": False}):
        assert gc_freeze.freeze_once() is False
    assert gc.get_freeze_count() == 0


def test_building_the_application_freezes(collector):
    """Every server builds it as it loads the site's asgi.py: daphne before its reactor
    runs, uvicorn before its loop does (0.54) or inside it, gunicorn's workers, ..."""
    PoolConsumer.as_asgi()
    assert gc_freeze._frozen and gc.get_freeze_count() > 0


def test_gc_freeze_must_be_a_bool():
    with override_settings(RTCPOOL={"GC_FREEZE": 1}):
        # Our tag only: since Django 6.0 an untagged run also checks the databases.
        errors = [e for e in run_checks(tags=[Tags.compatibility]) if e.id == "rtcpool.E001"]
    assert [e.msg for e in errors] == ["RTCPOOL['GC_FREEZE'] must be True or False."]
