"""Settings of the example project.

SQLite and the in-memory channel layer by default (one process). Set ``DATABASE_URL``
(``postgres://user@host:port/name``) and ``REDIS_URL`` (``redis://host:port/db``) to run
several workers that share pools through PostgreSQL and Redis.
"""

import os
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

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get(
                "RTCPOOL_CHANNEL_LAYER", "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {
                # redis-py 8 defaults would break channels_redis: a 5 s socket_timeout times
                # idle readers out, and a pool capped at 100 connections raises
                # MaxConnectionsError when a burst of joins or relays is in flight.
                "hosts": [
                    {
                        "address": os.environ["REDIS_URL"],
                        "socket_timeout": None,
                        "max_connections": 1000,
                    }
                ],
                "prefix": os.environ.get("RTCPOOL_CHANNEL_PREFIX", "asgi"),
                # RedisChannelLayer queues the messages of all consumers of one process in
                # one Redis key, so its capacity (default 100) bounds the whole worker: a
                # burst of joins in a big pool fills it. (The pub/sub layer ignores this.)
                "capacity": int(os.environ.get("RTCPOOL_CHANNEL_CAPACITY", "1000")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

RTCPOOL: dict[str, Any] = {
    key: float(os.environ[f"RTCPOOL_{key}"])
    for key in ("HEARTBEAT_INTERVAL", "WORKER_TIMEOUT")
    if os.environ.get(f"RTCPOOL_{key}")
}
# The demo page names its peers: ws/rtcpool/?name=Ada describes the new peer as {"name": "Ada"}.
RTCPOOL["INITIAL_DESCRIPTION"] = "example_project.demo.policy.initial_description"

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
    "loggers": {"rtcpool_django": {"handlers": ["console"], "level": "INFO"}},
}
