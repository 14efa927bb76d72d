"""Settings of the daphne processes that the live tests start.

The example project's settings, pointed at the test database of the pytest run that
started them (its name comes in ``RTCPOOL_TEST_DB_NAME``).
"""

import os

from example_project.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["RTCPOOL_TEST_DB_NAME"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
