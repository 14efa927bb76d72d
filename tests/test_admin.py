"""The admin, driven by Django's test client as staff, observed by WebSocket peers."""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from rtcpool_django import pools
from rtcpool_django.models import Peer, Pool


@pytest.fixture
async def staff(transactional_db):
    """A Django test client logged in as a superuser; its calls run in a thread."""
    user = await sync_to_async(get_user_model().objects.create_superuser)("admin", "", "pw")
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


def call(client: Client, method: str, url: str, data=None):
    return sync_to_async(getattr(client, method))(url, data or {})


async def pool_of_three(connect, name: str = "room"):
    a, b, c = await connect(), await connect(), await connect()
    for client in (a, b, c):
        await client.join(name)
    await a.drain()
    await b.drain()
    return a, b, c


def pool_form(pool: Pool, peers: list[Peer], **changes) -> dict[str, str]:
    """The POST data of the pool change page as rendered, with ``changes`` applied."""
    data = {
        "name": pool.name,
        "max_peers": "" if pool.max_peers is None else str(pool.max_peers),
        "access": pool.access,
        "peers-TOTAL_FORMS": str(len(peers)),
        "peers-INITIAL_FORMS": str(len(peers)),
        "peers-MIN_NUM_FORMS": "0",
        "peers-MAX_NUM_FORMS": "1000",
    }
    if pool.is_open:
        data["is_open"] = "on"
    if pool.private:
        data["private"] = "on"
    for i, peer in enumerate(peers):
        data[f"peers-{i}-id"] = str(peer.pk)
        data[f"peers-{i}-pool"] = str(pool.pk)
        data[f"peers-{i}-description"] = json.dumps(peer.description)
    data.update(changes)
    return data


async def test_changelist_shows_peer_count_state_and_searches(connect, staff):
    await pool_of_three(connect, "busy-room")
    await pools.acreate_pool("quiet-room", is_open=False)
    url = reverse("admin:rtcpool_django_pool_changelist")
    response = await call(staff, "get", url)
    assert response.status_code == 200
    rows = {pool.name: pool for pool in response.context["cl"].result_list}
    assert rows["busy-room"].peer_count == 3 and rows["quiet-room"].peer_count == 0
    html = response.content.decode()
    assert "Live peers" in html and "Created" in html
    assert 'class="field-peer_count">3<' in html
    assert 'class="field-is_open"><img src="/static/admin/img/icon-no.svg" alt="False"' in html

    response = await call(staff, "get", url, {"q": "busy"})
    assert [p.name for p in response.context["cl"].result_list] == ["busy-room"]


async def test_pool_page_lists_live_peers_inline(connect, staff):
    a, b, c = await pool_of_three(connect)
    await pools.adescribe(b.id, {"name": "Bea"})
    pool = await pools.aget_pool("room")
    response = await call(staff, "get", reverse("admin:rtcpool_django_pool_change", args=[pool.pk]))
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert [str(form.instance.pk) for form in formset.formset.forms] == [a.id, b.id, c.id]
    html = response.content.decode()
    for peer_id in (a.id, b.id, c.id):
        assert peer_id in html
    assert "&quot;name&quot;: &quot;Bea&quot;" in html  # the description, editable
    assert "worker" in html.lower() and "joined" in html.lower()


