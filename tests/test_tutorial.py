"""The tutorial works as written: its files (``docs/tutorial/``, which ``docs/tutorial.rst``
includes) make a new ``startproject`` around the built wheel, and that project, run under
the ``daphne`` command, serves the call page and the client and holds a two-peer call.

Marked ``package`` (``nox -s package`` runs it): it builds the wheel and installs it with
Django, Channels, daphne and WhiteNoise into a new venv outside the repository.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright_sync
import pytest

from .browser.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from .live import WSClient, free_port
from .packaging import ROOT, Venv, dist_dir, only

pytestmark = pytest.mark.package

DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial"
ADDITIONS = TUTORIAL / "settings-additions.py"
BUNDLE = ROOT / "rtcpool_django" / "static" / "rtcpool_django" / "rtcpool.js"


def tutorial_files() -> set[Path]:
    return {
        path for path in TUTORIAL.rglob("*") if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_tutorial_page_includes_every_file_of_the_tutorial_project():
    text = (DOCS / "tutorial.rst").read_text()
    included = {DOCS / name for name in re.findall(r"^\.\. literalinclude:: (\S+)$", text, re.M)}
    assert included == tutorial_files()


class Site:
    """The tutorial's project, built step by step as the page tells, served by daphne."""

    def __init__(self, root: Path, port: int, env: Venv) -> None:
        self.root = root
        self.env = env
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/ws/rtcpool/"

    def manage(self, *args: str) -> str:
        """``python manage.py *args`` in the project; its stdout."""
        return self.env.run(self.env.python, "manage.py", *args, cwd=self.root)

    def get(self, path: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(self.http + path, timeout=10) as response:
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("tutorial")
    env = Venv(work / ".venv")
    # Step 1: the app (here the wheel built from this checkout) and WhiteNoise.
    env.install(str(only(dist_dir(), "*.whl")), "whitenoise")
    env.run(env.bin("django-admin"), "startproject", "mysite", cwd=work)
    project = work / "mysite"
    env.run(env.python, "manage.py", "startapp", "calls", cwd=project)
    # Every file of the tutorial where the page puts it: the settings lines at the end of
    # the generated settings.py, the other files over (or beside) the generated ones.
    settings = project / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + ADDITIONS.read_text())
    for source in tutorial_files() - {ADDITIONS}:
        target = project / source.relative_to(TUTORIAL)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    env.run(env.python, "manage.py", "migrate", "--noinput", "-v", "0", cwd=project)
    env.run(env.python, "manage.py", "check", "--fail-level", "WARNING", cwd=project)
    # What production does before serving with DEBUG off (WhiteNoise then serves this).
    env.run(env.python, "manage.py", "collectstatic", "--noinput", "-v", "0", cwd=project)
    collected = project / "staticfiles" / "rtcpool_django" / "rtcpool.js"
    assert collected.read_bytes() == BUNDLE.read_bytes()

    port = free_port()
    log = (work / "daphne.log").open("wb")
    server = subprocess.Popen(
        [env.bin("daphne"), "-b", "127.0.0.1", "-p", str(port), "mysite.asgi:application"],
        cwd=project,
        env=env.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_listening(server, port, work / "daphne.log")
        yield Site(project, port, env)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()


def wait_for_listening(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # A deadline for start-up only: a busy 2-core machine can take many seconds.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{log.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/call/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not answer within 60 s:\n{log.read_text(errors='replace')}")


def test_the_call_page_and_the_client_it_loads_are_served_by_daphne(site):
    status, content_type, body = site.get("/call/")
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode()
    (script,) = re.findall(r'<script src="([^"]+rtcpool\.js)"', page)
    assert script == "/static/rtcpool_django/rtcpool.js"
    status, content_type, client = site.get(script)
    assert status == 200 and "javascript" in content_type
    assert client == BUNDLE.read_bytes()
    assert 'data-ice-servers="/rtcpool/ice-servers/"' in page


def test_the_ice_servers_view_is_routed(site):
    status, content_type, body = site.get("/rtcpool/ice-servers/?pool=lobby")
    assert status == 200 and content_type == "application/json"
    assert json.loads(body) == {"iceServers": []}  # no TURN configured in the tutorial


async def test_two_peers_meet_and_relay_an_sdp_offer(site):
    ada = await WSClient.connect(site.ws)
    grace = await WSClient.connect(site.ws)
    try:
        joined = await ada.join("lobby")
        assert joined["peers"] == [] and joined["pool"]
        joined = await grace.join("lobby")
        assert joined["peers"] == [ada.id]
        # Step 4's hook named them: anonymous pages are "guest".
        assert joined["descriptions"] == {ada.id: {"name": "guest"}}
        assert (await ada.expect("rtc:peer"))["id"] == grace.id
        described = await ada.expect("rtc:describe")
        assert described["id"] == grace.id and described["description"] == {"name": "guest"}

        offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}
        await grace.sdp(ada.id, offer)
        relayed = await ada.expect("rtc:sdp")
        assert relayed["description"] == offer and relayed["peer"] == grace.id
        answer = {"type": "answer", "sdp": "v=0\r\n"}
        await ada.sdp(grace.id, answer)
        assert (await grace.expect("rtc:sdp"))["description"] == answer
    finally:
        await ada.close()
        await grace.close()


def test_two_browser_windows_call_each_other_on_the_call_page(site):
    """Step 3's promise, in Chromium with a fake camera: each window shows the other."""
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            windows = [browser.new_context().new_page() for _ in range(2)]
            errors: list[str] = []
            for page in windows:
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(site.http + "/call/")
            for page in windows:
                page.click("button")
                page.wait_for_selector("#status:has-text('In room lobby.')", timeout=WAIT_MS)
            for page in windows:
                page.wait_for_function(
                    """() => [...document.querySelectorAll('#tiles figure')].some(tile =>
                         tile.querySelector('figcaption').textContent === 'guest' &&
                         tile.querySelector('video').videoWidth > 0)""",
                    timeout=WAIT_MS,
                )
            assert errors == []
        finally:
            browser.close()


async def test_an_invitation_admits_to_a_token_only_room_and_nobody_else(site):
    """Step 6: a token-only room refuses pages without a token; the invitation page of a
    signed-in user, and a token printed by rtcpool_token, join it, named by the token."""
    site.manage(
        "shell",
        "-c",
        "from rtcpool_django import pools; pools.create_pool('board', access='token');"
        "from django.contrib.auth.models import User;"
        "User.objects.create_superuser('ada', '', 'pw', first_name='Ada')",
    )
    status, _, body = site.get("/rtcpool/ice-servers/?pool=board")
    assert (status, json.loads(body)["error"]["reason"]) == (403, "token_required")
    kiosk_token = site.manage("rtcpool_token", "board", "--description", '{"name": "Kiosk"}')
    assert site.get(f"/rtcpool/ice-servers/?pool=board&token={kiosk_token.strip()}")[0] == 200

    # Ada signs in through the admin's login page and opens her invitation.
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = browser.open(f"{site.http}/invited/board/", timeout=10)
    assert "/admin/login/" in login.url  # not signed in: sent to the login page first
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.read().decode())
    assert csrf is not None
    form = {"username": "ada", "password": "pw", "csrfmiddlewaretoken": csrf[1]}
    form["next"] = "/invited/board/"
    page = browser.open(login.url, data=urllib.parse.urlencode(form).encode(), timeout=10)
    assert page.url.endswith("/invited/board/")
    literal = re.search(r'const token = ("[^"]+");', page.read().decode())
    assert literal is not None
    # The page's JavaScript string literal (escapejs writes "-" as \u002D, as JSON would
    # read it): the token is what the browser's script gets, not the escaped source.
    token = json.loads(literal[1])

    stranger = await WSClient.connect(site.ws)
    ada = await WSClient.connect(f"{site.ws}?token={token}")
    kiosk = await WSClient.connect(f"{site.ws}?token={kiosk_token.strip()}")
    try:
        await stranger.send("rtc:join", {"pool": "board"})
        await stranger.error("token_required")
        assert (await ada.join("board"))["pool"] == "board"
        joined = await kiosk.join("board")
        assert joined["descriptions"] == {ada.id: {"name": "Ada"}}
        described = (await ada.expect("rtc:peer"), await ada.expect("rtc:describe"))
        assert described[1]["description"] == {"name": "Kiosk"}
    finally:
        for client in (stranger, ada, kiosk):
            await client.close()
