"""Who may join: join tokens at rtc:join, the access modes of a pool, its members, and
every refusal leaving the connection usable and the database untouched."""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings

from rtcpool_django import pools, tokens
from rtcpool_django.models import Access, Peer, Pool

from . import policies


@pytest.fixture
async def users(transactional_db):
    User = get_user_model()
    make = sync_to_async(User.objects.create_user)
    return {
        "ada": await make("ada", first_name="Ada", last_name="Lovelace"),
        "bob": await make("bob"),
        "staff": await make("boss", is_staff=True),
    }


def token_path(token: str, extra: str = "") -> str:
    return f"/ws/rtcpool/?{extra}token={token}"


async def rows() -> tuple[int, int]:
    return await Pool.objects.acount(), await Peer.objects.acount()


async def still_usable(client) -> None:
    """A refused join changed nothing: the same connection joins a public pool next."""
    await pools.acreate_pool("open-after-refusal")
    assert (await client.join("open-after-refusal"))["peers"] == []


# --- tokens at rtc:join ------------------------------------------------------------------


async def test_a_token_joins_a_token_pool_as_its_user_with_its_description(connect, users):
    await pools.acreate_pool("standup", access="token")
    token = await sync_to_async(tokens.issue)(
        "standup", user=users["ada"], description={"name": "Ada", "role": "host"}
    )
    host = await connect(token_path(token))
    assert (await host.join("standup"))["pool"] == "standup"
    peer = await Peer.objects.aget(pk=host.id)
    assert peer.user_id == users["ada"].pk
    assert peer.description == {"name": "Ada", "role": "host"}

    # Another holder, signed in as someone else: the token says who joins.
    guest_token = tokens.issue("standup", user=users["bob"], description={"name": "Bob"})
    guest = await connect(token_path(guest_token), user=users["ada"])
    joined = await guest.join("standup")
    assert joined["descriptions"] == {host.id: {"name": "Ada", "role": "host"}}
    assert (await Peer.objects.aget(pk=guest.id)).user_id == users["bob"].pk
    assert (await host.expect("rtc:peer"))["id"] == guest.id
    assert await host.expect("rtc:describe") == {
        "id": guest.id,
        "uid": guest.id,
        "description": {"name": "Bob"},
    }


async def test_the_page_cannot_pick_its_name_when_the_token_has_one(connect, transactional_db):
    # The example project's INITIAL_DESCRIPTION takes ?name=; the signed one wins.
    token = tokens.issue("standup", description={"name": "Ada"})
    client = await connect(token_path(token, "name=Mallory&"))
    await client.join("standup")
    assert (await Peer.objects.aget(pk=client.id)).description == {"name": "Ada"}
    # Without a description in the token, INITIAL_DESCRIPTION decides as for anyone.
    plain = await connect(token_path(tokens.issue("standup"), "name=Grace&"))
    await plain.join("standup")
    assert (await Peer.objects.aget(pk=plain.id)).description == {"name": "Grace"}


async def test_a_token_without_a_user_joins_as_the_session_user(connect, users):
    client = await connect(token_path(tokens.issue("standup")), user=users["bob"])
    await client.join("standup")
    assert (await Peer.objects.aget(pk=client.id)).user_id == users["bob"].pk


async def test_a_token_pool_refuses_without_a_token_and_writes_nothing(connect, users):
    await pools.acreate_pool("standup", access="token")
    before = await rows()
    for client in (await connect(), await connect(user=users["staff"])):
        await client.send("rtc:join", {"pool": "standup"})
        await client.error("token_required")
    assert await rows() == before


async def test_a_token_for_another_pool_is_invalid(connect, transactional_db):
    await pools.acreate_pool("a", access="token")
    await pools.acreate_pool("b", access="token")
    client = await connect(token_path(tokens.issue("a")))
    await client.send("rtc:join", {"pool": "b"})
    data = await client.error("token_invalid")
    assert "another pool" in data["message"]
    assert await Peer.objects.acount() == 0
    assert (await client.join("a"))["pool"] == "a"  # the same connection, its own pool


