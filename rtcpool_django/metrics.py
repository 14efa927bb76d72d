"""Prometheus metrics of this worker process (``pip install rtcpool-django[metrics]``).

The counting sites in the app call the instruments bound here: with ``prometheus-client``
installed and ``RTCPOOL["METRICS"]`` true they are ``prometheus_client`` instruments in its
default registry; otherwise they are no-ops, so the app runs the same without the package.
The live state (connections, peers, pools held) is not counted event by event: a collector
reads it from :data:`rtcpool_django.registry.registry` when Prometheus scrapes.

Every name, label and unit is listed in ``docs/reference/metrics.rst``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from channels.layers import get_channel_layer
from django.core.signals import setting_changed
from django.dispatch import receiver

from .conf import rtcpool_settings
from .protocol import REASONS, ProtocolError
from .registry import registry
from .signals import peer_left

try:
    import prometheus_client
except ImportError:  # the optional extra is not installed: every instrument is a no-op
    prometheus_client = None  # type: ignore[assignment]

#: One relay send in SEND_SAMPLE is timed (a power of two: the test is a bit mask).
SEND_SAMPLE = 16

JOIN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WEBHOOK_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    3600.0,
)
SEND_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
)  # fmt: skip
#: Results of a join attempt that exist from the start (at 0), so that ``rate()`` sees the
#: first one; any other reason gets its series when it first happens.
JOIN_RESULTS = (
    "joined",
    "already_joined",
    "pool_not_found",
    "pool_full",
    "pool_closed",
    "forbidden",
    "unavailable",
    "server_error",
)


class _Noop:
    """Stands in for every instrument when metrics are off."""

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass

    def labels(self, *args: Any, **kwargs: Any) -> _Noop:
        return self


NOOP = _Noop()


def available() -> bool:
    """Whether ``prometheus-client`` is installed."""
    return prometheus_client is not None


def multiprocess() -> bool:
    """Whether prometheus-client runs in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# The instruments the app counts with: NOOP until configure() binds the real ones.
relays: Any = NOOP
joins: dict[str, Any] = {}
errors: dict[str, Any] = {}
notices_refused: Any = NOOP
evictions: Any = NOOP
prunes: Any = NOOP
join_seconds: Any = NOOP
layer_send_seconds: Any = NOOP
webhooks_delivered: Any = NOOP
webhooks_failed: Any = NOOP
webhook_attempts_failed: Any = NOOP
webhook_delivery_seconds: Any = NOOP
webhooks_pending_gauge: Any = None
enabled = False
_sends = 0
_built: dict[str, Any] | None = None


