"""The support matrix and the checks around it: ``nox`` (``bash .ci/run`` runs it all).

Why nox rather than tox: the matrix is not a flat list of environments. Two of its cells
run the full suite (PostgreSQL, Redis, several daphne workers, Chromium) and the others
only the in-process part on SQLite, and the package session builds a wheel before its
test. In nox that is plain Python in one file, with one session per Django x Python
cell named after it (``nox -l``); tox would need generative env names plus
per-factor command overrides for the same thing. Both are what Django apps use; nox
also creates environments with uv when it is installed, which keeps the seven-cell
matrix inside its time budget on two cores.

Environments live in ``.nox/`` and are reused between runs (``reuse_venv = "yes"``); the
packages are reinstalled each run, which is cheap from the local caches, so a changed
``pyproject.toml`` is always picked up. ``nox -s tests-django6.1-py3.13 -- -k join``
passes arguments through to pytest.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
# Interpreters come from the machine (pyenv, Debian, ...): never fetch a Python build.
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True
# Sessions may run two at a time under `nox -j 2` (.ci/run): each has its own venv, test
# database (named by pid), Redis prefix and free ports, and much of a test run is spent
# waiting on sockets and subprocesses. Not the full-suite cells: their multi-worker and
# browser tests stop, stall and time real processes, and with two of them side by side on
# a busy 2-core machine a worker missed its start-up and a 20-peer join outran a timeout.
PARALLEL = {"allow_parallel": True}

# Every supported Django with every Python it supports (Django 6 needs Python >= 3.12).
MATRIX: dict[str, tuple[str, ...]] = {
    "5.2": ("3.11", "3.12", "3.13"),
    "6.0": ("3.12", "3.13"),
    "6.1": ("3.12", "3.13"),
}
# The cells that also run the full suite: the newest Django on the newest Python, and
# the LTS on the oldest Python (what .ci/run ran before the matrix existed).
FULL_SUITE = {("6.1", "3.13"), ("5.2", "3.11")}
NEWEST = ("6.1", "3.13")

IN_PROCESS = "not multiworker and not browser and not package and not redis"


def _django_spec(version: str) -> str:
    major, minor = (int(part) for part in version.split("."))
    return f"django>={version},<{major}.{minor + 1}"


def _install(session: nox.Session, django: str, extras: str = "test,redis,postgres") -> None:
    # One resolve with the Django pin, so no later install can move Django.
    session.install("-e", f".[{extras}]", _django_spec(django))


def _pytest(
    session: nox.Session, *args: str, env: dict[str, str] | None = None, posargs: bool = True
) -> None:
    extra = session.posargs if posargs else []
    # With arguments of one's own (-k, a path) a run may select nothing: pytest's exit 5.
    codes = [0, 5] if extra else [0]
    session.run("pytest", "-p", "no:cacheprovider", *args, *extra, env=env, success_codes=codes)


def _make_cell(django: str, python: str) -> None:
    full = (django, python) in FULL_SUITE
    tags = ["matrix", "full"] if full else ["matrix"]

    def cell(session: nox.Session) -> None:
        _install(session, django)
        session.run("python", "-m", "django", "--version", silent=False)
        if full:
            if not os.environ.get("DATABASE_URL"):
                session.error("the full suite needs DATABASE_URL (PostgreSQL); .ci/run sets it")
            _pytest(session, "-m", "not package")
        # The in-process suite on SQLite, the example project's default database.
        _pytest(session, "-q", "-m", IN_PROCESS, env={"DATABASE_URL": ""})

    cell.__doc__ = (
        f"Django {django} on Python {python}: "
        + ("the full suite on PostgreSQL + Redis, then " if full else "")
        + "the in-process suite on SQLite."
    )
    name = f"tests-django{django}-py{python}"
    nox.session(name=name, python=python, tags=tags, allow_parallel=not full)(cell)


# The two long full-suite cells first (each alone), then the short ones two at a time.
_CELLS = [(django, python) for django, pythons in MATRIX.items() for python in pythons]
for _django, _python in sorted(_CELLS, key=lambda cell: cell not in FULL_SUITE):
    _make_cell(_django, _python)


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check on the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def typing(session: nox.Session) -> None:
    """mypy with django-stubs and types-channels on the rtcpool_django package."""
    _install(session, NEWEST[0], "typing,redis,postgres,metrics")
    # The django-stubs plugin loads example_project.settings, which picks its database
    # backend from DATABASE_URL (.ci/run sets it): hence the postgres extra.
    session.run("mypy")  # what to check and how: [tool.mypy] in pyproject.toml


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def package(session: nox.Session) -> None:
    """Build sdist + wheel, twine check them, and test the wheel in new projects outside the
    repository: a minimal one, and the tutorial's (served by daphne, a two-peer call)."""
    session.install("build", "twine", "uv")
    # Not session.create_tmp(): that points TMPDIR into the repository, and the test's
    # project must live outside it.
    dist = tempfile.mkdtemp(prefix="rtcpool-dist-")
    session.run("python", "-m", "build", "--outdir", dist, ".")
    session.run("twine", "check", "--strict", *glob.glob(os.path.join(dist, "*")))
    # The test installs that wheel outside the repository and runs a new project on it.
    _install(session, NEWEST[0])
    try:
        env = {"DATABASE_URL": "", "RTCPOOL_DIST_DIR": dist}
        _pytest(session, "-m", "package", env=env, posargs=False)
    finally:
        shutil.rmtree(dist, ignore_errors=True)


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def docs(session: nox.Session) -> None:
    """Build the Sphinx site with warnings as errors (what Read the Docs builds)."""
    # The redis extra: the reference documents rtcpool_django.layers, which imports it.
    session.install("-r", "docs/requirements.txt", "-e", ".[redis]", _django_spec(NEWEST[0]))
    out = os.path.join(session.create_tmp(), "html")
    session.run("sphinx-build", "-W", "--keep-going", "-q", "-b", "html", "docs", out)
