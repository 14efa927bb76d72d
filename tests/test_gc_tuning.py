"""The garbage collector of a serving worker: start-up objects frozen, young threshold
raised, once per process, unless ``RTCPOOL["TUNE_GC"]`` is off."""

from __future__ import annotations

import asyncio
import gc
import sys
import types

import pytest
from django.core.checks import Tags, run_checks
from django.test import override_settings

from rtcpool_django import gc_tuning
from rtcpool_django.heartbeat import Heartbeat


@pytest.fixture
def collector(monkeypatch):
    """The collector as the process had it, restored afterwards; this process untuned."""
    threshold = gc.get_threshold()
    monkeypatch.setattr(gc_tuning, "_tuned", False)
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_freezes_what_is_alive_and_raises_the_young_threshold(collector):
    gc.set_threshold(700, 10, 10)
    alive = types.SimpleNamespace()  # alive at tuning, and tracked by the collector
    assert gc.is_tracked(alive)
    assert gc_tuning.tune_once() is True
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects())  # frozen: collections skip it
    assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD, 10, 10)


def test_tuning_happens_once_per_process(collector):
    assert gc_tuning.tune_once() is True
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    assert gc_tuning.tune_once() is False
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_of_the_site_is_kept(collector):
    gc.set_threshold(100_000, 5, 5)
    gc_tuning.tune_once()
    assert gc.get_threshold() == (100_000, 5, 5)


def test_tune_gc_off_leaves_the_collector_alone(collector):
    gc.set_threshold(700, 10, 10)
    with override_settings(RTCPOOL={"TUNE_GC": False}):
        assert gc_tuning.tune_once() is False
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


async def test_a_server_starting_in_a_running_loop_tunes_it(collector, monkeypatch):
    """uvicorn and hypercorn build the application inside their running loop."""
    started = []
    monkeypatch.setattr(Heartbeat, "_start", lambda self: started.append(self))
    Heartbeat().serve()
    await asyncio.sleep(0)
    assert started and gc_tuning._tuned
    assert gc.get_threshold()[0] >= gc_tuning.YOUNG_THRESHOLD


def test_daphne_tunes_it_once_its_reactor_runs(collector, monkeypatch):
    """daphne builds the application before its reactor runs: tuning waits for it."""
    calls = []

    class Reactor:
        def callWhenRunning(self, f, *args):
            calls.append((f, args))

        def callLater(self, delay, f):
            f()

    reactor = Reactor()
    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", reactor)
    monkeypatch.setattr(Heartbeat, "_start", lambda self: None)
    Heartbeat().serve()
    assert not gc_tuning._tuned  # the application is still being loaded
    (f, args) = calls[0]
    f(*args)  # the reactor runs
    assert gc_tuning._tuned


def test_building_the_application_outside_a_server_does_not_tune_it(collector, monkeypatch):
    """A test's or a command's ``as_asgi()``: no running loop, no reactor."""
    monkeypatch.delitem(sys.modules, "twisted.internet.reactor", raising=False)
    Heartbeat().serve()
    assert not gc_tuning._tuned


def test_tune_gc_must_be_a_bool():
    with override_settings(RTCPOOL={"TUNE_GC": 1}):
        # Our tag only: since Django 6.0 an untagged run also checks the databases.
        errors = [e for e in run_checks(tags=[Tags.compatibility]) if e.id == "rtcpool.E001"]
    assert [e.msg for e in errors] == ["RTCPOOL['TUNE_GC'] must be True or False."]
