"""TURN for real: coturn with use-auth-secret, credentials from the ice-servers view, and the
published client in Chromium forced to relay (``iceTransportPolicy: "relay"``)."""

from __future__ import annotations

import re
import time

import pytest

from rtcpool_django import pools

from .test_demo import join_call
from .test_mesh import assert_no_client_errors

pytestmark = pytest.mark.browser

SECRET = "correct-horse-battery-staple"
# How long two pages with refused credentials get to prove they cannot connect. Relay-only
# pages with good credentials open their channels in well under a second here.
REFUSED_WAIT_MS = 8_000


def turn_worker(live_worker, server, secret: str):
    """A worker of the example project whose ice-servers view mints with ``secret``."""
    return live_worker(extra_env={"RTCPOOL_TURN_SECRET": secret, "RTCPOOL_TURN_URLS": server.url})


def fetch_ice_servers(peer, pool: str) -> list[dict]:
    """What the page gets from the view, fetched by the page itself (its own origin)."""
    answer = peer.page.evaluate(
        """async pool => {
             const response = await fetch(`/rtcpool/ice-servers/?pool=${pool}`);
             return {status: response.status, body: await response.json()};
           }""",
        pool,
    )
    assert answer["status"] == 200, answer
    return answer["body"]["iceServers"]


def join_relayed(peers, server, pool: str) -> list[str]:
    """Each page joins relay-only with its own credentials; returns their TURN usernames."""
    usernames = []
    for index, peer in enumerate(peers):
        ice_servers = fetch_ice_servers(peer, pool)
        (entry,) = ice_servers
        assert entry["urls"] == [server.url]
        assert set(entry) == {"urls", "username", "credential"}
        usernames.append(entry["username"])
        config = {"iceServers": ice_servers, "iceTransportPolicy": "relay"}
        # The later joiner opens the data channel (see README: glare).
        peer.join(pool, rtcConfig=config, openChannels=index > 0)
    return usernames


def test_two_pages_connect_through_coturn_with_credentials_from_the_view(
    live_worker, open_page, coturn
):
    server = coturn(SECRET)
    worker = turn_worker(live_worker, server, SECRET)
    a, b = open_page(worker), open_page(worker)
    usernames = join_relayed([a, b], server, "relayed")

    for peer, other in ((a, b), (b, a)):
        peer.wait_js("id => peer.openChannels().includes(id)", other.id)
    a.send(b.id, "through the relay")
    b.send(a.id, "and back")
    b.wait("(s, id) => (s.received[id] || []).includes('through the relay')", a.id)
    a.wait("(s, id) => (s.received[id] || []).includes('and back')", b.id)
    for peer, other in ((a, b), (b, a)):
        assert_no_client_errors(peer)
        # ICE chose relay candidates on both ends: the bytes went through coturn.
        selected = peer.page.evaluate("id => peer.selectedCandidates(id)", other.id)
        assert selected == {"local": "relay", "remote": "relay"}

    log = server.log()
    for username in usernames:
        assert f"username=<{username}>" in log  # a new session under the view's username
        assert re.search(
            rf"user <{re.escape(username)}>: incoming packet ALLOCATE processed, success", log
        )
    assert "CHANNEL_BIND processed, success" in log or "SEND processed, success" in log


def test_with_a_wrong_secret_the_pages_do_not_connect(live_worker, open_page, coturn):
    server = coturn(SECRET)
    worker = turn_worker(live_worker, server, "not-the-secret")
    a, b = open_page(worker), open_page(worker)
    usernames = join_relayed([a, b], server, "refused")
    # Both pages know each other (signalling works)...
    a.wait("(s, id) => s.peers.includes(id)", b.id)
    b.wait("(s, id) => s.peers.includes(id)", a.id)
    # ...but no data channel opens: relay-only, and coturn refuses every allocation.
    a.page.wait_for_timeout(REFUSED_WAIT_MS)
    assert a.page.evaluate("peer.openChannels()") == []
    assert b.page.evaluate("peer.openChannels()") == []

    log = server.log()
    for username in usernames:
        assert re.search(rf"user <{re.escape(username)}>: .*error 401: Unauthorized", log), log
        assert f"username=<{username}>" not in log  # no session was ever created for it
    assert "ALLOCATE processed, success" not in log


