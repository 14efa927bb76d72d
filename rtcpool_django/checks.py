"""System checks for a misconfigured RTCPOOL dict or channel layer (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import ACCESS_MODES, DEFAULTS, IMPORT_STRINGS, POOL_NAME_COLUMN_LENGTH
from .webhooks import available as webhooks_available
from .webhooks import endpoint_errors

IN_MEMORY_LAYERS = (
    "channels.layers.InMemoryChannelLayer",
    "rtcpool_django.layers.memory.InMemoryChannelLayer",
)
STOCK_REDIS_LAYER = "channels_redis.core.RedisChannelLayer"
OUR_REDIS_LAYER = "rtcpool_django.layers.RedisChannelLayer"
REDIS_LAYERS = (
    STOCK_REDIS_LAYER,
    "channels_redis.pubsub.RedisPubSubChannelLayer",
    OUR_REDIS_LAYER,
)

_POSITIVE_NUMBERS = (
    "MAX_FRAME_BYTES",
    "MAX_POOL_NAME_LENGTH",
    "RATE_LIMIT_PER_SECOND",
    "RATE_LIMIT_BURST",
    "HEARTBEAT_INTERVAL",
    "WORKER_TIMEOUT",
    "DATABASE_THREADS",
    "LAYER_OUTAGE_GRACE",
)


@register(Tags.compatibility)
def check_rtcpool_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    user = getattr(settings, "RTCPOOL", {})
    if not isinstance(user, dict):
        return [Error("RTCPOOL must be a dict.", id="rtcpool.E001")]
    errors = [
        Error(
            f"RTCPOOL has an unknown key {key!r}.",
            hint=f"Known keys: {', '.join(DEFAULTS)}.",
            id="rtcpool.E001",
        )
        for key in user
        if key not in DEFAULTS
    ]
    merged = {**DEFAULTS, **user}
    for key in _POSITIVE_NUMBERS:
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(Error(f"RTCPOOL[{key!r}] must be a positive number.", id="rtcpool.E001"))
    if (
        isinstance(merged["MAX_POOL_NAME_LENGTH"], int)
        and merged["MAX_POOL_NAME_LENGTH"] > POOL_NAME_COLUMN_LENGTH
    ):
        errors.append(
            Error(
                f"RTCPOOL['MAX_POOL_NAME_LENGTH'] must be at most {POOL_NAME_COLUMN_LENGTH}.",
                hint="Pool.name is a column of that length.",
                id="rtcpool.E001",
            )
        )
    delivery = merged["DELIVERY_TIMEOUT"]
    if isinstance(delivery, bool) or not isinstance(delivery, int | float) or delivery < 0:
        errors.append(
            Error(
                "RTCPOOL['DELIVERY_TIMEOUT'] must be a number of seconds >= 0.", id="rtcpool.E001"
            )
        )
    if merged["DEFAULT_ACCESS"] not in ACCESS_MODES:
        errors.append(
            Error(
                f"RTCPOOL['DEFAULT_ACCESS'] must be one of {', '.join(map(repr, ACCESS_MODES))}.",
                id="rtcpool.E001",
            )
        )
    for key in ("METRICS", "GC_FREEZE"):
        if not isinstance(merged[key], bool):
            errors.append(Error(f"RTCPOOL[{key!r}] must be True or False.", id="rtcpool.E001"))
    if not isinstance(merged["DATABASE_THREADS"], int):
        errors.append(Error("RTCPOOL['DATABASE_THREADS'] must be an int.", id="rtcpool.E001"))
    default_max = merged["DEFAULT_MAX_PEERS"]
    if default_max is not None and (not isinstance(default_max, int) or default_max < 1):
        errors.append(
            Error("RTCPOOL['DEFAULT_MAX_PEERS'] must be None or a positive int.", id="rtcpool.E001")
        )
    if _number(merged["WORKER_TIMEOUT"]) <= _number(merged["HEARTBEAT_INTERVAL"]):
        errors.append(
            Error(
                "RTCPOOL['WORKER_TIMEOUT'] must be longer than RTCPOOL['HEARTBEAT_INTERVAL'].",
                hint="Else live workers look dead; use at least twice the interval.",
                id="rtcpool.E001",
            )
        )
    for key in IMPORT_STRINGS:
        value = merged[key]
        if isinstance(value, str):
            try:
                import_string(value)
            except ImportError as exc:
                errors.append(
                    Error(
                        f"RTCPOOL[{key!r}] = {value!r} cannot be imported: {exc}", id="rtcpool.E002"
                    )
                )
        elif not callable(value):
            errors.append(
                Error(
                    f"RTCPOOL[{key!r}] must be an import string or a callable.", id="rtcpool.E002"
                )
            )
    return errors


@register(Tags.security)
def check_access_defaults(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """W004: in production, a join must not create pools that anyone may join."""
    user = getattr(settings, "RTCPOOL", {})
    if settings.DEBUG or not isinstance(user, dict):
        return []
    merged = {**DEFAULTS, **user}
    if merged["AUTO_CREATE_POOLS"] and merged["DEFAULT_ACCESS"] == "public":
        return [
            Warning(
                "Joins create pools that anyone may join: whoever can guess or read a pool "
                "name joins it (RTCPOOL AUTO_CREATE_POOLS on, DEFAULT_ACCESS 'public').",
                hint="Set RTCPOOL['DEFAULT_ACCESS'] to 'token' and issue join tokens "
                "(rtcpool_django.tokens.issue), or to 'authenticated' or 'members'; or set "
                "AUTO_CREATE_POOLS to False and create pools with the access they need.",
                id="rtcpool.W004",
            )
        ]
    return []


@register(Tags.compatibility)
def check_ice_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The STUN/TURN keys: well typed (E001), and TURN URLs and secret together (E005)."""
    user = getattr(settings, "RTCPOOL", {})
    if not isinstance(user, dict):
        return []  # check_rtcpool_settings reports it
    merged = {**DEFAULTS, **user}
    errors = []
    for key, schemes in (("STUN_URLS", ("stun:", "stuns:")), ("TURN_URLS", ("turn:", "turns:"))):
        urls = merged[key]
        if not isinstance(urls, list | tuple) or not all(
            isinstance(url, str) and url.startswith(schemes) for url in urls
        ):
            errors.append(
                Error(
                    f"RTCPOOL[{key!r}] must be a list of URLs starting with "
                    f"{' or '.join(schemes)}.",
                    hint=f'For example ["{schemes[0]}example.com:3478"].',
                    id="rtcpool.E001",
                )
            )
    secret = merged["TURN_SECRET"]
    if secret is not None and (not isinstance(secret, str) or not secret):
        errors.append(
            Error(
                "RTCPOOL['TURN_SECRET'] must be None or a non-empty string.",
                hint="coturn's static-auth-secret.",
                id="rtcpool.E001",
            )
        )
    ttl = merged["TURN_CREDENTIAL_TTL"]
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        errors.append(
            Error("RTCPOOL['TURN_CREDENTIAL_TTL'] must be a positive int.", id="rtcpool.E001")
        )
    has_urls = bool(merged["TURN_URLS"])  # ill-typed URLs are E001's business, not E005's
    if has_urls and not secret:
        errors.append(
            Error(
                "RTCPOOL['TURN_URLS'] is set but RTCPOOL['TURN_SECRET'] is not: pages would get "
                "TURN servers without credentials, and coturn refuses those.",
                hint="Set TURN_SECRET to coturn's static-auth-secret (use-auth-secret).",
                id="rtcpool.E005",
            )
        )
    if secret and not has_urls:
        errors.append(
            Error(
                "RTCPOOL['TURN_SECRET'] is set but RTCPOOL['TURN_URLS'] is empty: no page "
                "would ever get a TURN server.",
                hint='Set TURN_URLS, e.g. ["turn:turn.example.com:3478?transport=udp"].',
                id="rtcpool.E005",
            )
        )
    return errors


