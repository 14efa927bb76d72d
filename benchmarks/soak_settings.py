"""Settings of the servers the soak starts (benchmarks/soak.py): the example project's with
the default rate limit kept (the soak relays at an ICE rate, within it), DEBUG off, and a
log format that carries the level, so the soak can count ERROR lines."""

from example_project.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
SILENCED_SYSTEM_CHECKS = ["rtcpool.W001"]
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # So that the soak terminates its workers' connections, and only theirs.
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = "rtcpool-soak"  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"level": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "level"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"rtcpool_django": {"level": "INFO"}},
}
