"""Settings of the servers the benchmark starts: the example project's, with the per-
connection rate limit lifted (the benchmark floods on purpose) and DEBUG off (no query log)."""

import os

from example_project.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
RTCPOOL = {**RTCPOOL, "RATE_LIMIT_PER_SECOND": 1e6, "RATE_LIMIT_BURST": 1_000_000}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
SILENCED_SYSTEM_CHECKS = ["rtcpool.W001"]

# RTCPOOL_GC_FREEZE=0 leaves the workers' start-up objects to the garbage collector, to compare.
if os.environ.get("RTCPOOL_GC_FREEZE"):
    RTCPOOL["GC_FREEZE"] = os.environ["RTCPOOL_GC_FREEZE"] not in ("0", "false", "False", "")
