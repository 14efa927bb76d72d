"""The WebSocket side of ssp v2: parse a frame, call :mod:`rtcpool_django.pools`, send.

Subclass :class:`PoolConsumer` to carry a site's own events on the same socket: frames
whose type does not start with ``rtc:`` go to :meth:`PoolConsumer.receive_custom`, and
messages a site sends to ``pool.group_name`` reach handlers it defines, as usual in
Channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.typing import WebSocketDisconnectEvent
from channels.consumer import get_handler_name
from channels.exceptions import ChannelFull, StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import gc_freeze, messages, metrics, pools, protocol
from .conf import rtcpool_settings
from .delivery import retry
from .heartbeat import heartbeat
from .protocol import Candidate, Join, ProtocolError, Sdp
from .registry import registry
from .throttle import TokenBucket

logger = logging.getLogger("rtcpool_django")

# Closing codes in the 4000-4999 range WebSocket leaves to applications.
CLOSE_KICKED = 4001

# What an ASGI server's send raises once the client has gone (ASGI says an OSError;
# daphne raises autobahn's Disconnected: "Attempt to send on a closed protocol").
CLIENT_GONE: tuple[type[BaseException], ...] = (OSError,)
try:
    from autobahn.exception import Disconnected
except ImportError:  # pragma: no cover - not served by daphne
    pass
else:
    CLIENT_GONE = (OSError, Disconnected)


class PoolConsumer(AsyncJsonWebsocketConsumer):
    """One browser's signalling connection; it joins at most one pool."""

    peer_id: str | None = None
    pool_id: int | None = None
    group_name: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, _unless_gone(send))
        except asyncio.CancelledError:
            # daphne stops on SIGTERM by cancelling every consumer and waiting on an
            # asyncio.gather() of them, which returns as soon as the first one ends
            # cancelled: the process would exit while the others are still telling their
            # pools that they left. So depart in full and then end normally.
            await _finish(self._depart())
            task = asyncio.current_task()
            if task is not None:  # always true inside a coroutine the loop runs
                task.uncancel()
        except BaseException:
            # Whatever else ends the connection (the channel layer failing in the receive
            # loop, a bug in a handler) must not leave a ghost peer that its pool keeps
            # negotiating with: depart, then let the server see the error (close 1011).
            await _finish(self._depart())
            raise
        else:
            await self._depart()
        finally:
            # Nothing reads this channel any more: what is still sent to it (notices that
            # crossed the departure) need not wait in the layer until it expires.
            close_channel = getattr(getattr(self, "channel_layer", None), "close_channel", None)
            if close_channel is not None and getattr(self, "channel_name", None):
                close_channel(self.channel_name)

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:
        # Building the ASGI application means a server is starting: beat from now on,
        # connections or not; and what is alive now lives as long as the process.
        heartbeat.serve()
        gc_freeze.freeze_once()
        return super().as_asgi(**initkwargs)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch hops to a thread (close_old_connections) for every message;
        # the relay path needs no database, and pools' database calls clean up themselves.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            logger.warning("rtcpool: no handler for channel message %r", message.get("type"))
            return
        await handler(message)

    # --- connection lifecycle ------------------------------------------------------------

    async def connect(self) -> None:
        self.roster: dict[str, str] = {}
        # When each roster entry was added (loop time), and when this peer joined: the
        # roster repair must not undo a notice that arrived after its database read.
        self.roster_since: dict[str, float] = {}
        self.joined_at = 0.0
        # Peers this connection heard leave (bounded): a late repair must not bring back
        # one that came and went.
        self.gone: dict[str, None] = {}
        # rtc:describe that raced ahead of the rtcpool.peer notice of the same peer.
        self.early_descriptions: dict[str, Any] = {}
        self.bucket = TokenBucket(
            rtcpool_settings.RATE_LIMIT_PER_SECOND, rtcpool_settings.RATE_LIMIT_BURST
        )
        await heartbeat.connected(self.channel_name, self)
        self._counted = True
        await self.accept()

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        # Channels' own also hops to a thread for close_old_connections, for every closed
        # socket: a tenth of a worker's time when half a pool's peers leave at once. The
        # pools' database calls clean up after themselves (as in dispatch, above).
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        await self._depart()

    async def _depart(self) -> None:
        try:
            await self._leave_pool()
        finally:
            # After leaving: until then the heartbeat must not take the row for an orphan.
            if getattr(self, "_counted", False):
                self._counted = False
                heartbeat.disconnected(self.channel_name)

    async def _leave_pool(self) -> None:
        peer_id, self.peer_id = self.peer_id, None
        if peer_id is not None:
            # Leave first: the others hearing rtc:close matters more than the group entry,
            # which the layer expires by itself if discarding it fails.
            try:
                await pools.aleave(peer_id)
            except Exception:
                # The database failing too: the heartbeat's prune removes the row once
                # this worker is gone; while it lives, the next departure attempt is the
                # worker's shutdown (forget_worker).
                logger.exception("rtcpool: could not remove peer %s", peer_id)
        # Also after a kick or rtc:stop (peer_id already None): the group must not keep
        # sending a site's group messages to a closed channel.
        group_name, self.group_name = self.group_name, None
        self.pool_id, self.roster, self.roster_since = None, {}, {}
        if group_name:
            try:
                await self.channel_layer.group_discard(group_name, self.channel_name)
            except Exception as exc:  # the layer failing: the entry expires by itself
                logger.warning("rtcpool: group_discard of %s failed: %r", self.channel_name, exc)

    # --- frames from the client ----------------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            if text_data is None:
                raise ProtocolError("binary_frame")
            if not self.bucket.take():
                raise ProtocolError("rate_limited")
            event = protocol.parse(
                text_data,
                max_bytes=rtcpool_settings.MAX_FRAME_BYTES,
                max_pool_name_length=rtcpool_settings.MAX_POOL_NAME_LENGTH,
            )
            if isinstance(event, Sdp):
                data = protocol.sdp(self._joined_peer_id(), event.description)
                await self.relay(event.to, "rtc:sdp", data)
            elif isinstance(event, Candidate):
                data = protocol.candidate(self._joined_peer_id(), event.candidate)
                await self.relay(event.for_, "rtc:candidate", data)
            elif isinstance(event, Join):
                with metrics.join_attempt():
                    await self.join(event.pool)
            else:
                await self.receive_custom(event.type, event.data)
        except ProtocolError as error:
            metrics.error_sent(error.reason)
            await self.send_event("rtc:error", protocol.error(error.reason, error.message))
        except Exception:
            # One bad frame must not take the connection (or the worker) down.
            logger.exception("rtcpool: failed to handle a frame from %s", self.channel_name)
            metrics.error_sent("server_error")
            await self.send_event("rtc:error", protocol.error("server_error"))

    async def receive_custom(self, event_type: str, data: Any) -> None:
        """Handle a frame whose type does not start with ``rtc:``; ignored by default."""

    async def join(self, requested: str) -> None:
        if self.peer_id is not None:
            raise ProtocolError("already_joined")
        outages = heartbeat.outages
        if outages and outages.layer_down and not await outages.probe():
            # Nobody could be told of this peer, nor it of anyone's departure. (Probed
            # first: Redis may be back before any reader or the watch has seen it.)
            raise ProtocolError("unavailable")
        joined = await pools.ajoin(
            requested, channel_name=self.channel_name, worker=registry.worker_id, scope=self.scope
        )
        self.peer_id, self.pool_id, self.group_name = (
            joined.peer_id,
            joined.pool_id,
            joined.group_name,
        )
        self.roster = joined.roster
        self.joined_at = asyncio.get_running_loop().time()
        self.roster_since = dict.fromkeys(self.roster, self.joined_at)
        try:
            await retry(
                lambda: self.channel_layer.group_add(joined.group_name, self.channel_name),
                what=f"group_add of {self.channel_name}",
            )
        except Exception:
            # Joined in the database but not reachable through the pool's group: undo the
            # join rather than leave a peer that site events never reach.
            await self._leave_pool()
            raise ProtocolError("unavailable") from None
        peers = list(joined.roster)
        await self.send_event(
            "rtc:joined",
            protocol.joined(joined.peer_id, peers, joined.descriptions, joined.pool_name),
        )

    def _joined_peer_id(self) -> str:
        if self.peer_id is None:
            raise ProtocolError("not_joined")
        return self.peer_id

    async def relay(self, to: str, event_type: str, data: dict[str, Any]) -> None:
        """The hot path: roster lookup and one channel-layer send, no database."""
        if self.peer_id is None:
            raise ProtocolError("not_joined")
        channel = self.roster.get(to)
        if channel is None:
            raise ProtocolError("unknown_peer", f"No peer {to!r} is in your pool.")
        message = messages.relay(self.peer_id, protocol.encode(event_type, data))
        started = metrics.send_started()
        try:
            await self.channel_layer.send(channel, message)
        except Exception as exc:
            # ChannelFull, or the layer failing (Redis unreachable, no free connection):
            # the sender is told, and may send again.
            if not isinstance(exc, ChannelFull):
                logger.debug("rtcpool: relay to %s failed: %r", channel, exc)
            raise ProtocolError(
                "peer_unavailable", f"Peer {to!r} is not taking messages; {event_type} not sent."
            ) from None
        metrics.relayed(started)

    async def send_event(self, event_type: str, data: dict[str, Any]) -> None:
        await self.send(text_data=protocol.encode(event_type, data))

    # --- messages from the channel layer -------------------------------------------------

    async def rtcpool_notices(self, message: dict[str, Any]) -> None:
        """Several notices of one delivery (rtcpool_django.delivery), in their order."""
        for notice in message["messages"]:
            await self.dispatch(notice)

    async def rtcpool_relay(self, message: dict[str, Any]) -> None:
        # A sender this peer was told has left must not reach it: the client would throw.
        if message["from"] in self.roster:
            await self.send(text_data=message["text"])

    async def rtcpool_peer(self, message: dict[str, Any]) -> None:
        peer_id = message["id"]
        if message["pool"] != self.pool_id or peer_id == self.peer_id or peer_id in self.roster:
            return
        if peer_id in self.gone:  # its departure overtook this notice (another sender)
            return
        await self._add_peer(peer_id, message["channel"], message["description"])

    async def _add_peer(self, peer_id: str, channel: str, description: Any) -> None:
        self.roster[peer_id] = channel
        self.roster_since[peer_id] = asyncio.get_running_loop().time()
        await self.send_event("rtc:peer", protocol.peer(peer_id))
        description = self.early_descriptions.pop(peer_id, description)
        if description is not None:
            # rtc:peer has no description field; without this the impolite side would
            # never learn a description set before it heard of the peer.
            await self.send_event("rtc:describe", protocol.describe(peer_id, description))

    async def rtcpool_leave(self, message: dict[str, Any]) -> None:
        peer_id = message["id"]
        if message["pool"] != self.pool_id:
            return
        await self._remove_peer(peer_id)

    async def _remove_peer(self, peer_id: str) -> None:
        self.early_descriptions.pop(peer_id, None)
        self.gone[peer_id] = None
        if len(self.gone) > 1000:
            del self.gone[next(iter(self.gone))]
        self.roster_since.pop(peer_id, None)
        if self.roster.pop(peer_id, None) is not None:
            await self.send_event("rtc:close", protocol.close(peer_id))

    async def rtcpool_sync(self, message: dict[str, Any]) -> None:
        """The worker's roster repair (:mod:`rtcpool_django.recovery`): peers this
        connection missed, and departures it missed."""
        if message["pool"] != self.pool_id:
            return
        for peer_id in message["close"]:
            await self._remove_peer(peer_id)
        for peer_id, (channel, description) in message["add"].items():
            if peer_id != self.peer_id and peer_id not in self.roster and peer_id not in self.gone:
                await self._add_peer(peer_id, channel, description)

    async def rtcpool_describe(self, message: dict[str, Any]) -> None:
        peer_id = message["id"]
        if message["pool"] != self.pool_id or peer_id == self.peer_id:
            return
        if peer_id in self.roster:
            await self.send_event(
                "rtc:describe", protocol.describe(peer_id, message["description"])
            )
        elif len(self.early_descriptions) < 1000:
            self.early_descriptions[peer_id] = message["description"]

    async def rtcpool_stop(self, message: dict[str, Any]) -> None:
        if message["pool"] != self.pool_id or self.peer_id is None:
            return
        self.peer_id = None  # the pool's rows are already gone
        await self.send_event("rtc:stop", protocol.stop())
        await self.close()

    async def rtcpool_kick(self, message: dict[str, Any]) -> None:
        if message["id"] != self.peer_id:
            return
        self.peer_id = None  # the row is already gone
        await self.stop(code=CLOSE_KICKED)

    async def stop(self, code: int) -> None:
        """Send ``rtc:stop`` and close the socket with ``code``; the peer leaves its pool.

        rtc:stop first: the RTCPool client tears its connections down on it, while a bare
        close leaves it holding peer connections it thinks are live.
        """
        await self.send_event("rtc:stop", protocol.stop())
        await self.close(code=code)


def _unless_gone(send: Callable[[dict[str, Any]], Awaitable[None]]) -> Any:
    """``send`` that drops a message for a client that has already closed.

    A frame of the client can still be in hand when it closes (an rtc:error to answer, a
    relay to forward): that is a normal end, and its queued ``websocket.disconnect``
    departs. Raised, it would end the consumer with a traceback (channels issue #1820).
    """

    async def guarded(message: dict[str, Any]) -> None:
        try:
            await send(message)
        except CLIENT_GONE as exc:
            logger.debug("rtcpool: %s to a closed client dropped: %r", message["type"], exc)

    return guarded


async def _finish(awaitable: Awaitable[None]) -> None:
    """Await to the end even if cancelled again meanwhile (daphne cancels a consumer a
    second time when it outlives its application close timeout)."""
    task = asyncio.ensure_future(awaitable)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                break
    task.result()
