"""Settings of the servers the benchmark starts: the example project's, with the per-
connection rate limit lifted (the benchmark floods on purpose) and DEBUG off (no query log)."""

import os

from example_project.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
RTCPOOL = {**RTCPOOL, "RATE_LIMIT_PER_SECOND": 1e6, "RATE_LIMIT_BURST": 1_000_000}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
SILENCED_SYSTEM_CHECKS = ["rtcpool.W001"]

# RTCPOOL_TUNE_GC=0 leaves the workers' garbage collector at Python's defaults, to compare.
if os.environ.get("RTCPOOL_TUNE_GC"):
    RTCPOOL["TUNE_GC"] = os.environ["RTCPOOL_TUNE_GC"] not in ("0", "false", "False", "")
