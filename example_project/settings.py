"""Settings of the example project.

SQLite and the in-memory channel layer by default (one process). Set ``DATABASE_URL``
(``postgres://user@host:port/name``) and ``REDIS_URL`` (``redis://host:port/db``) to run
several workers that share pools through PostgreSQL and Redis. With Redis Sentinel, set
``REDIS_SENTINELS`` (``host:port,host:port``) and ``REDIS_SENTINEL_MASTER`` (the monitored
master's name) instead of ``REDIS_URL``: the layer then asks the Sentinels where the master
is, and follows a failover.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rtcpool_django",
    "example_project.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL: only postgres:// is supported, not {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # BEGIN IMMEDIATE: a join's read-then-insert takes the write lock up front, so
            # two processes (daphne and a management command) queue instead of deadlocking.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }


def redis_host(environ: Mapping[str, str]) -> dict | None:
    """The channel layer's Redis host entry from ``REDIS_URL``, or from ``REDIS_SENTINELS``
    and ``REDIS_SENTINEL_MASTER``; None if neither is set."""
    sentinels = environ.get("REDIS_SENTINELS", "").strip()
    if sentinels and environ.get("REDIS_URL"):
        raise ValueError("set REDIS_URL or REDIS_SENTINELS, not both")
    # redis-py 8's 5 s socket_timeout would time the stock layers' idle readers out (ours
    # waits less than it, but None is right for all).
    if sentinels:
        master = environ.get("REDIS_SENTINEL_MASTER", "").strip()
        if not master:
            raise ValueError("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master's name)")
        addresses = []
        for entry in sentinels.split(","):
            host, _, port = entry.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"REDIS_SENTINELS: {entry!r} is not host:port")
            addresses.append((host.strip("[]"), int(port)))
        return {"sentinels": addresses, "master_name": master, "socket_timeout": None}
    if environ.get("REDIS_URL"):
        return {"address": environ["REDIS_URL"], "socket_timeout": None}
    return None


if redis_host(os.environ) is not None:
    # rtcpool_django.layers: channels_redis' layer with one Redis round trip per send and
    # batched receives; stock channels_redis processes still talk to it.
    channel_layer_backend = os.environ.get(
        "RTCPOOL_CHANNEL_LAYER", "rtcpool_django.layers.RedisChannelLayer"
    )
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": channel_layer_backend,
            "CONFIG": {
                "hosts": [redis_host(os.environ)],
                "prefix": os.environ.get("RTCPOOL_CHANNEL_PREFIX", "asgi"),
            },
        }
    }
    if channel_layer_backend != "rtcpool_django.layers.RedisChannelLayer":
        # The stock layers' pools raise MaxConnectionsError past redis-py 8's 100
        # connections, which a burst of joins or relays needs (ours waits for a free one);
        # and stock RedisChannelLayer queues the messages of all consumers of one process
        # in one Redis key, so its capacity (default 100) bounds the whole worker. (Ours
        # defaults to 5000; pub/sub ignores it.)
        CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["max_connections"] = 1000
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 10000
    if os.environ.get("RTCPOOL_CHANNEL_CAPACITY"):
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = int(
            os.environ["RTCPOOL_CHANNEL_CAPACITY"]
        )
else:
    # One process. Ours is Channels' in-memory layer without its sweep of every channel
    # and group on every message (see rtcpool_django.layers.memory).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get(
                "RTCPOOL_CHANNEL_LAYER", "rtcpool_django.layers.memory.InMemoryChannelLayer"
            )
        }
    }

RTCPOOL: dict[str, Any] = {
    key: float(os.environ[f"RTCPOOL_{key}"])
    for key in ("HEARTBEAT_INTERVAL", "WORKER_TIMEOUT", "DELIVERY_TIMEOUT", "LAYER_OUTAGE_GRACE")
    if os.environ.get(f"RTCPOOL_{key}")
}
# The demo page names its peers: ws/rtcpool/?name=Ada describes the new peer as {"name": "Ada"}
# (a signed-in user's join token names them instead, and wins).
RTCPOOL["INITIAL_DESCRIPTION"] = "example_project.demo.policy.initial_description"
# Who may join the pools a join creates: anyone while DEBUG is on (the open demo), only the
# holders of a join token in production (the demo's view issues them to signed-in users;
# check rtcpool.W004 warns of "public" there).
RTCPOOL["DEFAULT_ACCESS"] = os.environ.get("RTCPOOL_DEFAULT_ACCESS") or (
    "public" if DEBUG else "token"
)


def url_list(value: str) -> list[str]:
    return [url.strip() for url in value.split(",") if url.strip()]


# ICE servers of rtcpool/ice-servers/, which the demo page fetches before it joins: STUN and
# TURN URLs comma-separated, and coturn's static-auth-secret (docs: "TURN").
if os.environ.get("RTCPOOL_STUN_URLS"):
    RTCPOOL["STUN_URLS"] = url_list(os.environ["RTCPOOL_STUN_URLS"])
if os.environ.get("RTCPOOL_TURN_URLS"):
    RTCPOOL["TURN_URLS"] = url_list(os.environ["RTCPOOL_TURN_URLS"])
if os.environ.get("RTCPOOL_TURN_SECRET"):
    RTCPOOL["TURN_SECRET"] = os.environ["RTCPOOL_TURN_SECRET"]
if os.environ.get("RTCPOOL_TURN_CREDENTIAL_TTL"):
    RTCPOOL["TURN_CREDENTIAL_TTL"] = int(os.environ["RTCPOOL_TURN_CREDENTIAL_TTL"])

# Prometheus metrics at /metrics; RTCPOOL_METRICS=0 turns them off (benchmarks/README.md
# compares the relay with and without them).
if os.environ.get("RTCPOOL_METRICS"):
    RTCPOOL["METRICS"] = os.environ["RTCPOOL_METRICS"] not in ("0", "false", "False", "")

# Attendance history is on by default; RTCPOOL_HISTORY=0 turns it off (the join benchmark
# compares both). Webhooks (docs: "Know what happened"): one endpoint from the environment,
# RTCPOOL_WEBHOOK_URL and its "whsec_..." RTCPOOL_WEBHOOK_SECRET.
if os.environ.get("RTCPOOL_HISTORY"):
    RTCPOOL["HISTORY"] = os.environ["RTCPOOL_HISTORY"] not in ("0", "false", "False", "")
if os.environ.get("RTCPOOL_WEBHOOK_URL"):
    RTCPOOL["WEBHOOKS"] = [
        {
            "URL": os.environ["RTCPOOL_WEBHOOK_URL"],
            "SECRET": os.environ.get("RTCPOOL_WEBHOOK_SECRET", ""),
        }
    ]
for key in ("WEBHOOK_TIMEOUT", "WEBHOOK_RETRY_DELAY", "WEBHOOK_POLL_INTERVAL"):
    if os.environ.get(f"RTCPOOL_{key}"):
        RTCPOOL[key] = float(os.environ[f"RTCPOOL_{key}"])

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "artifacts" / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Not propagated: daphne -v adds a root handler, which would print each line twice.
    "loggers": {"rtcpool_django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
