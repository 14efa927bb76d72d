"""Sphinx configuration of the rtcpool_django documentation (Read the Docs builds it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports rtcpool_django.pools, which needs configured Django settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
import django  # noqa: E402

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
