"""Fixtures of the browser tests: headless Chromium (Debian's, never a download) driven by
Playwright, pages that load the published RTCPool client from a live daphne worker.

Each page is the example project's demo page, served by the worker itself: the WebSocket
then comes from the worker's own origin (the example project's
``AllowedHostsOriginValidator``) and from a loopback page (Chromium's local network access
checks block a page of unknown origin from reaching 127.0.0.1). The demo page loads the
client bundle (``rtcpool_django/static/rtcpool_django/rtcpool.js``) and does nothing until
its form is used; the tests add ``harness.js`` from this folder and drive the client
through it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import playwright.sync_api as playwright_sync
import pytest
from django.db import connections

from tests.live import unique_prefix

HERE = Path(__file__).resolve().parent
HARNESS = (HERE / "harness.js").read_text()
CHROMIUM = os.environ.get("RTCPOOL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps dialling Google, and this closed network refuses it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Fake camera and microphone, granted without a prompt.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
WAIT_MS = 20_000
REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an asyncio loop current in this thread while the browser
    is open, and Django then refuses the ORM here (the database flush after each test).
    No coroutine of ours runs on that loop, so it is safe; set for the browser tests only,
    so that the rest of the suite (and the workers, see ``tests.live``) keep the check."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def shared_layer(settings) -> dict[str, str]:
    """A Redis channel layer shared by this process and the workers started with the
    returned kwargs (``live_worker(**shared_layer)``), so that the back-end calls of
    :mod:`rtcpool_django.pools` made here reach the pages' consumers."""
    prefix = unique_prefix()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": prefix,
            },
        }
    }
    return {"redis_url": REDIS_URL, "prefix": prefix}


@pytest.fixture
def coturn() -> Iterator[Any]:
    """coturn(secret) -> a running loopback coturn (``tests.coturn.Coturn``); stopped after."""
    from tests.coturn import Coturn

    servers: list[Coturn] = []

    def start(secret: str) -> Coturn:
        server = Coturn(secret).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def backend() -> Any:
    """backend(function, *args) -> its result, called in a thread of its own, as a view or
    the admin would call :mod:`rtcpool_django.pools` (this thread has Playwright's loop)."""

    def call(function: Any, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            try:
                return function(*args, **kwargs)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as executor:
            return executor.submit(run).result(timeout=60)

    return call


class Peer:
    """One page running the client; ``state`` is what the client has told the page."""

    def __init__(self, page: Any, worker: Any) -> None:
        self.page = page
        self.worker = worker

    def join(self, pool: str, *, name: str | None = None, **options: Any) -> Peer:
        url = self.worker.url + (f"?{urlencode({'name': name})}" if name else "")
        self.page.evaluate("([u, p, o]) => peer.join(u, p, o)", [url, pool, options])
        self.wait("s => s.joined")
        return self

    @property
    def id(self) -> str:
        return self.state["id"]

    @property
    def state(self) -> dict[str, Any]:
        return self.page.evaluate("peer.state")

    def connections(self) -> list[str]:
        return self.page.evaluate("peer.pool().connections.map(c => c.id)")

    def wait(self, predicate: str, arg: Any = None) -> None:
        """Wait (bounded) until ``predicate(state, arg)`` holds in the page."""
        try:
            self.page.wait_for_function(
                f"([arg]) => ({predicate})(peer.state, arg)", arg=[arg], timeout=WAIT_MS
            )
        except playwright_sync.TimeoutError:
            raise AssertionError(
                f"page never reached {predicate} (arg {arg!r}); state: {self.state}"
            ) from None

    def wait_js(self, expression: str, arg: Any = None) -> None:
        try:
            self.page.wait_for_function(expression, arg=arg, timeout=WAIT_MS)
        except playwright_sync.TimeoutError:
            raise AssertionError(f"page never reached {expression}; state: {self.state}") from None

    def send(self, to: str, text: str) -> None:
        self.page.evaluate("([to, text]) => peer.send(to, text)", [to, text])


@pytest.fixture
def open_page(browser) -> Iterator[Any]:
    """open_page(worker, harness=True) -> a Peer on a fresh page (own context) of the worker."""
    contexts: list[Any] = []

    def _open(worker: Any, *, harness: bool = True) -> Peer:
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        contexts.append(context)
        page = context.new_page()
        page.goto(worker.http_url + "/")
        if harness:
            page.add_script_tag(content=HARNESS)
        return Peer(page, worker)

    yield _open
    for context in contexts:
        context.close()
