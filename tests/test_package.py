"""The built package works for a site that installs it: a wheel in a fresh venv outside
the repository, a new Django project around it, ``migrate``, ``check`` and the bundled
client found by staticfiles.

Marked ``package`` (``nox -s package`` runs it): it builds the distributions and installs
Django, Channels and daphne into a new venv, which takes a while (``tests/packaging.py``;
``RTCPOOL_DIST_DIR`` names distributions already built).
"""

from __future__ import annotations

import re
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import rtcpool_django

from .packaging import ROOT, Venv, dist_dir, only

pytestmark = pytest.mark.package

BUNDLE = "rtcpool_django/static/rtcpool_django/rtcpool.js"

SETTINGS = """
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "package-test"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rtcpool_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "mysite.urls"
ASGI_APPLICATION = "mysite.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
USE_TZ = True
"""


def readme_block(first_line: str) -> str:
    """The README's ```python block that starts with ``first_line``: the site's file as the
    README tells a site to write it, so that the README cannot drift from what works."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```$", readme, re.M | re.S)
    (block,) = [b for b in blocks if b.startswith(first_line)]
    return block


URLS = (
    readme_block("# urls.py")
    + """
from django.contrib import admin

urlpatterns += [path("admin/", admin.site.urls)]
"""
)
ASGI = readme_block("# asgi.py")

MANAGE = """
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""


@pytest.fixture(scope="module")
def dist() -> Path:
    """A directory with the sdist and the wheel of this checkout."""
    return dist_dir()


def test_wheel_contents(dist):
    names = set(zipfile.ZipFile(only(dist, "*.whl")).namelist())
    assert "rtcpool_django/py.typed" in names
    assert BUNDLE in names
    assert "rtcpool_django/migrations/0001_initial.py" in names
    assert not [n for n in names if n.startswith(("tests/", "example_project/", "docs/"))]


def test_sdist_has_what_a_rebuild_and_the_tests_need_and_no_junk(dist):
    sdist = only(dist, "*.tar.gz")
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.removeprefix(top + "/") for n in archive.getnames()}
    for needed in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        BUNDLE,
        "rtcpool_django/py.typed",
        "tests/conftest.py",
        "tests/settings.py",
        "example_project/settings.py",
        "manage.py",
        "docs/conf.py",
        "package.json",
        "js/rtcpool-client.js",
    ):
        assert needed in names, needed
    junk = ("node_modules/", "artifacts/", ".venv/", ".nox/", "dist/", "build/", ".git/")
    assert not [n for n in names if n.startswith(junk) or "/__pycache__/" in n]


def test_docs_extra_installs_what_the_docs_build_needs():
    """README's docs build installs ``.[docs]``; ``nox -s docs`` docs/requirements.txt and
    the redis extra (autodoc imports rtcpool_django.layers): the extra must hold them all."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    lines = (ROOT / "docs" / "requirements.txt").read_text().splitlines()
    needed = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert needed | set(extras["redis"]) <= set(extras["docs"])
    assert "urls" not in project  # no repository or docs site is published


def test_wheel_in_a_new_project_outside_the_repository(dist, tmp_path):
    env = Venv(tmp_path / "venv")
    env_dir = env.path
    python = env.python

    def run(*args: str) -> str:
        return env.run(*args, cwd=tmp_path, DJANGO_SETTINGS_MODULE="mysite.settings")

    env.install(str(only(dist, "*.whl")))

    site = tmp_path / "mysite"
    site.mkdir()
    (site / "__init__.py").write_text("")
    (site / "settings.py").write_text(SETTINGS)
    (site / "urls.py").write_text(URLS)
    (site / "asgi.py").write_text(ASGI)
    (tmp_path / "manage.py").write_text(MANAGE)

    where = "import os, rtcpool_django; print(os.path.dirname(rtcpool_django.__file__))"
    package_dir = Path(run(python, "-c", where).strip())
    assert package_dir.is_relative_to(env_dir), "imported the checkout, not the wheel"
    assert (package_dir / "py.typed").is_file()
    metadata = "import importlib.metadata as m; print(m.version('rtcpool-django'))"
    version = run(python, "-c", metadata)
    assert version.strip() == rtcpool_django.__version__

    run(python, "manage.py", "migrate", "--noinput", "-v", "0")
    run(python, "manage.py", "check", "--fail-level", "WARNING")
    findstatic = run(python, "manage.py", "findstatic", "rtcpool_django/rtcpool.js", "-v", "0")
    found = Path(findstatic.strip())
    assert found.is_relative_to(env_dir)
    assert found.read_bytes() == (ROOT / BUNDLE).read_bytes()
    run(python, "manage.py", "collectstatic", "--noinput", "-v", "0")
    assert (tmp_path / "static" / "rtcpool_django" / "rtcpool.js").is_file()
    # The routing the README tells a site to write imports and builds its application.
    run(python, "-c", "import mysite.asgi; print(mysite.asgi.application)")
    urls = "import django; django.setup(); from django.urls import reverse; print(reverse(%r))"
    assert run(python, "-c", urls % "rtcpool_django:ice_servers").strip() == "/rtcpool/ice-servers/"
    run(python, "manage.py", "rtcpool_pools")
