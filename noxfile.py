"""The support matrix and the checks around it: ``nox`` (``bash .ci/run`` runs it all).

Why nox rather than tox: the matrix is not a flat list of environments. Every Django x
Python cell runs the in-process suite on SQLite (``tests-*``); two of them also run the
full suite, as ``postgres-*`` (the in-process suite on PostgreSQL) and ``live-*``
(several daphne workers, Redis, Chromium), and the package session builds a wheel before
its test. In nox that is plain Python in one file, with sessions named after their cell
(``nox -l``); tox would need generative env names plus per-factor command overrides for
the same thing. Both are what Django apps use; nox also creates environments with uv
when it is installed, which keeps the matrix inside its time budget on two cores.

Environments live in ``.nox/`` and are reused between runs (``reuse_venv = "yes"``); the
packages are reinstalled each run, which is cheap from the local caches, so a changed
``pyproject.toml`` is always picked up. ``nox -s live-django6.1-py3.13 -- -k join``
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
# Sessions may run side by side (.ci/run runs two lanes, see there): each has its own venv,
# test database (named by pid), Redis prefix and free ports, and much of a test run is spent
# waiting on sockets and subprocesses. Not two live sessions at once: their multi-worker
# and browser tests stop, stall and time real processes, and with two of them side by side
# on a busy 2-core machine a worker missed its start-up and a 20-peer join outran a timeout.
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
# The rest of the full suite ("not package" is IN_PROCESS plus LIVE): real daphne
# workers, Redis servers and Chromium.
LIVE = "(multiworker or browser or redis) and not package"


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


def _need_postgres(session: nox.Session) -> None:
    if not os.environ.get("DATABASE_URL"):
        session.error("the full suite needs DATABASE_URL (PostgreSQL); .ci/run sets it")


def _make_cell(django: str, python: str) -> None:
    """``tests-*``: the cell's in-process suite on SQLite (every cell). A full-suite cell
    also gets ``postgres-*`` (the in-process suite on PostgreSQL) and ``live-*`` (the
    multi-worker, Redis and browser tests): together the whole suite on PostgreSQL, in two
    sessions so that .ci/run can run the in-process half beside the other cells' runs while
    the live half runs in its own lane, one at a time."""
    cell = f"django{django}-py{python}"
    full = (django, python) in FULL_SUITE

    def sqlite(session: nox.Session) -> None:
        _install(session, django)
        session.run("python", "-m", "django", "--version", silent=False)
        # The example project's default database.
        _pytest(session, "-q", "-m", IN_PROCESS, env={"DATABASE_URL": ""})

    sqlite.__doc__ = f"Django {django} on Python {python}: the in-process suite on SQLite."
    nox.session(name=f"tests-{cell}", python=python, tags=["matrix", "inprocess"], **PARALLEL)(
        sqlite
    )
    if not full:
        return

    def postgres(session: nox.Session) -> None:
        _need_postgres(session)
        _install(session, django)
        _pytest(session, "-q", "-m", IN_PROCESS)

    postgres.__doc__ = (
        f"Django {django} on Python {python}: the in-process suite on PostgreSQL (full suite)."
    )
    nox.session(
        name=f"postgres-{cell}", python=python, tags=["matrix", "full", "inprocess"], **PARALLEL
    )(postgres)

    def live(session: nox.Session) -> None:
        _need_postgres(session)
        _install(session, django)
        _pytest(session, "-m", LIVE)

    live.__doc__ = (
        f"Django {django} on Python {python}: the multi-worker, Redis and browser tests on "
        "PostgreSQL (full suite)."
    )
    nox.session(name=f"live-{cell}", python=python, tags=["matrix", "full", "live"])(live)


# The full-suite cells first: .ci/run starts the sessions in this order.
_CELLS = [(django, python) for django, pythons in MATRIX.items() for python in pythons]
for _django, _python in sorted(_CELLS, key=lambda cell: cell not in FULL_SUITE):
    _make_cell(_django, _python)


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check on the whole repository; lint-imports checks
    the layering contracts of ``[tool.importlinter]`` in pyproject.toml."""
    session.install("ruff>=0.6", "import-linter>=2.13")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python=NEWEST[1], tags=["checks"], **PARALLEL)
def typing(session: nox.Session) -> None:
    """mypy with django-stubs and types-channels on the rtcpool_django package."""
    _install(session, NEWEST[0], "typing,redis,postgres,metrics,webhooks")
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
