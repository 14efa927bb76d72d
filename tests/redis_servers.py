"""Redis processes of a test's own (never the shared one): a server the test may kill and
restart, and a Sentinel that monitors it."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from .live import free_port


def _answers(port: int, command: bytes, expect: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(command)
            return expect in sock.recv(4096)
    except OSError:
        return False


def _wait_until(port: int, command: bytes, expect: bytes, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while not _answers(port, command, expect):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis on port {port} did not start")
        time.sleep(0.05)


class RedisServer:
    """``redis-server`` on a free port, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_until(self.port, b"PING\r\n", b"+PONG", self.process)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


class Sentinel:
    """``redis-server --sentinel`` monitoring ``master`` under ``name``."""

    def __init__(self, master: RedisServer, directory: Path, name: str = "rtcpool") -> None:
        self.port = free_port()
        self.name = name
        self.config = directory / f"sentinel-{self.port}.conf"
        self.config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {directory}\n"
            f"sentinel monitor {name} 127.0.0.1 {master.port} 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sentinel:
        self.process = subprocess.Popen(
            ["redis-server", str(self.config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        ask = f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode()
        _wait_until(self.port, ask, b"127.0.0.1", self.process)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