@register(Tags.compatibility)
def check_history_and_webhooks(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    user = getattr(settings, "RTCPOOL", {})
    if not isinstance(user, dict):
        return []  # rtcpool.E001
    merged = {**DEFAULTS, **user}
    errors = []
    if not isinstance(merged["HISTORY"], bool):
        errors.append(Error("RTCPOOL['HISTORY'] must be True or False.", id="rtcpool.E001"))
    days = merged["HISTORY_DAYS"]
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int | float) or days <= 0
    ):
        errors.append(
            Error("RTCPOOL['HISTORY_DAYS'] must be None or a positive number.", id="rtcpool.E001")
        )
    for key in (
        "WEBHOOK_TIMEOUT",
        "WEBHOOK_RETRY_DELAY",
        "WEBHOOK_RETRY_HORIZON",
        "WEBHOOK_POLL_INTERVAL",
    ):
        if _number(merged[key]) <= 0:
            errors.append(Error(f"RTCPOOL[{key!r}] must be a positive number.", id="rtcpool.E001"))
    entries = merged["WEBHOOKS"]
    if isinstance(entries, str | bytes) or not isinstance(entries, list | tuple):
        return [
            *errors,
            Error("RTCPOOL['WEBHOOKS'] must be a list of endpoint dicts.", id="rtcpool.E006"),
        ]
    for index, entry in enumerate(entries):
        errors += [
            Error(
                f"RTCPOOL['WEBHOOKS'][{index}] {problem}.",
                hint='{"URL": "https://...", "SECRET": "whsec_...", "EVENTS": [...]}',
                id="rtcpool.E006",
            )
            for problem in endpoint_errors(entry)
        ]
    if entries and not merged["HISTORY"]:
        errors.append(
            Error(
                "RTCPOOL['WEBHOOKS'] needs RTCPOOL['HISTORY']: the events are made from it.",
                id="rtcpool.E006",
            )
        )
    if entries and not webhooks_available():
        errors.append(
            Error(
                "RTCPOOL['WEBHOOKS'] is set but standardwebhooks or httpx is not installed.",
                hint="pip install 'rtcpool-django[webhooks]'",
                id="rtcpool.E007",
            )
        )
    return errors


