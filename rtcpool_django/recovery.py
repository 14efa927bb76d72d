"""How a worker recovers what its connections missed: lost notices, and channel-layer
outages.

Rosters repair themselves. A notice can be lost without any peer being at fault: the
layer failed to take it (Redis unreachable, no free connection), or Redis restarted empty
and dropped every queue. So at every heartbeat, and at once when the layer reconnects,
each worker reads the membership of the pools its connections are in (one query) and
sends each connection whose roster differs an ``rtcpool.sync``: the ``rtc:peer`` and
``rtc:close`` that bring it back to the truth. A connection whose own peer is gone from
the database is closed as if kicked.

Outages are ridden through, up to a point. With :class:`rtcpool_django.layers.RedisChannelLayer`
(which reports ``connected`` and calls ``on_reconnect``), sockets stay open while Redis is
away: relays are answered ``peer_unavailable``, joins ``unavailable``. When it comes back,
the worker re-adds its connections to their pools' groups (Redis may have lost them) and
repairs every roster. An outage longer than ``LAYER_OUTAGE_GRACE`` seconds sends this
worker's connections ``rtc:stop`` and closes them with 4012 (``CLOSE_LAYER_LOST``), and
removes their peers, so clients rejoin cleanly instead of waiting on a pool that no longer
moves.

An outage can outlive every socket of a worker, and a worker may have none to begin with:
then no reader is there to see Redis again. So the watch also probes the layer (one PING
per shard) while it is down, and while the worker has no connections, whose readers would
otherwise be the ones to notice: the worker serves joins again within about a second of
Redis answering, and ``connected`` (which the health view reports) stays true to Redis.
A join refused as ``unavailable`` probes first, so it is never a stale state that refuses it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer

from . import messages
from .conf import rtcpool_settings
from .database import run_in_thread
from .delivery import retry, send_notices
from .messages import Outbox
from .models import Peer
from .registry import Connection

logger = logging.getLogger("rtcpool_django")

# WebSocket close code after an outage past the grace period: "service restart, join
# again". (1012 itself is what it means, but daphne's autobahn refuses to send it.)
CLOSE_LAYER_LOST = 4012
#: Seconds a probe of the channel layer may take before it counts as down.
PROBE_TIMEOUT = 1.0


def _members(pool_ids: set[int]) -> dict[int, dict[str, tuple[str, Any]]]:
    members: dict[int, dict[str, tuple[str, Any]]] = defaultdict(dict)
    rows = Peer.objects.filter(pool_id__in=pool_ids).values_list(
        "id", "pool_id", "channel_name", "description"
    )
    for pk, pool_id, channel, description in rows:
        members[pool_id][str(pk)] = (channel, description)
    return members


async def repair_rosters(connections: dict[str, Connection]) -> int:
    """Bring the roster of every joined connection of this worker back to what the database
    says; returns how many connections needed it.

    Only differences that cannot be a notice still in flight count: a peer the roster
    lacks is added (a later ``rtcpool.peer`` for it is then ignored, so it is still told
    once), and a peer the roster holds is closed only if it was in the roster before the
    database was read.
    """
    joined = {ch: c for ch, c in connections.items() if c.peer_id is not None}
    if not joined:
        return 0
    loop = asyncio.get_running_loop()
    read_at = loop.time()
    pool_ids = {c.pool_id for c in joined.values() if c.pool_id is not None}
    members = await run_in_thread(_members, pool_ids)
    outbox: Outbox = []
    for channel, consumer in joined.items():
        own_id, pool_id = consumer.peer_id, consumer.pool_id
        if own_id is None or pool_id is None or consumer.joined_at > read_at:
            continue  # left meanwhile, or joined after the read
        truth = members.get(pool_id, {})
        if own_id not in truth:
            outbox.append((channel, messages.kick(pool_id, own_id)))
            continue
        add = {
            peer_id: [peer_channel, description]
            for peer_id, (peer_channel, description) in truth.items()
            if peer_id != own_id and peer_id not in consumer.roster
        }
        close = [
            peer_id
            for peer_id, since in consumer.roster_since.items()
            if peer_id not in truth and since < read_at
        ]
        if add or close:
            outbox.append((channel, messages.sync(pool_id, add, close)))
    if outbox:
        logger.warning("rtcpool: repairing the view of %d connection(s)", len(outbox))
        # A repair that cannot be delivered now is tried again at the next heartbeat.
        await send_notices(outbox)
    return len(outbox)


async def restore_groups(connections: dict[str, Connection]) -> None:
    """Re-add every joined connection to its pool's group (Redis may have restarted empty)."""
    layer: Any = get_channel_layer()
    for channel, consumer in list(connections.items()):
        if consumer.group_name:
            try:
                # The first commands after an outage may meet pooled connections that
                # broke with it; a retry gets a fresh one.
                await retry(
                    functools.partial(layer.group_add, consumer.group_name, channel),
                    what=f"restoring the group of {channel}",
                )
            except Exception:
                return  # down again: the next reconnect restores them


