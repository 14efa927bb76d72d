"""The back-end acts through rtcpool_django.pools; the real client in Chromium sees it."""

from __future__ import annotations

import pytest

from rtcpool_django import pools

from .test_mesh import assert_no_client_errors, exchange, mesh

pytestmark = pytest.mark.browser


def test_a_backend_describe_shows_up_in_the_other_pages(
    live_worker, open_page, shared_layer, backend
):
    worker = live_worker(**shared_layer)
    peers = [open_page(worker) for _ in range(3)]
    ids = mesh(peers, pool="described")
    described, *others = peers

    backend(pools.describe, described.id, {"name": "Ada", "role": "host"})

    for peer in others:
        peer.wait(
            "(s, id) => s.descriptions[id] && s.descriptions[id].name === 'Ada'", described.id
        )
        assert peer.state["descriptions"][described.id] == {"name": "Ada", "role": "host"}
    # A page that joins afterwards learns the stored description with the pool's roster.
    newcomer = open_page(worker).join("described")
    newcomer.wait("(s, id) => s.descriptions[id] && s.descriptions[id].name === 'Ada'", ids[0])
    exchange(peers)
    for peer in [*peers, newcomer]:
        # The described page was never told about itself (the client would throw).
        assert_no_client_errors(peer)


def test_initial_descriptions_reach_earlier_and_later_peers(live_worker, open_page):
    """The example project's INITIAL_DESCRIPTION hook names a peer from ?name=; an earlier
    peer learns it after rtc:peer (rtc:describe), a later one in rtc:joined."""
    worker = live_worker()
    first = open_page(worker).join("named", name="Grace")
    second = open_page(worker).join("named", name="Linus")
    third = open_page(worker).join("named")
    for peer, expected in [
        (first, {second.id: {"name": "Linus"}, third.id: None}),
        (second, {first.id: {"name": "Grace"}, third.id: None}),
        (third, {first.id: {"name": "Grace"}, second.id: {"name": "Linus"}}),
    ]:
        peer.wait(
            "(s, expected) => Object.keys(expected).every("
            "id => JSON.stringify(s.descriptions[id]) === JSON.stringify(expected[id]))",
            expected,
        )
        assert peer.state["descriptions"] == expected
        assert_no_client_errors(peer)


def test_closing_the_pool_from_the_backend_stops_every_page(
    live_worker, open_page, shared_layer, backend
):
    workers = [live_worker(**shared_layer) for _ in range(2)]
    peers = [open_page(workers[i % 2]) for i in range(3)]
    mesh(peers, pool="closing")

    assert backend(pools.close_pool, "closing") == 3

    for peer in peers:
        peer.wait("s => s.stopped && s.socketClosed")
        assert peer.connections() == []
        assert_no_client_errors(peer)