async def test_a_bad_token_is_refused_even_on_a_public_pool(connect, transactional_db):
    good = tokens.issue("lobby")
    for token in (good[:-3], good.replace(".", "x"), "garbage", "%FF%FE", "a." * 50):
        client = await connect(token_path(token))
        await client.send("rtc:join", {"pool": "lobby"})
        await client.error("token_invalid")
    assert await rows() == (0, 0)  # not even the pool a join would have created


async def test_an_expired_token_is_refused_and_nothing_is_created(connect, transactional_db):
    token = tokens.issue("lobby", ttl=60, now=1_000_000_000)
    client = await connect(token_path(token))
    await client.send("rtc:join", {"pool": "lobby"})
    await client.error("token_expired")
    assert await rows() == (0, 0)


async def test_a_joined_peer_stays_when_its_token_expires(connect, transactional_db):
    await pools.acreate_pool("standup", access="token")
    a = await connect(token_path(tokens.issue("standup", ttl=1)))
    await a.join("standup")
    await asyncio.sleep(1.2)  # past the token's expiry: nothing re-checks it
    b = await connect(token_path(tokens.issue("standup")))
    assert (await b.join("standup"))["peers"] == [a.id]
    await a.expect("rtc:peer")
    await a.sdp(b.id, {"type": "offer", "sdp": "v=0"})
    assert (await b.expect("rtc:sdp"))["peer"] == a.id
    assert await Peer.objects.filter(pk=a.id).aexists()


async def test_the_token_of_a_deleted_or_inactive_user_is_forbidden(connect, users):
    gone, idle = tokens.issue("lobby", user=users["bob"]), tokens.issue("lobby", user=users["ada"])
    await users["bob"].adelete()
    users["ada"].is_active = False
    await users["ada"].asave()
    for token in (gone, idle):
        client = await connect(token_path(token))
        await client.send("rtc:join", {"pool": "lobby"})
        await client.error("forbidden")
    assert await rows() == (0, 0)


async def test_a_token_admits_past_admit_peer_and_in_every_mode(connect, users):
    with override_settings(RTCPOOL={"ADMIT_PEER": "tests.policies.only_staff_in_vip"}):
        for mode in Access.values:
            name = f"vip-{mode}"
            await pools.acreate_pool(name, access=mode, private=True)
            client = await connect(token_path(tokens.issue(name)))
            assert (await client.join(name))["pool"] == name
            outsider = await connect()
            await outsider.send("rtc:join", {"pool": name})
            await outsider.error("pool_not_found")  # private: never forbidden


async def test_with_aliasing_a_token_names_the_resolved_pool(connect, transactional_db):
    with override_settings(
        RTCPOOL={"RESOLVE_POOL_NAME": "tests.policies.alias", "DEFAULT_ACCESS": "token"}
    ):
        assert policies.ALIASES["lobby"] == "main-hall"
        real = await connect(token_path(tokens.issue("main-hall")))
        assert (await real.join("lobby"))["pool"] == "main-hall"
        alias = await connect(token_path(tokens.issue("lobby")))
        await alias.send("rtc:join", {"pool": "lobby"})
        await alias.error("token_invalid")
        # A name that resolves to nothing is not found, token or not.
        hidden = await connect(token_path(tokens.issue("hidden")))
        await hidden.send("rtc:join", {"pool": "hidden"})
        await hidden.error("pool_not_found")
    assert await Pool.objects.filter(name="main-hall", access="token").aexists()


async def test_a_join_may_create_a_token_pool_only_with_a_token(connect, transactional_db):
    with override_settings(RTCPOOL={"DEFAULT_ACCESS": "token"}):
        anonymous = await connect()
        await anonymous.send("rtc:join", {"pool": "fresh"})
        await anonymous.error("token_required")
        assert await rows() == (0, 0)
        holder = await connect(token_path(tokens.issue("fresh")))
        await holder.join("fresh")
    pool = await Pool.objects.aget(name="fresh")
    assert pool.access == "token"
    await still_usable(anonymous)


