"""Settings of the daphne processes that the live tests start.

The example project's settings, pointed at the test database of the pytest run that
started them (its name comes in ``RTCPOOL_TEST_DB_NAME``).
"""

import os

from example_project.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["RTCPOOL_TEST_DB_NAME"]  # noqa: F405
# 0 lets the test database be dropped at once; tests of persistent connections set it.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("RTCPOOL_TEST_CONN_MAX_AGE", "0"))  # noqa: F405
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # So that a test can find (and terminate) the servers' connections, and only theirs.
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = "rtcpool-live"  # noqa: F405
