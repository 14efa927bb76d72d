"""The one ``RTCPOOL`` settings dict: defaults, validation, import strings.

Read settings through :data:`rtcpool_settings` (``rtcpool_settings.MAX_FRAME_BYTES``). It is
re-read when ``settings.RTCPOOL`` changes (``override_settings`` in tests), in the same way
as Django REST framework's ``api_settings``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

#: Every ``RTCPOOL`` key with its default; a key not listed here is an error (rtcpool.E001).
DEFAULTS: dict[str, Any] = {
    # Joining a pool that does not exist creates it (unless the name resolves to nothing).
    "AUTO_CREATE_POOLS": True,
    # max_peers given to auto-created pools; None means unlimited.
    "DEFAULT_MAX_PEERS": None,
    # Pool.access of auto-created pools: "public", "authenticated", "members" or "token".
    # Public lets anyone who can guess a name in: rtcpool.W004 says so when DEBUG is off.
    "DEFAULT_ACCESS": "public",
    # Largest accepted text frame, in bytes of UTF-8.
    "MAX_FRAME_BYTES": 64 * 1024,
    # Longest accepted pool name, in characters (the Pool.name column holds 255).
    "MAX_POOL_NAME_LENGTH": 200,
    # Token bucket per connection: sustained frames per second, and the burst above it.
    "RATE_LIMIT_PER_SECOND": 50.0,
    "RATE_LIMIT_BURST": 400,
    # Each worker process writes one heartbeat per interval; a worker silent for longer
    # than WORKER_TIMEOUT is dead and its peers are removed (rtc:close to the others).
    "HEARTBEAT_INTERVAL": 10.0,
    "WORKER_TIMEOUT": 30.0,
    # A notice (peer joined or left, description, pool stopped) that the channel layer
    # refuses because a queue is full is offered again for this many seconds before its
    # peer is evicted: a burst is not a fault.
    "DELIVERY_TIMEOUT": 5.0,
    # With rtcpool_django.layers.RedisChannelLayer, sockets stay open while Redis is
    # unreachable for up to this many seconds; past it they are closed with 1012 (service
    # restart) and their peers removed, so clients rejoin.
    "LAYER_OUTAGE_GRACE": 10.0,
    # Threads per worker process that run the ORM work of joins and departures (each holds
    # its own database connection); Channels' default would be one per process.
    "DATABASE_THREADS": 4,
    # Policy hooks, as import strings (see rtcpool_django.policy for the signatures).
    "RESOLVE_POOL_NAME": "rtcpool_django.policy.resolve_pool_name",
    "ADMIT_PEER": "rtcpool_django.policy.admit_peer",
    "INITIAL_DESCRIPTION": "rtcpool_django.policy.initial_description",
    # ICE servers answered by rtcpool_django.views.ice_servers. STUN URLs ("stun:host:3478")
    # go out as they are; TURN URLs ("turn:host:3478?transport=udp", "turns:...") go out
    # with a credential minted from TURN_SECRET, coturn's static-auth-secret, valid for
    # TURN_CREDENTIAL_TTL seconds (a day, as the TURN REST API draft suggests: a browser
    # re-authenticates with it when it refreshes its allocation, so it must outlive calls).
    "STUN_URLS": (),
    "TURN_URLS": (),
    "TURN_SECRET": None,
    "TURN_CREDENTIAL_TTL": 86400,
    # Who may have the ICE servers (policy hook, like ADMIT_PEER).
    "ISSUE_TURN_CREDENTIALS": "rtcpool_django.policy.issue_turn_credentials",
    # Prometheus metrics (rtcpool_django.metrics), recorded when prometheus-client is
    # installed; False makes every counting site a no-op.
    "METRICS": True,
    # When the ASGI application is built, collect and freeze what is alive for the garbage
    # collector, once per process (rtcpool_django.gc_freeze).
    "GC_FREEZE": True,
    # Attendance history (rtcpool_django.history): one Stay row per stay of a peer in a
    # pool and one Call row per call, written in the transaction of the join or departure.
    "HISTORY": True,
    # Stays and calls older than this many days are deleted by
    # ``manage.py rtcpool_prune --history``; None keeps them for good.
    "HISTORY_DAYS": 90,
    # Webhook endpoints (rtcpool_django.webhooks), each a dict: "URL", "SECRET" (a
    # Standard Webhooks "whsec_..." secret) and optionally "EVENTS" (the event types it
    # wants; all by default). Needs ``pip install rtcpool-django[webhooks]``.
    "WEBHOOKS": (),
    # Seconds one delivery attempt may take before it counts as failed.
    "WEBHOOK_TIMEOUT": 10.0,
    # A failed attempt is retried after WEBHOOK_RETRY_DELAY seconds, doubling each time up
    # to an hour between attempts, until the event is WEBHOOK_RETRY_HORIZON seconds old;
    # then it is kept as failed (the admin's "retry" action queues it again).
    "WEBHOOK_RETRY_DELAY": 5.0,
    "WEBHOOK_RETRY_HORIZON": 3 * 24 * 3600.0,
    # How often an idle sender looks for events written by other processes (events of its
    # own process wake it at once).
    "WEBHOOK_POLL_INTERVAL": 1.0,
    # Whether each worker process delivers webhooks itself; False when a dedicated
    # ``manage.py rtcpool_webhooks`` process does.
    "WEBHOOK_SENDER_IN_WORKERS": True,
}

IMPORT_STRINGS = frozenset(
    {"RESOLVE_POOL_NAME", "ADMIT_PEER", "INITIAL_DESCRIPTION", "ISSUE_TURN_CREDENTIALS"}
)

POOL_NAME_COLUMN_LENGTH = 255

#: The values of ``Pool.access`` (``models.Access``), for DEFAULT_ACCESS.
ACCESS_MODES = ("public", "authenticated", "members", "token")


class RTCPoolSettings:
    """Attribute access to ``settings.RTCPOOL`` merged over :data:`DEFAULTS`."""

    def __init__(self, user_settings: dict[str, Any] | None = None) -> None:
        self._explicit = user_settings

    @cached_property
    def user_settings(self) -> dict[str, Any]:
        if self._explicit is not None:
            return self._explicit
        return dict(getattr(settings, "RTCPOOL", None) or {})

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid RTCPOOL setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = _import(name, value)
        # Cache until the next setting_changed; __getattr__ is only hit on a miss.
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in list(self.__dict__):
            if name != "_explicit":
                delattr(self, name)


def _import(key: str, path: str) -> Any:
    # import_string's error names the string only; a site with several hooks needs to
    # know which key holds it (rtcpool.E002 says the same at startup).
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"RTCPOOL[{key!r}] = {path!r} cannot be imported: {exc}"
        ) from exc


#: The settings the app reads: ``rtcpool_settings.MAX_FRAME_BYTES``, hooks already imported.
rtcpool_settings = RTCPoolSettings()


@receiver(setting_changed)
def _reload_rtcpool_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "RTCPOOL":
        rtcpool_settings.reload()
