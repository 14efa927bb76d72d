"""The published RTCPool 3.0.2 client, unmodified, in headless Chromium against daphne."""

from __future__ import annotations

import itertools

import pytest

from tests.live import unique_prefix

from .conftest import REDIS_URL

pytestmark = pytest.mark.browser


def assert_no_client_errors(peer):
    state = peer.state
    frames = "\n".join([f"client {state['id']}:", *state["frames"]])
    assert state["errors"] == [], frames
    assert state["serverErrors"] == [], frames


def mesh(peers, pool="mesh"):
    """Join each page in turn; each later joiner opens the data channels (see README: glare)."""
    for peer in peers:
        peer.join(pool, openChannels=True)
    ids = [peer.id for peer in peers]
    assert len(set(ids)) == len(ids)
    for peer in peers:
        others = sorted(set(ids) - {peer.id})
        peer.wait_js("others => others.every(id => peer.openChannels().includes(id))", others)
    return ids


def exchange(peers):
    """Every pair sends one message each way over its data channel; all arrive."""
    for a, b in itertools.permutations(peers, 2):
        a.send(b.id, f"{a.id}->{b.id}")
    for b in peers:
        for a in peers:
            if a is not b:
                b.wait(
                    "(s, [from, text]) => (s.received[from] || []).includes(text)",
                    [a.id, f"{a.id}->{b.id}"],
                )
    for peer in peers:
        assert_no_client_errors(peer)


def test_three_peers_build_a_data_channel_mesh(live_worker, open_page):
    worker = live_worker()
    peers = [open_page(worker) for _ in range(3)]
    mesh(peers)
    exchange(peers)


def test_four_peers_receive_each_others_camera_and_microphone(live_worker, open_page):
    worker = live_worker()
    peers = [open_page(worker) for _ in range(4)]
    for peer in peers:
        peer.join("media", media=True)
    for peer in peers:
        others = [p.id for p in peers if p is not peer]
        peer.wait(
            "(s, others) => others.every(id => ['audio', 'video'].every("
            "kind => (s.tracks[id] || []).includes(kind)))",
            others,
        )
        assert_no_client_errors(peer)


def test_peers_on_two_workers_build_one_mesh(live_worker, open_page):
    prefix = unique_prefix()
    workers = [live_worker(redis_url=REDIS_URL, prefix=prefix) for _ in range(2)]
    peers = [open_page(workers[i % 2]) for i in range(3)]
    mesh(peers, pool="spread")
    exchange(peers)


def test_a_closed_page_leaves_and_the_others_keep_working(live_worker, open_page):
    worker = live_worker()
    peers = [open_page(worker) for _ in range(3)]
    mesh(peers)
    gone, *rest = peers
    gone_id = gone.id
    gone.page.close()
    for peer in rest:
        peer.wait_js("gone => !peer.pool().connections.some(c => c.id === gone)", gone_id)
        assert gone_id in peer.state["left"]
    exchange(rest)
    newcomer = open_page(worker)
    newcomer.join("mesh", openChannels=True)
    everyone = [*rest, newcomer]
    for peer in everyone:
        others = [p.id for p in everyone if p is not peer]
        peer.wait_js("others => others.every(id => peer.openChannels().includes(id))", others)
    exchange(everyone)