class OutageWatch:
    """Per process: reacts to the channel layer's outages and returns (see the module)."""

    def __init__(self, connections: dict[str, Connection]) -> None:
        self.connections = connections
        # Any: on_reconnect and connected are rtcpool_django.layers' own.
        self.layer: Any = get_channel_layer()
        self._down_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._unregister: Callable[[], None] | None = None
        self._probing: asyncio.Future[bool] | None = None
        # Channels this watch has stopped: a consumer stays registered until its departure
        # is done, which with the layer down takes up to DELIVERY_TIMEOUT, longer than a
        # short grace; it must not be stopped (and logged) again.
        self._stopped: set[str] = set()

    @property
    def supported(self) -> bool:
        """Whether the layer reports its connection state (rtcpool_django.layers does)."""
        return hasattr(self.layer, "on_reconnect") and hasattr(self.layer, "connected")

    @property
    def watching(self) -> bool:
        """Whether this watch keeps the layer's ``connected`` current on the running loop
        (probing while idle); a process without one (a WSGI server, a management command)
        cannot trust ``connected``."""
        task = self._task
        if task is None or task.done():
            return False
        try:
            return task.get_loop() is asyncio.get_running_loop()
        except RuntimeError:
            return False

    def install(self) -> asyncio.Task[None] | None:
        """Start watching on the running loop: the reconnect callback and the watch task."""
        if not self.supported:
            return None
        self._unregister = self.layer.on_reconnect(self.reconnected)
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self._task

    def uninstall(self) -> None:
        """Stop watching: unregister the callback and cancel the task (a watch of an
        earlier event loop, replaced, must neither react twice nor linger)."""
        if self._unregister is not None:
            self._unregister()
            self._unregister = None
        task, self._task = self._task, None
        if task is None or task.done():
            return
        loop = task.get_loop()
        if loop.is_closed():
            return  # it can never run again
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is running:
            task.cancel()
        else:
            loop.call_soon_threadsafe(task.cancel)

    @property
    def layer_down(self) -> bool:
        return self.supported and not self.layer.connected

    async def probe(self) -> bool:
        """Whether the layer reaches Redis, asked now (one PING per shard, at most
        ``PROBE_TIMEOUT`` seconds); concurrent callers share one probe."""
        if not hasattr(self.layer, "probe"):
            return not self.layer_down
        if self._probing is None or self._probing.done():
            self._probing = asyncio.ensure_future(self.layer.probe(PROBE_TIMEOUT))
        try:
            return bool(await asyncio.shield(self._probing))
        except Exception:
            logger.exception("rtcpool: probing the channel layer failed")
            return not self.layer_down

    async def reconnected(self) -> None:
        self._down_since = None
        self._stopped.clear()
        logger.info("rtcpool: the channel layer is back; restoring groups and rosters")
        await restore_groups(self.connections)
        await repair_rosters(self.connections)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, rtcpool_settings.LAYER_OUTAGE_GRACE / 4))
            if not self.layer.connected or not self.connections:
                # Down: nothing else may be left to see Redis return. Idle: no reader is
                # there to see it go.
                await self.probe()
            if self.layer.connected:
                self._down_since = None
                continue
            if self._down_since is None:
                self._down_since = loop.time()
            elif loop.time() - self._down_since > rtcpool_settings.LAYER_OUTAGE_GRACE:
                await self.give_up()
                self._down_since = loop.time()  # closed: next time, count afresh

    async def give_up(self) -> None:
        """Stop and close every socket of this worker; their consumers remove their peers."""
        self._stopped &= self.connections.keys()
        consumers = [c for ch, c in self.connections.items() if ch not in self._stopped]
        self._stopped.update(c.channel_name for c in consumers)
        if consumers:
            logger.error(
                "rtcpool: channel layer unreachable for over %.0f s; closing %d socket(s)",
                rtcpool_settings.LAYER_OUTAGE_GRACE,
                len(consumers),
            )
        for consumer in consumers:
            try:
                await consumer.stop(code=CLOSE_LAYER_LOST)
            except Exception:
                logger.exception("rtcpool: could not close %s", consumer.channel_name)
