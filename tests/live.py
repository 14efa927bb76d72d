"""Real servers for the live tests: daphne processes of the example project, and a real
WebSocket client (the ``websockets`` library) that speaks ssp to them.

Every server process uses the test database that pytest-django created for this run
(``tests.live_settings`` reads its name from the environment), and, when given a Redis
URL, a channel-layer prefix unique to this run so that parallel runs never cross.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.db import connection

from rtcpool_django.testing import BaseSspClient

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """One daphne (or uvicorn) process serving example_project on 127.0.0.1:<port>."""

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        prefix: str | None = None,
        extra_env: dict[str, str] | None = None,
        server: str = "daphne",
        server_args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.server_args = list(server_args)
        self.redis_url = redis_url
        self.prefix = prefix
        self.extra_env = extra_env or {}
        self.server = server
        self.process: subprocess.Popen[bytes] | None = None
        # Whether the test ended the process (stop, kill, terminate): any other exit is a
        # crash, which the fixtures report with the worker's log.
        self.ended = False
        self._log_file: Any = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{server}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/rtcpool/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        # The browser tests relax this for their own process; the servers under test keep it.
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.live_settings",
            RTCPOOL_TEST_DB_NAME=str(connection.settings_dict["NAME"]),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            env["RTCPOOL_CHANNEL_PREFIX"] = self.prefix or "asgi"
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> Worker:
        # A deadline for start-up only, not a measure of anything: on a busy 2-core machine
        # (load 13), three workers importing Django at once took over 20 s to listen.
        #
        # The test binds the port and hands the listening socket to the server: a port
        # merely found free may be taken by another process (a parallel test session)
        # before the server binds it, and a readiness check would then talk to that one.
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(1024)  # a storm opens a hundred sockets at once
        fd = str(listener.fileno())
        if self.server == "daphne":
            cmd = [sys.executable, "-m", "daphne", "--fd", fd]
        else:
            cmd = [sys.executable, "-m", "uvicorn", "--fd", fd, "--log-level", "warning"]
        cmd += [*self.server_args, "example_project.asgi:application"]
        self.ended = False
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in _reap)
        with listener:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env(),
                stdout=self._log_file,
                stderr=self._log_file,
                pass_fds=[listener.fileno()],
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.server} exited early:\n{self.log()}")
            if self._answers():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"{self.server} did not answer within {timeout}s:\n{self.log()}")

    def _answers(self) -> bool:
        """Whether the server answers HTTP (the socket accepts connections from the start,
        before the server has imported Django)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"HEAD /rtcpool/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return bool(sock.recv(1))
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def crash(self) -> str | None:
        """What to report if the process exited without the test ending it, else None."""
        if self.ended or self.process is None or self.process.poll() is None:
            return None
        return (
            f"{self.server} on port {self.port} exited by itself "
            f"(code {self.process.returncode}); its log ends:\n{self.log()}"
        )

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        self.ended = True
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reap()

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a process manager stops a worker; waits for it to exit."""
        self.ended = True
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._reap()
        return code

    def stop(self) -> None:
        self.ended = True
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reap()

    def _reap(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def stop_all(workers: list[Worker]) -> None:
    """Stop every worker; then fail the test if one of them had crashed meanwhile (a
    refused connection would otherwise be all the test could say about it)."""
    crashes = [crash for worker in workers if (crash := worker.crash()) is not None]
    for worker in workers:
        worker.stop()
    if crashes:
        pytest.fail("\n\n".join(crashes), pytrace=False)


def start_all(workers: list[Worker]) -> list[Worker]:
    """Start ``workers`` side by side (each spends a second or more importing Django)."""
    with ThreadPoolExecutor(max(1, len(workers))) as pool:
        list(pool.map(lambda worker: worker.start(), workers))
    return workers


def unique_prefix() -> str:
    return f"rtcpooltest{uuid.uuid4().hex[:10]}"


class WSClient(BaseSspClient):
    """An ssp client over a real WebSocket connection."""

    default_timeout = 5.0

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.id: str | None = None

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> WSClient:
        kwargs.setdefault("origin", "http://127.0.0.1")
        kwargs.setdefault("open_timeout", 10)
        # Unbounded: past max_queue unread frames websockets stops reading the socket, so
        # a test client that has not read its notices yet would stop answering the
        # server's keepalive pings and be dropped (daphne: 20 s + 30 s), leaving its pool.
        kwargs.setdefault("max_queue", None)
        return cls(await websockets.connect(url, max_size=None, **kwargs))

    async def send_text(self, text: str) -> None:
        await self.ws.send(text)

    async def send_raw(self, payload: str | bytes) -> None:
        await self.ws.send(payload)

    async def recv(self, timeout: float | None = 5.0) -> dict[str, Any]:
        """The next frame; ``timeout=None`` waits for as long as it takes."""
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def drain(self, timeout: float = 0.3) -> list[dict[str, Any]]:
        frames = []
        while True:
            try:
                frames.append(await self.recv(timeout))
            except TimeoutError:
                return frames

    async def close(self) -> None:
        await self.ws.close()