@register(Tags.compatibility)
def check_channel_layer(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    layer = getattr(settings, "CHANNEL_LAYERS", {}).get("default")
    if not layer:
        return [
            Error(
                "rtcpool_django needs a default channel layer.",
                hint="Set CHANNEL_LAYERS['default'] (channels_redis in production).",
                id="rtcpool.E003",
            )
        ]
    backend = layer.get("BACKEND", "")
    messages: list[Error | Warning] = []
    if backend in IN_MEMORY_LAYERS and not settings.DEBUG:
        messages.append(
            Warning(
                "The in-memory channel layer only reaches peers on the same process.",
                hint="With several workers, peers on different workers never meet: use "
                "channels_redis (see the README, 'Running several workers').",
                id="rtcpool.W001",
            )
        )
    if backend in REDIS_LAYERS and _redis_major() >= 8:
        # rtcpool_django.layers waits less than the read timeout: it is not affected.
        if backend != OUR_REDIS_LAYER:
            for host in layer.get("CONFIG", {}).get("hosts", []):
                if not (
                    isinstance(host, dict)
                    and "socket_timeout" in host
                    and host["socket_timeout"] is None
                ):
                    messages.append(
                        Error(
                            "redis-py 8 gives every connection a 5 s socket_timeout, which makes "
                            "channels_redis drop idle consumers (channels_redis #422).",
                            hint='Give each entry of CHANNEL_LAYERS hosts as a dict with "address" '
                            'and "socket_timeout": None, or install redis<8.',
                            id="rtcpool.E004",
                        )
                    )
                    break
        hosts = [
            host for host in layer.get("CONFIG", {}).get("hosts", []) if isinstance(host, dict)
        ]
        # rtcpool_django.layers' pools wait for a free connection instead of raising.
        if backend != OUR_REDIS_LAYER and any("max_connections" not in host for host in hosts):
            messages.append(
                Warning(
                    "redis-py 8 caps each connection pool at 100 connections and raises "
                    "MaxConnectionsError beyond; a worker delivering a burst of joins or "
                    "relays needs more, and a failed delivery loses notices.",
                    hint='Add "max_connections" (e.g. 1000) to each CHANNEL_LAYERS hosts dict.',
                    id="rtcpool.W002",
                )
            )
    # rtcpool_django.layers sizes its default capacity for a process (5000): no warning.
    if backend == STOCK_REDIS_LAYER and "capacity" not in layer.get("CONFIG", {}):
        messages.append(
            Warning(
                "RedisChannelLayer queues the messages of all consumers of one worker process "
                "in one Redis key, so its default capacity of 100 bounds the whole worker: a "
                "burst of joins into a large pool is refused with ChannelFull.",
                hint='Set CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] (e.g. 10000).',
                id="rtcpool.W003",
            )
        )
    return messages


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _redis_major() -> int:
    try:
        import redis
    except ImportError:
        return 0
    try:
        return int(redis.__version__.split(".")[0])
    except (AttributeError, ValueError):
        return 0