async def test_editing_a_description_inline_sends_rtc_describe(connect, staff):
    a, b, c = await pool_of_three(connect)
    pool = await pools.aget_pool("room")
    peers = await pools.alive_peers(pool)
    url = reverse("admin:rtcpool_django_pool_change", args=[pool.pk])
    response = await call(
        staff, "post", url, pool_form(pool, peers, **{"peers-1-description": '{"name": "Bea"}'})
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    for client in (a, c):
        assert await client.expect("rtc:describe") == {
            "id": b.id,
            "uid": b.id,
            "description": {"name": "Bea"},
        }
    await b.nothing()
    assert (await Peer.objects.aget(pk=b.id)).description == {"name": "Bea"}
    # Unchanged descriptions announce nothing.
    await a.nothing()
    await c.nothing()


async def test_saving_the_pool_page_after_a_peer_left_skips_that_peer(connect, staff):
    a, b, c = await pool_of_three(connect)
    pool = await pools.aget_pool("room")
    data = pool_form(pool, await pools.alive_peers(pool), **{"peers-2-description": '"new"'})
    await b.close()  # b leaves while the page is open
    assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
    await c.expect("rtc:close")
    url = reverse("admin:rtcpool_django_pool_change", args=[pool.pk])
    response = await call(staff, "post", url, data)
    assert response.status_code == 302, response.context["errors"]
    assert await a.expect("rtc:describe") == {"id": c.id, "uid": c.id, "description": "new"}


async def test_deleting_a_peer_inline_kicks_it(connect, staff):
    a, b, c = await pool_of_three(connect)
    pool = await pools.aget_pool("room")
    peers = await pools.alive_peers(pool)
    url = reverse("admin:rtcpool_django_pool_change", args=[pool.pk])
    response = await call(staff, "post", url, pool_form(pool, peers, **{"peers-0-DELETE": "on"}))
    assert response.status_code == 302
    assert await a.recv() == {"type": "rtc:stop", "data": {}}
    assert await a.closed_by_server() == 4001
    for client in (b, c):
        assert await client.expect("rtc:close") == {"id": a.id, "uid": a.id}


async def test_unticking_open_closes_the_pool(connect, staff):
    a, b, c = await pool_of_three(connect)
    pool = await pools.aget_pool("room")
    peers = await pools.alive_peers(pool)
    data = pool_form(pool, peers)
    del data["is_open"]
    response = await call(
        staff, "post", reverse("admin:rtcpool_django_pool_change", args=[pool.pk]), data
    )
    assert response.status_code == 302
    for client in (a, b, c):
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
    assert await Peer.objects.acount() == 0


async def test_action_close_selected_pools(connect, staff):
    a, b, c = await pool_of_three(connect)
    other = await connect()
    await other.join("other-room")
    pool = await pools.aget_pool("room")
    response = await call(
        staff,
        "post",
        reverse("admin:rtcpool_django_pool_changelist"),
        {"action": "close_selected_pools", "_selected_action": [str(pool.pk)]},
    )
    assert response.status_code == 302
    for client in (a, b, c):
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
        assert (await client.communicator.receive_output())["type"] == "websocket.close"
    await other.nothing()
    assert not (await pools.aget_pool("room")).is_open
    late = await connect()
    await late.send("rtc:join", {"pool": "room"})
    await late.error("pool_closed")


async def test_deleting_a_pool_stops_its_peers(connect, staff):
    a, b, c = await pool_of_three(connect)
    pool = await pools.aget_pool("room")
    url = reverse("admin:rtcpool_django_pool_delete", args=[pool.pk])
    response = await call(staff, "post", url, {"post": "yes"})
    assert response.status_code == 302
    for client in (a, b, c):
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
    assert not await Pool.objects.filter(pk=pool.pk).aexists()


async def test_action_kick_selected_peers(connect, staff):
    a, b, c = await pool_of_three(connect)
    response = await call(
        staff,
        "post",
        reverse("admin:rtcpool_django_peer_changelist"),
        {"action": "kick_selected_peers", "_selected_action": [a.id, b.id]},
    )
    assert response.status_code == 302
    await a.expect("rtc:stop")
    assert await a.closed_by_server() == 4001
    assert await b.expect("rtc:close") == {"id": a.id, "uid": a.id}  # kicked one by one
    await b.expect("rtc:stop")
    assert await b.closed_by_server() == 4001
    frames = await c.drain()
    assert sorted(f["data"]["id"] for f in frames if f["type"] == "rtc:close") == sorted(
        [a.id, b.id]
    )
    assert [str(p.id) for p in await pools.alive_peers("room")] == [c.id]


async def test_peer_page_description_edit_sends_rtc_describe(connect, staff):
    a, b, c = await pool_of_three(connect)
    url = reverse("admin:rtcpool_django_peer_change", args=[b.id])
    response = await call(staff, "get", url)
    assert response.status_code == 200
    response = await call(staff, "post", url, {"description": '{"role": "host"}'})
    assert response.status_code == 302
    for client in (a, c):
        assert (await client.expect("rtc:describe"))["description"] == {"role": "host"}
    await b.nothing()


async def test_peers_cannot_be_added_nor_plainly_deleted(connect, staff):
    response = await call(staff, "get", reverse("admin:rtcpool_django_peer_add"))
    assert response.status_code == 403
    response = await call(staff, "get", reverse("admin:rtcpool_django_peer_changelist"))
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "kick_selected_peers" in actions and "delete_selected" not in actions


@pytest.mark.django_db
def test_peer_list_shows_who_where_and_when_and_filters_and_searches(admin_client):
    standup, review = pools.create_pool("standup"), pools.create_pool("review")
    pools.create_pool("empty")
    ada = get_user_model().objects.create_user("augusta")
    peers = {
        "ada": Peer.objects.create(
            pool=standup,
            channel_name="c1",
            worker="host-a:1",
            user=ada,
            description={"name": "Ada", "role": "host"},
        ),
        "grace": Peer.objects.create(
            pool=review, channel_name="c2", worker="host-b:2", description={"name": "Grace"}
        ),
        "anon": Peer.objects.create(pool=review, channel_name="c3", worker="host-a:1"),
        "long": Peer.objects.create(
            pool=standup, channel_name="c4", worker="host-b:2", description=["x" * 100]
        ),
    }
    url = reverse("admin:rtcpool_django_peer_changelist")

    def listed(**query):
        response = admin_client.get(url, query)
        assert response.status_code == 200
        return response, {str(p.pk) for p in response.context["cl"].result_list}

    response, ids = listed()
    assert ids == {str(p.pk) for p in peers.values()}
    html = response.content.decode()
    for header in ("Peer", "Pool", "User", "Worker", "Joined"):
        assert f">{header}</a>" in html or f">{header}</span>" in html, header
    # The name first, the rest as JSON, linked to the peer's page.
    assert "Ada {&quot;role&quot;: &quot;host&quot;}</a>" in html
    assert ">Grace</a>" in html
    assert f"(no description) {str(peers['anon'].pk)[:8]}</a>" in html
    assert "[&quot;xxxxxxxx" in html and "x" * 60 not in html  # cut short
    assert re.search(r'<td class="field-pool[^"]*">standup</td>', html)
    assert re.search(r'<td class="field-user[^"]*">augusta</td>', html)
    assert re.search(r'<td class="field-worker[^"]*">host-b:2</td>', html)
    assert re.search(r'<td class="field-joined[^"]*">[^<]*\d{4}', html)
    # Filters: the pools that have peers (not "empty"), the workers, the time of joining.
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    pool_choices = [choice for _, choice in filters["pool"].lookup_choices]
    assert sorted(pool_choices) == ["review", "standup"]
    assert "joined" in filters

    assert listed(pool__id__exact=str(review.pk))[1] == {
        str(peers["grace"].pk),
        str(peers["anon"].pk),
    }
    assert listed(worker="host-a:1")[1] == {str(peers["ada"].pk), str(peers["anon"].pk)}
    # Search terms with letters no UUID has, so that no id matches them by chance.
    assert listed(q="grace")[1] == {str(peers["grace"].pk)}  # the description
    assert listed(q="standup")[1] == {str(peers["ada"].pk), str(peers["long"].pk)}
    assert listed(q="augusta")[1] == {str(peers["ada"].pk)}  # the user
    assert listed(q=str(peers["anon"].pk))[1] == {str(peers["anon"].pk)}
