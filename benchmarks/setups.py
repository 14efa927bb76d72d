"""The servers a benchmark run measures: what each setup is, whether it can run here, and
starting and stopping its processes with their database and Redis keys."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

MEMORY = "rtcpool_django.layers.memory.InMemoryChannelLayer"
STOCK_MEMORY = "channels.layers.InMemoryChannelLayer"
CORE = "channels_redis.core.RedisChannelLayer"
OURS = "rtcpool_django.layers.RedisChannelLayer"
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"


@dataclass(frozen=True)
class Setup:
    """One way of serving ssp: a server program, a channel layer and a number of workers."""

    name: str
    server: str  # floor | daphne | uvicorn | pyrtc
    layer: str = MEMORY  # channel layer BACKEND
    workers: int = 1
    reference: bool = False  # a third-party server: reported, never fails the smoke run
    sqlite: bool = False  # SQLite even when the run has DATABASE_URL (the embedded default)
    asgi: str = "example_project.asgi:application"

    @property
    def django(self) -> bool:
        return self.server in ("daphne", "uvicorn")

    @property
    def redis(self) -> bool:
        return self.layer not in (MEMORY, STOCK_MEMORY)


FLOOR = Setup("floor", "floor")
SETUPS = {
    setup.name: setup
    for setup in (
        Setup("embedded", "daphne", sqlite=True),
        Setup("memory", "daphne"),
        Setup("memory-stock", "daphne", STOCK_MEMORY),
        Setup("memory-noauth", "daphne", asgi="benchmarks.asgi_noauth:application"),
        Setup("stock", "daphne", CORE, 2),
        Setup("ours", "daphne", OURS, 2),
        Setup("pubsub", "daphne", PUBSUB, 2),
        Setup("pyrtc", "pyrtc", reference=True),
        Setup("uvicorn-memory", "uvicorn"),
        Setup("uvicorn-stock", "uvicorn", CORE, 2),
        Setup("uvicorn-ours", "uvicorn", OURS, 2),
        Setup("uvicorn-pubsub", "uvicorn", PUBSUB, 2),
    )
}
DEFAULT_SETUPS = ["embedded", "memory", "stock", "ours", "pubsub", "pyrtc"]


def raise_nofile_limit() -> int:
    """Lift this process's open-file limit to its hard limit; the servers it starts
    inherit it. The join storm holds 1,000 client sockets here and as many in a server."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 65536)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pyrtc_python() -> str:
    """PyRTC pins old h11/wsproto, so it may live in another venv: PYRTC_PYTHON names it."""
    return os.environ.get("PYRTC_PYTHON") or sys.executable