def _build() -> dict[str, Any]:
    """Create and register the instruments, once per process."""
    global _built
    if _built is not None:
        return _built
    assert prometheus_client is not None
    from prometheus_client import Counter, Histogram

    join_counter = Counter(
        "rtcpool_joins", "Join attempts by result: joined, or the refusal reason.", ["result"]
    )
    error_counter = Counter("rtcpool_errors", "rtc:error frames sent, by reason.", ["reason"])
    _built = {
        "relays": Counter("rtcpool_relays", "rtc:sdp and rtc:candidate frames relayed."),
        "joins": join_counter,
        "errors": error_counter,
        "join_children": {result: join_counter.labels(result) for result in JOIN_RESULTS},
        "error_children": {reason: error_counter.labels(reason) for reason in REASONS},
        "notices_refused": Counter(
            "rtcpool_notices_refused",
            "Notices the channel layer still refused when their delivery time ran out.",
        ),
        "evictions": Counter(
            "rtcpool_evictions", "Peers removed because their channel stayed full."
        ),
        "prunes": Counter(
            "rtcpool_prunes", "Peers removed by the heartbeat: of dead workers, or orphans."
        ),
        "join_seconds": Histogram(
            "rtcpool_join_seconds",
            "Seconds from a join frame to rtc:joined (successful joins).",
            buckets=JOIN_BUCKETS,
        ),
        "layer_send_seconds": Histogram(
            "rtcpool_layer_send_seconds",
            f"Seconds of one channel-layer send of a relay (1 in {SEND_SAMPLE} is timed).",
            buckets=SEND_BUCKETS,
        ),
        "webhooks_delivered": Counter(
            "rtcpool_webhooks_delivered", "Webhook events delivered (a 2xx answer)."
        ),
        "webhooks_failed": Counter(
            "rtcpool_webhooks_failed",
            "Webhook events given up on past WEBHOOK_RETRY_HORIZON (kept as failed).",
        ),
        "webhook_attempts_failed": Counter(
            "rtcpool_webhook_attempts_failed",
            "Webhook delivery attempts that failed (an error, a timeout, a non-2xx answer).",
        ),
        "webhook_delivery_seconds": Histogram(
            "rtcpool_webhook_delivery_seconds",
            "Seconds from a webhook event's commit to its delivery, retries included.",
            buckets=WEBHOOK_BUCKETS,
        ),
        # Read from the outbox by each sender when it goes idle: every worker sees the
        # same table, so multiprocess mode reports the largest (the latest) reading.
        "webhooks_pending": prometheus_client.Gauge(
            "rtcpool_webhooks_pending",
            "Webhook events in the outbox not yet delivered (nor failed for good).",
            multiprocess_mode="max",
        ),
    }
    if multiprocess():
        # A collector answers for the process that is scraped only; in multiprocess mode
        # each worker writes its own gauges (at every heartbeat) and the scrape sums them.
        _built["gauges"] = {
            name: prometheus_client.Gauge(
                name,
                text,
                multiprocess_mode="livemin" if name == LAYER_UP else "livesum",
            )
            for name, text in _GAUGES.items()
        }
    else:
        prometheus_client.REGISTRY.register(LiveCollector())
    return _built


def configure() -> None:
    """Bind the instruments per ``RTCPOOL["METRICS"]``; run at startup and when it changes."""
    global relays, joins, errors, notices_refused, evictions, prunes
    global join_seconds, layer_send_seconds, enabled
    global webhooks_delivered, webhooks_failed, webhook_attempts_failed
    global webhook_delivery_seconds, webhooks_pending_gauge
    enabled = bool(rtcpool_settings.METRICS) and available()
    if not enabled:
        relays = notices_refused = evictions = prunes = NOOP
        join_seconds = layer_send_seconds = NOOP
        webhooks_delivered = webhooks_failed = webhook_attempts_failed = NOOP
        webhook_delivery_seconds, webhooks_pending_gauge = NOOP, None
        joins, errors = {}, {}
        return
    built = _build()
    relays, notices_refused = built["relays"], built["notices_refused"]
    evictions, prunes = built["evictions"], built["prunes"]
    join_seconds, layer_send_seconds = built["join_seconds"], built["layer_send_seconds"]
    joins, errors = built["join_children"], built["error_children"]
    webhooks_delivered, webhooks_failed = built["webhooks_delivered"], built["webhooks_failed"]
    webhook_attempts_failed = built["webhook_attempts_failed"]
    webhook_delivery_seconds = built["webhook_delivery_seconds"]
    webhooks_pending_gauge = built["webhooks_pending"]


@receiver(setting_changed)
def _reconfigure(*, setting: str, **kwargs: Any) -> None:
    # conf's receiver (connected first: this module imports conf) has reloaded the settings.
    if setting == "RTCPOOL":
        configure()


# --- what the counting sites call --------------------------------------------------------


def send_started() -> float:
    """The start time of a relay send that is sampled, else 0.0 (cheap: a counter)."""
    global _sends
    if not enabled:
        return 0.0
    _sends += 1
    if _sends & (SEND_SAMPLE - 1):
        return 0.0
    return time.perf_counter()


def relayed(started: float) -> None:
    """A relay was handed to the channel layer; ``started`` is :func:`send_started`'s."""
    relays.inc()
    if started:
        layer_send_seconds.observe(time.perf_counter() - started)


