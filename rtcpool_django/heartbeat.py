"""The heartbeat that proves this worker process is alive (who it is and which connections
it holds: :mod:`rtcpool_django.registry`).

Every server process writes one ``Worker`` row update per ``HEARTBEAT_INTERVAL`` (one
write per worker, not per peer) from the moment it serves (see :meth:`Heartbeat.serve`),
with or without connections, and each beat:

- prunes the peers of workers silent for longer than ``WORKER_TIMEOUT``: when a process
  is killed without cleaning up, the peers it held are removed and their pools get
  ``rtc:close`` within about ``WORKER_TIMEOUT + HEARTBEAT_INTERVAL`` seconds, as long as
  any worker runs (or ``manage.py rtcpool_prune`` does);
- removes this worker's own peers whose connection is gone (a departure that failed, say
  because the database was unreachable at that moment): no ghost outlives its socket by
  more than one interval.

With ``RTCPOOL["WEBHOOKS"]`` set, the webhook sender (:mod:`rtcpool_django.webhook_sender`)
starts and stops with the heartbeat, so every worker delivers the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from django.utils import timezone

from . import metrics, pools
from .conf import rtcpool_settings
from .database import run_in_heartbeat_thread
from .models import Worker
from .recovery import OutageWatch, repair_rosters
from .registry import Connection, registry
from .webhook_sender import sender as webhook_sender
from .webhook_sender import wanted as webhooks_wanted

logger = logging.getLogger("rtcpool_django")


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` is alive now (one UPDATE; an INSERT the first time)."""
    now = timezone.now()
    if not Worker.objects.filter(id=worker_id).update(last_seen=now):
        Worker.objects.update_or_create(id=worker_id, defaults={"last_seen": now})


class Heartbeat:
    """The heartbeat task of this process, and its watch over channel-layer outages."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._registered: asyncio.Future[None] | None = None
        self.outages: OutageWatch | None = None
        self._serving = False
        self._shutdown_hooked = ""

    def serve(self) -> None:
        """Beat from the moment the server runs, connections or not (an idle worker must
        still prune the peers of dead ones). Called when the ASGI application is built
        (``PoolConsumer.as_asgi()``) and at ASGI ``lifespan.startup``
        (:class:`~rtcpool_django.lifespan.Lifespan`): inside a running loop the beat starts
        now; under daphne once its reactor runs; otherwise (uvicorn 0.54 builds the
        application before its loop runs; ``manage.py`` commands, a shell) it does not
        start, and the lifespan startup or the first connection starts it."""
        self._serving = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            reactor = sys.modules.get("twisted.internet.reactor")
            if reactor is not None and hasattr(reactor, "callWhenRunning"):
                # Startup triggers run before the reactor's asyncio loop does; callLater
                # runs inside it.
                reactor.callWhenRunning(reactor.callLater, 0, self._start)
            return
        loop.call_soon(self._start)

    def _start(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests) starts from scratch
            self._loop, self._task = loop, None
            registry.serve_running_loop()
            if self.outages is not None:
                self.outages.uninstall()  # else the old loop's watch would react too
            self.outages = OutageWatch(registry.connections)
            self.outages.install()
        self._on_server_shutdown()
        if self._task is None or self._task.done():
            self._registered = loop.create_future()
            self._task = loop.create_task(self._run(self._registered))
        if webhooks_wanted():
            # Delivered by the workers themselves: no extra service (one task per process).
            webhook_sender.start()
        assert self._registered is not None
        return self._registered

    async def connected(self, channel_name: str, consumer: Connection) -> None:
        """A connection opened: returns once this worker is registered and beating."""
        registered = self._start()
        registry.connected(channel_name, consumer)
        await asyncio.shield(registered)

    def disconnected(self, channel_name: str) -> None:
        """A connection closed. Outside a server, the last one stops the heartbeat."""
        if not registry.disconnected(channel_name):
            return
        if not registry.connections and not self._serving and self._task is not None:
            self._task.cancel()
            self._task = None
            webhook_sender.stop()

    def _on_server_shutdown(self) -> None:
        # daphne cancels its consumers on SIGTERM in a Twisted "before shutdown" trigger,
        # but that trigger fails with a KeyError (and cancels nothing) while a connection
        # that never sent a request is still in its table, as a load balancer's TCP health
        # check leaves for a second. Our own trigger removes this worker's peers whatever
        # happened to daphne's, and Twisted waits for it before the process exits.
        reactor = sys.modules.get("twisted.internet.reactor")
        worker_id = registry.worker_id
        if reactor is None or self._shutdown_hooked == worker_id:
            return
        self._shutdown_hooked = worker_id

        def forget_this_worker() -> object:
            # Twisted is there only when its reactor runs (daphne).
            from twisted.internet.defer import Deferred

            forget = pools.aforget_worker(registry.worker_id)
            return Deferred.fromFuture(asyncio.ensure_future(forget))

        reactor.addSystemEventTrigger("before", "shutdown", forget_this_worker)

    async def _run(self, registered: asyncio.Future[None]) -> None:
        try:
            await run_in_heartbeat_thread(beat, registry.worker_id)
        except Exception:
            logger.exception("rtcpool: could not register worker %s", registry.worker_id)
        finally:
            if not registered.done():
                registered.set_result(None)
        while True:
            await asyncio.sleep(rtcpool_settings.HEARTBEAT_INTERVAL)
            await self.tick()

    async def tick(self) -> None:
        """One beat: record this worker alive, prune dead workers and own orphans, and
        repair the rosters of its connections (:mod:`rtcpool_django.recovery`)."""
        worker_id = registry.worker_id
        try:
            await run_in_heartbeat_thread(beat, worker_id)
            metrics.refresh_gauges()
            await pools.aprune_dead_workers()
            await pools.aprune_orphans(worker_id, registry.connections)
            if not (self.outages and self.outages.layer_down):
                await repair_rosters(registry.connections)
        except Exception:
            # A database hiccup must not stop the heartbeat for good.
            logger.exception("rtcpool: heartbeat of %s failed", worker_id)


heartbeat = Heartbeat()
