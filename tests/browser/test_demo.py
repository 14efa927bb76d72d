"""The example project's demo call page, in Chromium with a fake camera and microphone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtcpool_django import pools

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "artifacts" / "demo-call.png"


def join_call(page, room: str, name: str) -> None:
    page.fill("#room", room)
    page.fill("#name", name)
    page.click("#join")


def wait_for_tile(page, name: str) -> None:
    """A remote tile labelled ``name`` whose video is playing frames from the other page."""
    page.wait_for_function(
        """name => [...document.querySelectorAll('.tile.remote')].some(tile =>
             tile.querySelector('.name').textContent === name &&
             tile.querySelector('video').videoWidth > 0 &&
             tile.querySelector('video').srcObject.getAudioTracks().length === 1)""",
        arg=name,
        timeout=20_000,
    )


def test_two_pages_call_each_other_on_the_demo_page(live_worker, open_page, shared_layer, backend):
    worker = live_worker(**shared_layer)
    ada, grace = (open_page(worker, harness=False).page for _ in range(2))
    errors = []
    for page in (ada, grace):
        page.on("pageerror", lambda error: errors.append(str(error)))

    join_call(ada, "standup", "Ada")
    ada.wait_for_selector("#status:has-text('with 0 other people')")
    join_call(grace, "standup", "Grace")

    wait_for_tile(ada, "Grace")
    wait_for_tile(grace, "Ada")
    for page in (ada, grace):
        page.wait_for_selector("#status:has-text('with 1 other person')")
        assert page.locator(".tile").count() == 2  # the local one and the other page
    assert ada.locator(".tile.local .name").text_content() == "Ada (you)"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    ada.screenshot(path=SCREENSHOT, full_page=True)

    grace.click("#leave")
    grace.wait_for_selector("#status:has-text('You left the room.')")
    ada.wait_for_function("() => document.querySelectorAll('.tile.remote').length === 0")
    ada.wait_for_selector("#status:has-text('with 0 other people')")

    assert backend(pools.close_pool, "standup") == 1
    ada.wait_for_selector("#status:has-text('The room was closed by the site.')")
    assert ada.locator(".tile").count() == 0
    assert ada.locator("#join").is_visible()
    assert errors == []


def test_a_kicked_page_is_told_it_was_removed(live_worker, open_page, shared_layer, backend):
    worker = live_worker(**shared_layer)
    ada, grace = (open_page(worker, harness=False).page for _ in range(2))
    join_call(ada, "standup", "Ada")
    ada.wait_for_selector("#status:has-text('with 0 other people')")
    join_call(grace, "standup", "Grace")
    grace.wait_for_selector("#status:has-text('with 1 other person')")

    (grace_peer,) = [
        peer
        for peer in backend(lambda: list(pools.live_peers("standup")))
        if peer.description == {"name": "Grace"}
    ]
    assert backend(pools.kick, grace_peer) is True
    grace.wait_for_selector("#status:has-text('You were removed from the room.')")
    assert grace.locator(".tile").count() == 0
    ada.wait_for_selector("#status:has-text('with 0 other people')")  # Ada stays in the room


def test_a_closed_room_says_so_before_asking_for_the_camera(live_worker, open_page, backend):
    worker = live_worker()
    backend(pools.create_pool, "retired", is_open=False)
    page = open_page(worker, harness=False).page
    join_call(page, "retired", "Ada")
    page.wait_for_selector("#status:has-text('Could not join: The pool is closed.')")
    assert page.locator("#join").is_visible()


def test_signed_in_pages_join_with_a_token_named_by_their_account(
    live_worker, open_page, shared_layer, backend
):
    """In production the example project's rooms admit join tokens only: a signed-in page
    gets one from the demo's view and is named as its account says; an anonymous page is
    told that the room needs a token."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from rtcpool_django.models import Peer

    worker = live_worker(**shared_layer, extra_env={"RTCPOOL_DEFAULT_ACCESS": "token"})

    def signed_in_page(username: str, full_name: str):
        first, last = full_name.split()
        user = backend(
            get_user_model().objects.create_user, username, first_name=first, last_name=last
        )
        browser = Client()
        backend(browser.force_login, user)
        page = open_page(worker, harness=False).page
        cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": worker.http_url}]
        )
        page.reload()
        assert full_name in page.text_content("#account")
        return page, user

    ada, ada_user = signed_in_page("ada", "Ada Lovelace")
    grace, _ = signed_in_page("grace", "Grace Hopper")
    stranger = open_page(worker, harness=False).page

    join_call(stranger, "standup", "Mallory")
    stranger.wait_for_selector("#status:has-text('join token')")

    for page in (ada, grace):
        page.fill("#room", "standup")
        page.click("#join")
    wait_for_tile(ada, "Grace Hopper")
    wait_for_tile(grace, "Ada Lovelace")
    assert ada.locator(".tile.local .name").text_content() == "Ada Lovelace (you)"
    peers = backend(lambda: sorted(Peer.objects.values_list("user__username", "description")))
    assert peers == [("ada", {"name": "Ada Lovelace"}), ("grace", {"name": "Grace Hopper"})]
    assert ada_user.pk in backend(lambda: list(Peer.objects.values_list("user_id", flat=True)))


def test_a_relay_that_crossed_a_departure_leaves_the_status_alone(live_worker, open_page):
    # A kicked or closed peer's last offer, answer or candidate can cross its rtc:close:
    # the server answers unknown_peer after the rtc:close (seen when a page was kicked
    # while the other was answering its offer). The page must still say who is in the room.
    worker = live_worker()
    ada = open_page(worker, harness=False).page
    sockets = []

    def forward(ws) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    ada.route_web_socket("**/ws/rtcpool/**", forward)
    join_call(ada, "standup", "Ada")
    ada.wait_for_selector("#status:has-text('with 0 other people')")
    (socket,) = sockets
    ada.evaluate(
        """() => {
             window.statuses = [];
             const status = document.getElementById("status");
             new MutationObserver(() => window.statuses.push(status.textContent))
               .observe(status, { childList: true, characterData: true, subtree: true });
           }"""
    )
    reply = {"message": "No peer 'gone' is in your pool.", "reason": "unknown_peer"}
    socket.send(json.dumps({"type": "rtc:error", "data": reply}))
    bad = {"message": "Frames must be JSON.", "reason": "invalid_json"}
    socket.send(json.dumps({"type": "rtc:error", "data": bad}))
    # Every other error is still shown: the second frame arrived and was handled.
    ada.wait_for_selector("#status:has-text('The server said: Frames must be JSON.')")
    assert ada.evaluate("window.statuses") == ["The server said: Frames must be JSON."]