async def test_tokens_never_reach_the_apps_logs(connect, transactional_db, caplog):
    caplog.set_level(logging.DEBUG)
    await pools.acreate_pool("standup", access="token")
    good, expired = tokens.issue("standup"), tokens.issue("standup", ttl=1, now=1e9)
    for token in (good, expired, good[:-2], tokens.issue("other")):
        client = await connect(token_path(token))
        await client.send("rtc:join", {"pool": "standup"})
        await client.recv()
        await client.close()
    text = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    for token in (good, expired):
        assert token not in text and token.rsplit(".", 1)[1] not in text


# --- access modes ------------------------------------------------------------------------


async def test_authenticated_pools_admit_signed_in_users(connect, users):
    await pools.acreate_pool("staff-room", access="authenticated")
    anonymous = await connect()
    await anonymous.send("rtc:join", {"pool": "staff-room"})
    await anonymous.error("forbidden")
    await still_usable(anonymous)
    ada = await connect(user=users["ada"])
    assert (await ada.join("staff-room"))["pool"] == "staff-room"


async def test_members_pools_admit_listed_users_and_groups_only(connect, users):
    board = await pools.acreate_pool("board", access="members")
    directors = await Group.objects.acreate(name="directors")
    await board.members.aadd(users["ada"])
    await board.member_groups.aadd(directors)
    await users["staff"].groups.aadd(directors)

    for name in ("ada", "staff"):
        client = await connect(user=users[name])
        assert (await client.join("board"))["pool"] == "board"
    before = await rows()
    for user in (users["bob"], None):
        outsider = await connect(user=user)
        await outsider.send("rtc:join", {"pool": "board"})
        await outsider.error("forbidden")
    assert await rows() == before
    # A member of another pool is no member of this one.
    other = await pools.acreate_pool("other", access="members")
    await other.members.aadd(users["bob"])
    bob = await connect(user=users["bob"])
    await bob.send("rtc:join", {"pool": "board"})
    await bob.error("forbidden")


async def test_a_private_members_pool_hides_itself(connect, users):
    await pools.acreate_pool("secret-board", access="members", private=True)
    bob = await connect(user=users["bob"])
    await bob.send("rtc:join", {"pool": "secret-board"})
    await bob.error("pool_not_found")


async def test_default_access_applies_to_pools_a_join_creates(connect, users):
    with override_settings(RTCPOOL={"DEFAULT_ACCESS": "authenticated"}):
        anonymous = await connect()
        await anonymous.send("rtc:join", {"pool": "new"})
        await anonymous.error("forbidden")
        assert await rows() == (0, 0)
        ada = await connect(user=users["ada"])
        await ada.join("new")
    assert (await Pool.objects.aget(name="new")).access == "authenticated"


async def test_default_access_members_creates_nothing_for_anyone(connect, users):
    with override_settings(RTCPOOL={"DEFAULT_ACCESS": "members"}):
        ada = await connect(user=users["ada"])
        await ada.send("rtc:join", {"pool": "new"})
        await ada.error("forbidden")
    assert await rows() == (0, 0)


def test_create_pool_takes_an_access_mode(transactional_db):
    assert pools.create_pool("t", access="token").access == "token"
    assert pools.create_pool("p").access == "public"
    with pytest.raises(ValueError, match="access must be one of"):
        pools.create_pool("x", access="friends")
    assert not Pool.objects.filter(name="x").exists()


async def test_may_join_reads_the_token_as_a_join_would(users):
    await pools.acreate_pool("standup", access="token")
    token = tokens.issue("standup")
    assert await pools.amay_join("standup", scope={"query_string": f"token={token}"}, user=None)
    assert not await pools.amay_join("standup", scope={}, user=users["staff"])
    other = {"query_string": f"token={tokens.issue('lobby')}".encode()}
    assert not await pools.amay_join("standup", scope=other, user=None)
