"""RTCPOOL policy hooks and every join refusal reason."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from rtcpool_django import pools
from rtcpool_django.models import Peer, Pool

from . import policies

HOOKS = {
    "RESOLVE_POOL_NAME": "tests.policies.alias",
    "ADMIT_PEER": "tests.policies.only_staff_in_vip",
    "INITIAL_DESCRIPTION": "tests.policies.name_from_user",
}


@pytest.fixture
def hooks():
    policies.CALLS.clear()
    with override_settings(RTCPOOL=HOOKS):
        yield


@pytest.fixture
async def users(transactional_db):
    User = get_user_model()
    make = sync_to_async(User.objects.create_user)
    return {
        "ada": await make("ada", first_name="Ada", last_name="Lovelace"),
        "staff": await make("boss", is_staff=True),
    }


async def pool_count(name: str) -> int:
    return await Pool.objects.filter(name=name).acount()


async def test_aliasing_joins_the_real_pool_and_says_so(connect, hooks):
    a, b = await connect(), await connect()
    assert (await a.join("lobby"))["pool"] == "main-hall"
    joined = await b.join("main-hall")
    assert joined["pool"] == "main-hall" and joined["peers"] == [a.id]
    assert await pool_count("lobby") == 0


async def test_a_name_resolved_to_nothing_is_not_found(connect, hooks):
    a = await connect()
    await a.send("rtc:join", {"pool": "hidden"})
    await a.error("pool_not_found")
    assert await Pool.objects.acount() == 0


@pytest.mark.parametrize("requested", ["too-long", "not-text"])
async def test_an_alias_no_pool_can_have_is_not_found_and_logged(connect, hooks, requested, caplog):
    """A site's aliasing hook that returns a name longer than the Pool.name column (or not a
    str) must not reach the database: PostgreSQL would refuse the row (server_error)."""
    a = await connect()
    await a.send("rtc:join", {"pool": requested})
    await a.error("pool_not_found")
    assert await Pool.objects.acount() == 0
    assert "RESOLVE_POOL_NAME returned" in caplog.text
    assert (await a.join("fine"))["pool"] == "fine"  # the connection stays usable


async def test_admission_refused_is_forbidden_and_creates_nothing(connect, hooks, users):
    anonymous, ada = await connect(user=AnonymousUser()), await connect(user=users["ada"])
    for client in (anonymous, ada):
        await client.send("rtc:join", {"pool": "vip-room"})
        await client.error("forbidden")
    assert await pool_count("vip-room") == 0
    assert [call[1] for call in policies.CALLS] == [None, users["ada"]]

    staff = await connect(user=users["staff"])
    assert (await staff.join("vip-room"))["pool"] == "vip-room"
    # The hook saw the Django user, and the others may still retry and be refused.
    assert policies.CALLS[-1][1] == users["staff"]
    await ada.send("rtc:join", {"pool": "vip-room"})
    await ada.error("forbidden")


async def test_initial_description_and_user_are_recorded(connect, hooks, users):
    ada, guest = await connect(user=users["ada"]), await connect()
    await ada.join("room")
    joined = await guest.join("room")
    assert joined["descriptions"] == {ada.id: {"name": "Ada Lovelace", "pool": "room"}}
    peers = {str(p.id): p async for p in Peer.objects.select_related("user")}
    assert peers[ada.id].user == users["ada"]
    assert peers[guest.id].user is None
    assert peers[guest.id].description == {"name": "guest", "pool": "room"}
    # The impolite side learns the newcomer's description right after rtc:peer.
    assert await ada.expect("rtc:peer") == {"id": guest.id}
    assert (await ada.expect("rtc:describe"))["description"] == {"name": "guest", "pool": "room"}


async def test_anonymous_user_is_recorded_as_none(connect, transactional_db):
    a = await connect(user=AnonymousUser())
    await a.join("room")
    assert (await Peer.objects.aget(pk=a.id)).user_id is None


async def test_default_policy_private_pool_admits_signed_in_users_only(connect, users):
    await pools.acreate_pool("secret", private=True)
    anonymous = await connect(user=AnonymousUser())
    await anonymous.send("rtc:join", {"pool": "secret"})
    # Refused without revealing that the pool exists.
    await anonymous.error("pool_not_found")
    ada = await connect(user=users["ada"])
    joined = await ada.join("secret")
    assert joined["pool"] == "secret" and joined["descriptions"] == {}
    assert (await Peer.objects.aget(pk=ada.id)).user_id == users["ada"].pk


async def test_default_policy_public_pool_admits_anyone(connect, transactional_db):
    a = await connect()
    assert (await a.join("open-room"))["peers"] == []


async def test_without_auto_create_an_unknown_pool_is_not_found(connect, transactional_db):
    with override_settings(RTCPOOL={"AUTO_CREATE_POOLS": False}):
        a = await connect()
        await a.send("rtc:join", {"pool": "nowhere"})
        await a.error("pool_not_found")
        assert await Pool.objects.acount() == 0
        await pools.acreate_pool("somewhere")
        assert (await a.join("somewhere"))["pool"] == "somewhere"


async def test_a_full_pool_refuses_with_pool_full(connect, transactional_db):
    await pools.acreate_pool("pair", max_peers=2)
    a, b, c = await connect(), await connect(), await connect()
    await a.join("pair")
    await b.join("pair")
    await c.send("rtc:join", {"pool": "pair"})
    await c.error("pool_full")
    await b.close()
    assert (await c.join("pair"))["peers"] == [a.id]


async def test_default_max_peers_applies_to_auto_created_pools(connect, transactional_db):
    with override_settings(RTCPOOL={"DEFAULT_MAX_PEERS": 1}):
        a, b = await connect(), await connect()
        await a.join("solo")
        await b.send("rtc:join", {"pool": "solo"})
        await b.error("pool_full")
    assert (await pools.aget_pool("solo")).max_peers == 1


async def test_a_closed_pool_refuses_with_pool_closed(connect, transactional_db):
    await pools.acreate_pool("shut", is_open=False)
    a = await connect()
    await a.send("rtc:join", {"pool": "shut"})
    await a.error("pool_closed")
    assert await Peer.objects.acount() == 0


async def test_a_signed_in_browser_joins_as_its_django_user(live_worker, users):
    """Through example_project's real AuthMiddlewareStack, with a session cookie."""
    from django.conf import settings
    from django.test import Client

    from .live import WSClient

    worker = live_worker()
    await pools.acreate_pool("secret", private=True)
    browser = Client()
    await sync_to_async(browser.force_login)(users["ada"])
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}

    ada = await WSClient.connect(worker.url, additional_headers=cookie)
    assert (await ada.join("secret"))["pool"] == "secret"
    assert (await Peer.objects.aget(pk=ada.id)).user_id == users["ada"].pk
    stranger = await WSClient.connect(worker.url)
    await stranger.send("rtc:join", {"pool": "secret"})
    await stranger.error("pool_not_found")
    await ada.close()
    await stranger.close()
