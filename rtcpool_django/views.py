"""HTTP views: the ICE servers (STUN, and TURN with a fresh credential) a page passes to
``RTCPeerConnection`` before it joins a pool and this worker's health for a load balancer
(both routed by ``rtcpool_django.urls``), and the Prometheus metrics of this worker
(:func:`metrics`, which a site routes itself)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import ice, pools, tokens
from . import metrics as worker_metrics
from .conf import rtcpool_settings
from .database import run_in_health_thread
from .heartbeat import heartbeat
from .policy import http_scope
from .protocol import REASONS, ProtocolError, check_pool_name

# The view's refusals, shaped as rtc:error's data ({message, reason}) under "error".
METHOD_NOT_ALLOWED = "method_not_allowed"


# What a refused ``?pool=`` answers: the pool is not there to join (no such pool, or one
# that is closed or private to others) or it is, but not for you.
REFUSAL_STATUS = {
    "pool_not_found": 404,
    "pool_closed": 404,
    "forbidden": 403,
    "token_required": 403,
    "token_invalid": 403,
    "token_expired": 403,
}


@never_cache  # a credential is per request and must not sit in a shared cache
def ice_servers(request: HttpRequest) -> JsonResponse:
    """``GET [?pool=<name>][&token=<join token>]`` -> ``{"iceServers": [...]}`` for
    ``RTCPeerConnection``.

    ``ISSUE_TURN_CREDENTIALS`` decides who may have them; the default gives them to whoever
    may join the pool, the holder of a join token for it included. When it refuses a
    request that names a pool, the answer is the reason a join of that pool would get
    (:func:`rtcpool_django.pools.join_refusal`): 404 ``pool_not_found`` (no such pool and
    none may be created, or a private pool refusing you), 404 ``pool_closed``, 403
    ``forbidden`` or ``token_required``; any other refusal is 403 ``forbidden``. A bad or
    expired token answers 403 ``token_invalid`` / ``token_expired``, a bad ``pool`` 400
    ``invalid_pool_name``, any method but GET 405. The TURN username is ``<expiry>:<id>``,
    ``<id>`` being the pk of the user signed in (or of the one the token names) and a
    random token otherwise, so coturn's log tells whose relay it is without naming anyone.
    """
    if request.method != "GET":
        response = _error(405, METHOD_NOT_ALLOWED, "Only GET is allowed here.")
        response["Allow"] = "GET"
        return response
    pool = request.GET.get("pool")
    if pool is not None:
        try:
            check_pool_name(pool, rtcpool_settings.MAX_POOL_NAME_LENGTH)
        except ProtocolError as error:
            return _error(400, error.reason, error.message)
    token, claim = request.GET.get(tokens.QUERY_PARAMETER), None
    if token:
        # A broken token is said to be one (as rtc:join would), not just "forbidden".
        try:
            claim = tokens.read(token)
        except tokens.TokenError as error:
            return _error(403, error.reason)
    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    if not rtcpool_settings.ISSUE_TURN_CREDENTIALS(request, user, pool):
        if pool is not None:
            reason = pools.join_refusal(pool, scope=http_scope(request), user=user)
            if reason is not None:
                return _error(REFUSAL_STATUS[reason], reason)
        return _error(403, "forbidden", "You are not allowed to have ICE servers here.")
    # The relay is that of the user the token names, as the peer will be.
    holder = None
    if claim is not None and claim.user_id is not None:
        holder = claim.user_id.replace(ice.SEPARATOR, "_")
    servers = ice.ice_servers(
        stun_urls=rtcpool_settings.STUN_URLS,
        turn_urls=rtcpool_settings.TURN_URLS,
        secret=rtcpool_settings.TURN_SECRET,
        user_id=credential_id(user) if holder is None else holder,
        ttl=rtcpool_settings.TURN_CREDENTIAL_TTL,
        now=time.time(),
    )
    return JsonResponse({"iceServers": servers})


@never_cache  # each scrape must reach the worker: a cached answer is a stale counter
def metrics(request: HttpRequest) -> HttpResponse:
    """``GET`` -> this worker's metrics in Prometheus' text format (every process writing
    to ``PROMETHEUS_MULTIPROC_DIR`` in multiprocess mode). 404 when metrics are off
    (``RTCPOOL["METRICS"]`` false, or ``prometheus-client`` not installed); any method but
    GET 405. Route it where only your Prometheus can reach it."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    if not worker_metrics.enabled:
        return HttpResponse(
            "Metrics are off: install prometheus-client and keep RTCPOOL['METRICS'] true.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    body, content_type = worker_metrics.exposition()
    return HttpResponse(body, content_type=content_type)


#: Seconds each check of :func:`health` may take before it counts as down.
HEALTH_TIMEOUT = 2.0
OK, DOWN = "ok", "down"


@never_cache  # a balancer must see this worker's state now, not a cached one
async def health(request: HttpRequest) -> JsonResponse:
    """``GET`` (or ``HEAD``) -> 200 ``{"database": "ok", "channel_layer": "ok"}`` when this
    worker can serve joins, else 503 with ``"down"`` for what is not; any other method 405.

    Cheap enough to be asked every second: a ``SELECT 1`` on the ORM's connection, in a
    thread of its own, and the channel layer's own ``connected`` (which the worker keeps
    up to date, probing Redis while idle) or, for a layer that does not report it, one
    round trip. Each check counts as down past ``HEALTH_TIMEOUT`` seconds. A worker whose
    layer is down answers joins ``unavailable``: the balancer should send users elsewhere.
    """
    if request.method not in ("GET", "HEAD"):
        return JsonResponse(
            {"error": {"reason": METHOD_NOT_ALLOWED, "message": "Only GET is allowed here."}},
            status=405,
            headers={"Allow": "GET, HEAD"},
        )
    database, layer = await asyncio.gather(
        _within(run_in_health_thread(_select_one)), _within(_layer_answers())
    )
    state = {"database": OK if database else DOWN, "channel_layer": OK if layer else DOWN}
    return JsonResponse(state, status=200 if database and layer else 503)


async def _within(check: Any) -> bool:
    """Whether ``check`` (an awaitable) ends within HEALTH_TIMEOUT without raising."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            result = await check
    except Exception:
        return False
    return result is not False


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _layer_answers() -> bool:
    layer: Any = get_channel_layer()
    if layer is None:
        return False
    if hasattr(layer, "connected"):  # rtcpool_django.layers.RedisChannelLayer
        watch = heartbeat.outages
        if hasattr(layer, "probe") and not (watch is not None and watch.watching):
            # Nothing in this process keeps ``connected`` current (a WSGI server, an ASGI
            # one before its first connection): ask Redis itself.
            return bool(await layer.probe(HEALTH_TIMEOUT / 2))
        return bool(layer.connected)
    if hasattr(layer, "connection") and hasattr(layer, "ring_size"):  # channels_redis core
        for index in range(layer.ring_size):
            await layer.connection(index).ping()
        return True
    # Others (the pub/sub layer publishes it to nobody): a send it accepts, or refuses as
    # full, reached the backend.
    with contextlib.suppress(ChannelFull):
        await layer.send("rtcpool.health", {"type": "rtcpool.health"})
    return True


def credential_id(user: Any) -> str:
    """The ``<id>`` of a TURN username: the signed-in user's pk, else a random token."""
    if user is not None:
        # coturn splits the username at ":"; a string pk could hold one.
        return str(user.pk).replace(ice.SEPARATOR, "_")
    return secrets.token_hex(8)


def _error(status: int, reason: str, message: str | None = None) -> JsonResponse:
    message = message or REASONS.get(reason, reason)
    return JsonResponse({"error": {"reason": reason, "message": message}}, status=status)
