"""What the ``package`` tests share: this checkout's sdist and wheel, and a new venv
outside the repository with the wheel installed, where commands run as a site's would.

``RTCPOOL_DIST_DIR`` names a directory that already holds the built sdist and wheel (the
nox session builds them once for ``twine check`` too); without it they are built here,
once per test run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import venv
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def dist_dir() -> Path:
    """A directory with the sdist and the wheel of this checkout."""
    given = os.environ.get("RTCPOOL_DIST_DIR")
    if given:
        return Path(given)
    out = Path(tempfile.mkdtemp(prefix="rtcpool-dist-"))
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def only(directory: Path, pattern: str) -> Path:
    (found,) = directory.glob(pattern)
    return found


class Venv:
    """A new venv at ``path`` (outside the repository) and a clean environment to run in,
    with the venv's ``bin`` first on ``PATH``."""

    def __init__(self, path: Path) -> None:
        assert not path.is_relative_to(ROOT), "the venv must live outside the repository"
        self.path = path
        # uv installs the same packages as pip in a fraction of the time; pip when absent.
        self.uv = shutil.which("uv")
        venv.create(path, with_pip=self.uv is None)
        self.python = str(path / "bin" / "python")
        # Nothing of ours leaks in: the tests' settings module or path would make the site
        # import this checkout instead of the wheel.
        ours = ("PYTHONPATH", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")
        self.env = {k: v for k, v in os.environ.items() if k not in ours}
        self.env["PATH"] = f"{path / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    def install(self, *specs: str) -> None:
        if self.uv:
            self.run(self.uv, "pip", "install", "-q", "--python", self.python, *specs)
        else:
            self.run(
                self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *specs
            )

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> str:
        """Run ``args``; fail the test with its output unless it exits 0; its stdout."""
        done = subprocess.run(
            args,
            cwd=cwd or self.path.parent,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
        return done.stdout