# Wraps the page's RTCPeerConnection: records each configuration the page passes, and makes
# the browser relay-only without the page knowing. Left on "all", Chromium stops gathering
# once a host pair is writable (it does not gather continually), which on one machine can
# come before its relay phase: the demo page would then never ask coturn for anything.
RECORD_AND_RELAY = """() => {
  window.rtcConfigs = [];
  window.rtcConnections = [];
  const Real = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config) {
    window.rtcConfigs.push(config);
    const connection = new Real({ ...config, iceTransportPolicy: "relay" });
    window.rtcConnections.push(connection);
    return connection;
  };
  window.RTCPeerConnection.prototype = Real.prototype;
}"""


def test_the_demo_page_passes_the_views_turn_server_to_the_client(
    live_worker, open_page, shared_layer, coturn, backend
):
    server = coturn(SECRET)
    worker = live_worker(
        **shared_layer,
        extra_env={"RTCPOOL_TURN_SECRET": SECRET, "RTCPOOL_TURN_URLS": server.url},
    )
    ada, grace = (open_page(worker, harness=False).page for _ in range(2))
    answers = []
    for page, name in ((ada, "Ada"), (grace, "Grace")):
        page.evaluate(RECORD_AND_RELAY)
        with page.expect_response(lambda r: "/rtcpool/ice-servers/" in r.url) as answer:
            join_call(page, "standup", name)
        assert answer.value.url == f"{worker.http_url}/rtcpool/ice-servers/?pool=standup"
        (entry,) = answer.value.json()["iceServers"]
        assert entry["urls"] == [server.url]
        answers.append(entry)
        page.wait_for_selector("#status:has-text('In room')")
    for page in (ada, grace):
        page.wait_for_selector("#status:has-text('with 1 other person')")
    # Each page gave the client exactly what the view answered it...
    for page, entry in zip((ada, grace), answers, strict=True):
        assert page.evaluate("window.rtcConfigs") == [{"iceServers": [entry]}]
    # ...and with relay the only way, the call connects through coturn under both
    # credentials: each page allocated, and ICE connected (through the relay, the only way).
    for entry in answers:
        wait_for_session(server, entry["username"])
    for page in (ada, grace):
        page.wait_for_function(
            "() => ['connected', 'completed'].includes(window.rtcConnections[0].iceConnectionState)"
        )
    assert set(sessions(server)) == {entry["username"] for entry in answers}
    log = server.log()
    assert "CHANNEL_BIND processed, success" in log or "SEND processed, success" in log
    backend(pools.close_pool, "standup")


def sessions(server) -> list[str]:
    """The usernames of the sessions coturn has opened (successful allocations)."""
    return re.findall(r"new, realm=<[^>]*>, username=<([^>]+)>", server.log())


def wait_for_session(server, username: str) -> None:
    """Wait (bounded) until coturn has opened a session for ``username``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if username in sessions(server):
            return
        time.sleep(0.2)
    raise AssertionError(f"coturn opened no session for {username}:\n{server.log()[-3000:]}")


def test_the_demo_page_says_why_when_the_view_refuses(live_worker, open_page, backend):
    worker = live_worker()
    # Anonymous pages may not join it, and a private pool hides itself: the ICE view
    # answers the join's own reason, pool_not_found.
    backend(pools.create_pool, "board", private=True)
    page = open_page(worker, harness=False).page
    join_call(page, "board", "Eve")
    page.wait_for_selector("#status:has-text('Could not join: There is no pool with that name')")
    assert page.locator("#join").is_visible()
