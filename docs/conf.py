"""Sphinx configuration of the rtcpool_django documentation (README: "Documentation")."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports rtcpool_django.pools and the models, which need configured settings:
# minimal ones of our own, so that the build never depends on the environment (a
# DATABASE_URL, the example project's extras).
import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "channels",
        "rtcpool_django",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
)
django.setup()

import rtcpool_django  # noqa: E402

project = "rtcpool_django"
author = "rtcpool_django contributors"
copyright = "2026, rtcpool_django contributors"
release = rtcpool_django.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path: list[str] = []

html_theme = "furo"
html_title = f"rtcpool_django {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
