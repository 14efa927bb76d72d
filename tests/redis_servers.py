"""Redis processes of a test's own (never the shared one): a server the test may kill and
restart, a replica of it, and a Sentinel that monitors it (and may fail it over)."""

from __future__ import annotations

import socket
import subprocess
import tempfile
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
    """``redis-server`` on a free port, without persistence: a restart comes back empty.
    With ``replica_of``, a replica of that server."""

    def __init__(self, replica_of: RedisServer | None = None) -> None:
        self.port = free_port()
        self.replica_of = replica_of
        self.process: subprocess.Popen[bytes] | None = None
        self.snapshot = Path(tempfile.gettempdir()) / f"rtcpool-test-redis-{self.port}.rdb"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
                # A replica still writes the snapshot its master sends it: keep it out of
                # the working tree, one file per server.
                *("--dir", tempfile.gettempdir(), "--dbfilename", self.snapshot.name),
                *(
                    ("--replicaof", "127.0.0.1", str(self.replica_of.port))
                    if self.replica_of
                    else ()
                ),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_until(self.port, b"PING\r\n", b"+PONG", self.process)
        if self.replica_of is not None:
            # In sync with its master, so that a Sentinel sees it as a candidate for promotion.
            _wait_until(self.port, b"INFO replication\r\n", b"master_link_status:up", self.process)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.snapshot.unlink(missing_ok=True)


class Sentinel:
    """``redis-server --sentinel`` monitoring ``master`` under ``name``, alone (quorum 1).

    ``down_after_ms`` and ``failover_timeout_ms``, when given, make it fail the master over
    quickly (Redis' defaults are 30 s and 3 min)."""

    def __init__(
        self,
        master: RedisServer,
        directory: Path,
        name: str = "rtcpool",
        *,
        down_after_ms: int | None = None,
        failover_timeout_ms: int | None = None,
    ) -> None:
        self.port = free_port()
        self.name = name
        self.config = directory / f"sentinel-{self.port}.conf"
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {directory}",
            f"sentinel monitor {name} 127.0.0.1 {master.port} 1",
        ]
        if down_after_ms is not None:
            lines.append(f"sentinel down-after-milliseconds {name} {down_after_ms}")
        if failover_timeout_ms is not None:
            lines.append(f"sentinel failover-timeout {name} {failover_timeout_ms}")
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sentinel:
        self.process = subprocess.Popen(
            ["redis-server", str(self.config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        ask = f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode()
        _wait_until(self.port, ask, b"127.0.0.1", self.process)
        return self

    def knows_replica(self, replica: RedisServer) -> bool:
        """Whether this Sentinel has discovered ``replica`` (it may then promote it)."""
        ask = f"SENTINEL replicas {self.name}\r\n".encode()
        return _answers(self.port, ask, f"127.0.0.1:{replica.port}".encode())

    def master_is(self, server: RedisServer) -> bool:
        """Whether this Sentinel names ``server`` as the master now."""
        ask = f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode()
        return _answers(self.port, ask, f"\r\n{server.port}\r\n".encode())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
