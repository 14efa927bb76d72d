"""A real webhook receiver on loopback for the tests: an ``http.server`` in a thread that
answers from a script (500 for a while, a stall past the sender's timeout, then 200), and
keeps every request it got, verified with ``standardwebhooks`` as a site would."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Request:
    """One request as received, with the verdict of its signature and the answer given."""

    id: str
    timestamp: str
    payload: dict[str, Any] | None
    verified: bool
    status: int
    received: float
    body: bytes = b""

    @property
    def type(self) -> str:
        return (self.payload or {}).get("type", "")

    def log_line(self) -> str:
        payload = self.payload or {}
        data = payload.get("data", {})
        return (
            f"{time.strftime('%H:%M:%S', time.gmtime(self.received))}"
            f".{int(self.received % 1 * 1000):03d} {self.status} {self.id} "
            f"{payload.get('type')} pool={data.get('pool')} peer={data.get('peer_id', '-')} "
            f"reason={data.get('reason', '-')} signature={'ok' if self.verified else 'BAD'}"
        )


@dataclass
class Receiver:
    """Serves on 127.0.0.1; ``script`` is the status per request in turn ("stall" sleeps
    ``stall_seconds`` then answers 200), then ``default`` for ever."""

    secret: str
    script: list[int | str] = field(default_factory=list)
    stall_seconds: float = 3.0
    requests: list[Request] = field(default_factory=list)
    default: int = 200

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: Iterator[int | str] = iter(self.script)
        self._stall = threading.Event()
        #: Set when a request comes in that is answered "stall": a delivery in progress.
        self.stalling = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    answer = next(receiver._answers, receiver.default)
                if answer == "stall":
                    receiver.stalling.set()
                    receiver._stall.wait(receiver.stall_seconds)
                    answer = 200
                assert isinstance(answer, int)
                receiver._record(body, dict(self.headers), answer)
                try:
                    self.send_response(answer)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up on this attempt

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/"

    def endpoint(self, **extra: Any) -> dict[str, Any]:
        return {"URL": self.url, "SECRET": self.secret, **extra}

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def release(self) -> None:
        """End every stall now."""
        self._stall.set()

    def stop(self) -> None:
        self._stall.set()
        self.server.shutdown()
        self.server.server_close()

    def _record(self, body: bytes, headers: dict[str, str], status: int) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            payload = Webhook(self.secret).verify(body, lowered)
            verified = True
        except WebhookVerificationError:
            payload, verified = json.loads(body or b"null"), False
        with self._lock:
            self.requests.append(
                Request(
                    id=lowered.get("webhook-id", ""),
                    timestamp=lowered.get("webhook-timestamp", ""),
                    payload=payload,
                    verified=verified,
                    status=status,
                    received=time.time(),
                    body=body,
                )
            )

    # --- what a receiver makes of it -----------------------------------------------------

    def accepted(self) -> list[Request]:
        """The requests answered 2xx, each event once (de-duplicated by id), in arrival order."""
        seen: set[str] = set()
        unique = []
        with self._lock:
            requests = list(self.requests)
        for request in requests:
            if 200 <= request.status < 300 and request.id not in seen:
                seen.add(request.id)
                unique.append(request)
        return unique

    def events(self, pool: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of the accepted events, of one pool if given."""
        return [
            (r.payload["type"], r.payload["data"])
            for r in self.accepted()
            if r.payload and (pool is None or r.payload["data"].get("pool") == pool)
        ]