class Environment:
    """What the Django setups share in one run: fresh databases and a work directory.

    With DATABASE_URL the database is a new PostgreSQL database named after this process
    (so parallel runs on one server never drop each other's), dropped at the end; without
    it, and for the setups that always use SQLite, a SQLite file in the work directory.
    """

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="rtcpool-bench-"))
        self.logdir = self.workdir / "logs"
        self.logdir.mkdir()
        self.base_url = os.environ.get("DATABASE_URL") or None
        self.db_name = f"rtcpool_bench_{os.getpid()}"
        self._django_envs: dict[bool, dict[str, str]] = {}  # by "is SQLite"
        self._created_postgres = False

    @property
    def database(self) -> str:
        return "PostgreSQL" if self.base_url else "SQLite"

    def database_of(self, setup: Setup) -> str:
        return "SQLite" if setup.sqlite or not self.base_url else "PostgreSQL"

    def django_env(self, setup: Setup) -> dict[str, str]:
        """The environment of a Django server process; migrates its database once."""
        sqlite = self.database_of(setup) == "SQLite"
        if sqlite not in self._django_envs:
            env = dict(
                os.environ,
                PYTHONPATH=str(ROOT),
                PYTHONUNBUFFERED="1",
                DJANGO_SETTINGS_MODULE="benchmarks.bench_settings",
            )
            env.pop("REDIS_URL", None)
            if sqlite:
                env.pop("DATABASE_URL", None)
                env["SQLITE_PATH"] = str(self.workdir / "bench.sqlite3")
            else:
                assert self.base_url
                self._postgres(f"CREATE DATABASE {self.db_name}")
                self._created_postgres = True  # close() drops a half-made database too
                path = f"/{self.db_name}"
                env["DATABASE_URL"] = urlunsplit(urlsplit(self.base_url)._replace(path=path))
            self._django_envs[sqlite] = env
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
        return self._django_envs[sqlite]

    def peers(self, setup: Setup) -> int:
        """How many peers the database of ``setup`` holds (a Django setup, started)."""
        env = self.django_env(setup)
        query = "SELECT count(*) FROM rtcpool_django_peer"
        if "SQLITE_PATH" in env:
            import sqlite3

            with contextlib.closing(sqlite3.connect(env["SQLITE_PATH"], timeout=10)) as db:
                return int(db.execute(query).fetchone()[0])
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row else 0

    def _postgres(self, statement: str) -> None:
        import psycopg

        assert self.base_url
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(statement)

    def unavailable(self, setup: Setup) -> str | None:
        """Why ``setup`` cannot run here, or None when it can."""
        if setup.server == "pyrtc":
            probe = [pyrtc_python(), "-c", "import pyrtc.pool, wsproto"]
            if subprocess.run(probe, capture_output=True).returncode:
                return (
                    f"pyrtc is not importable by {pyrtc_python()} "
                    "(pip install pyrtc==2.0.2 there, or set PYRTC_PYTHON)"
                )
            return None
        if not setup.django or not setup.redis:
            return None
        try:
            parts = urlsplit(REDIS_URL)
            socket.create_connection((parts.hostname, parts.port or 6379), timeout=2).close()
        except OSError as exc:
            return f"Redis at {REDIS_URL} does not answer ({exc})"
        probe = "from django.utils.module_loading import import_string as i; i(%r)"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        result = subprocess.run(
            [sys.executable, "-c", probe % setup.layer], env=env, capture_output=True, text=True
        )
        if result.returncode:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            return f"{setup.layer} cannot be imported: {last}"
        return None

    def close(self) -> None:
        if self._created_postgres:
            self._postgres(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        shutil.rmtree(self.workdir, ignore_errors=True)


class Servers:
    """The running processes of one setup; a context manager that always stops them."""

    def __init__(self, setup: Setup, environment: Environment) -> None:
        self.setup = setup
        self.environment = environment
        self.processes: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        self.prefix = f"bench{uuid.uuid4().hex[:10]}"
        self.logs: list[Path] = []

    def command(self, port: int) -> list[str]:
        if self.setup.server == "floor":
            return [sys.executable, str(HERE / "floor.py"), "--port", str(port)]
        if self.setup.server == "pyrtc":
            return [pyrtc_python(), str(HERE / "pyrtc_server.py"), "--port", str(port)]
        if self.setup.server == "daphne":
            args = ["-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
        else:
            args = ["-m", "uvicorn", "--log-level", "warning", "--host", "127.0.0.1"]
            args += ["--port", str(port), "--ws", "websockets"]
        return [sys.executable, *args, self.setup.asgi]

    def env(self) -> dict[str, str]:
        if not self.setup.django:
            return dict(os.environ, PYTHONUNBUFFERED="1")
        env = dict(self.environment.django_env(self.setup), RTCPOOL_CHANNEL_LAYER=self.setup.layer)
        if self.setup.redis:
            env.update(REDIS_URL=REDIS_URL, RTCPOOL_CHANNEL_PREFIX=self.prefix)
        return env

    def __enter__(self) -> Servers:
        env = self.env()
        try:
            for _ in range(self.setup.workers):
                port = free_port()
                log_path = self.environment.logdir / f"{self.setup.name}-{port}.log"
                with open(log_path, "wb") as log:
                    self.processes.append(
                        subprocess.Popen(
                            self.command(port), cwd=ROOT, env=env, stdout=log, stderr=log
                        )
                    )
                self.ports.append(port)
                self.logs.append(log_path)
            for process, port, log_path in zip(self.processes, self.ports, self.logs, strict=True):
                wait_listening(process, port, log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 30.0, settle: float = 0.5) -> bool:
        """Wait until the servers hold no peer (every departure of the last scenario is
        done), and ``settle`` s more for those consumers to end; whether they got there.

        Scenarios share their setup's servers: without this, the next scenario's joins
        met the last one's consumers still ending. That measured the teardown too, and
        with ``channels_redis``' stock layer a notice to a new peer was lost while
        other consumers of its worker ended (about one smoke run in seven, under load)."""
        if not self.setup.django:
            return True
        deadline = time.monotonic() + timeout
        while self.environment.peers(self.setup):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        time.sleep(settle)
        return True

    def rss(self) -> int:
        """The resident memory of the setup's processes, in bytes (Linux)."""
        total = 0
        for process in self.processes:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def cpu_seconds(self) -> float:
        """CPU time the setup's processes have used so far, all their threads (Linux: the
        nanoseconds of /proc/<pid>/task/*/schedstat; /proc/<pid>/stat counts in 10 ms
        ticks). Per join, it says what a change saves even when the machine's other load
        moves the rates."""
        total = 0
        for process in self.processes:
            for task in Path(f"/proc/{process.pid}/task").iterdir():
                with contextlib.suppress(OSError):  # a thread that just ended
                    total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9

    def crashed(self) -> str | None:
        """The log tail of a worker that exited, if any did."""
        for process, log_path in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                return f"worker exited with {process.returncode}: " + " | ".join(tail)
        return None

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self.setup.redis:
            delete_redis_keys(self.prefix)


def wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not listen within 60 s")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def delete_redis_keys(prefix: str) -> None:
    """Remove the keys this run's channel layer left in the shared Redis (only ours:
    every key of a run starts with its unique prefix)."""
    try:
        import redis
    except ImportError:
        return
    client = redis.Redis.from_url(REDIS_URL)
    try:
        batch = list(client.scan_iter(match=f"{prefix}*", count=1000))
        while batch:
            client.delete(*batch[:500])
            batch = batch[500:]
    except redis.RedisError:
        pass
    finally:
        client.close()
