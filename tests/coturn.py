"""A real coturn TURN server for the tests, on loopback, with the TURN REST API scheme.

Started the way the README tells a site to configure coturn (``use-auth-secret`` with a
``static-auth-secret``), plus what a loopback-only test needs: listening and relaying on
127.0.0.1 and ``allow-loopback-peers`` (never in production: it lets clients relay to the
server's own loopback services). Ports are free ones, never 3478, so a system coturn or a
parallel run does not collide; its log goes to ``artifacts/logs/``.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .live import LOG_DIR

TURNSERVER = "turnserver"
REALM = "rtcpool.test"


def free_udp_and_tcp_port() -> int:
    """A loopback port free for both UDP and TCP (coturn listens on both)."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


class Coturn:
    """One ``turnserver`` process; ``url`` is its TURN URL over UDP."""

    def __init__(self, secret: str) -> None:
        if shutil.which(TURNSERVER) is None:
            raise RuntimeError("turnserver not found: apt-get install coturn (.ci/run does)")
        self.secret = secret
        self.port = free_udp_and_tcp_port()
        # Relay ports below Linux's ephemeral range (32768+), which other programs' sockets
        # take from, and a random range of its own for each server.
        self.min_port = random.randrange(20000, 32000, 200)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"coturn-{self.port}.log"
        self.work_dir = LOG_DIR / f"coturn-{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def command(self) -> list[str]:
        return [
            TURNSERVER,
            "-n",  # no configuration file: everything is on this line
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            f"--realm={REALM}",
            "--listening-ip=127.0.0.1",
            f"--listening-port={self.port}",
            "--relay-ip=127.0.0.1",
            f"--min-port={self.min_port}",
            f"--max-port={self.min_port + 199}",
            "--no-tls",
            "--no-dtls",
            "--allow-loopback-peers",
            "--no-cli",
            "--verbose",  # one line per allocation, permission and auth failure
            f"--log-file={self.log_path}",
            "--simple-log",  # exactly that file name, no date suffix
            "--no-stdout-log",
            # Its own files, not /var/lib/turn/turndb and /var/run/turnserver.pid.
            f"--userdb={self.work_dir / 'turndb'}",
            f"--pidfile={self.work_dir / 'turnserver.pid'}",
        ]

    def start(self, timeout: float = 10.0) -> Coturn:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.unlink(missing_ok=True)  # coturn appends; a reused port's old log would lie
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited early:\n{self.log()}")
            if "UDP listener opened" in self.log():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"turnserver did not listen within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        path = Path(self.log_path)
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
