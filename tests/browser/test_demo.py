"""The example project's demo call page, in Chromium with a fake camera and microphone."""

from __future__ import annotations

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
