"""Test settings: the example project's, with a test database per run.

SQLite by default; ``DATABASE_URL`` switches to PostgreSQL. The test database name carries
the process id so that two test runs on one machine never share a database.
"""

import os

from example_project.settings import *  # noqa: F403

DATABASES["default"]["TEST"] = {"NAME": f"test_rtcpool_{os.getpid()}"}  # noqa: F405
# database_sync_to_async's worker thread keeps its own connection; persistent connections
# there would stop pytest-django from dropping the test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory: daphne subprocesses in the live tests open the same database.
    DATABASES["default"]["TEST"]["NAME"] = f"/tmp/test_rtcpool_{os.getpid()}.sqlite3"  # noqa: F405

CHANNEL_LAYERS = {"default": {"BACKEND": "rtcpool_django.layers.memory.InMemoryChannelLayer"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