def error_sent(reason: str) -> None:
    """An ``rtc:error`` with ``reason`` went to a client."""
    if enabled:
        child = errors.get(reason)
        (child if child is not None else _built["errors"].labels(reason)).inc()  # type: ignore[index]


def _join_result(result: str) -> None:
    if enabled:
        child = joins.get(result)
        (child if child is not None else _built["joins"].labels(result)).inc()  # type: ignore[index]


@contextmanager
def join_attempt() -> Iterator[None]:
    """Count a join attempt by result, and time it when it succeeds."""
    started = time.perf_counter()
    try:
        yield
    except ProtocolError as error:
        _join_result(error.reason)
        raise
    except Exception:
        _join_result("server_error")
        raise
    _join_result("joined")
    join_seconds.observe(time.perf_counter() - started)


def webhook_delivered(event: Any) -> None:
    """A webhook event was delivered; its latency runs from its commit to now."""
    webhooks_delivered.inc()
    if enabled and event.delivered is not None:
        webhook_delivery_seconds.observe((event.delivered - event.created).total_seconds())


def webhook_attempt_failed() -> None:
    """One delivery attempt failed (the event is retried or given up)."""
    webhook_attempts_failed.inc()


def webhook_failed() -> None:
    """An event was given up on past the retry horizon."""
    webhooks_failed.inc()


def webhooks_pending(count: int) -> None:
    """The outbox held ``count`` undelivered events when last read."""
    if webhooks_pending_gauge is not None:
        webhooks_pending_gauge.set(count)


@receiver(peer_left)
def _count_removal(*, reason: str, **kwargs: Any) -> None:
    # membership.remove sends peer_left for each peer removed; evictions and prunes are the
    # removals by the server itself.
    if reason == "unavailable":
        evictions.inc()
    elif reason == "pruned":
        prunes.inc()


# --- live state, read when scraped -------------------------------------------------------

_GAUGES = {
    "rtcpool_connections": "Open WebSocket connections of this worker process.",
    "rtcpool_peers": "Peers joined through this worker process.",
    "rtcpool_pools": "Pools with at least one peer joined through this worker process.",
    "rtcpool_channel_layer_up": "1 while this worker's channel layer reaches Redis, else 0.",
}
# Summed over processes in multiprocess mode, except the layer's state: the minimum, so 0
# when any live worker's layer is down.
LAYER_UP = "rtcpool_channel_layer_up"


def live_state() -> dict[str, int]:
    """Connections, peers and pools held by this process, from its registry, and whether
    its channel layer is up (only with a layer that reports it, as ours does)."""
    consumers = list(registry.connections.values())
    joined = [c for c in consumers if c.peer_id is not None]
    state = {
        "rtcpool_connections": len(consumers),
        "rtcpool_peers": len(joined),
        "rtcpool_pools": len({c.pool_id for c in joined}),
    }
    layer: Any = get_channel_layer()
    if hasattr(layer, "connected") and hasattr(layer, "on_reconnect"):
        state[LAYER_UP] = 1 if layer.connected else 0
    return state


class LiveCollector:
    """Reports :func:`live_state` at scrape time (single-process mode)."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        if not enabled:
            return
        for name, value in live_state().items():
            yield GaugeMetricFamily(name, _GAUGES[name], value=value)

    def describe(self) -> list[Any]:
        # Registering must not call collect(): it reads the registry of a running server.
        return []


def refresh_gauges() -> None:
    """Write :func:`live_state` to the multiprocess gauges (the heartbeat calls this)."""
    if enabled and multiprocess() and _built is not None:
        for name, value in live_state().items():
            _built["gauges"][name].set(value)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and their content type.

    In multiprocess mode, the sum over every process writing to ``PROMETHEUS_MULTIPROC_DIR``.
    """
    assert prometheus_client is not None
    registry: Any = prometheus_client.REGISTRY
    if multiprocess():
        from prometheus_client import CollectorRegistry
        from prometheus_client import multiprocess as mp

        refresh_gauges()
        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
    return prometheus_client.generate_latest(registry), prometheus_client.CONTENT_TYPE_LATEST
