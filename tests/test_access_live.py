"""Join tokens and members against a real daphne serving the example project: its
AuthMiddlewareStack reads the session cookie, its ICE servers view takes the token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from rtcpool_django import pools, tokens
from rtcpool_django.models import Peer

from .live import WSClient

TURN = {
    "RTCPOOL_TURN_URLS": "turn:turn.example:3478",
    "RTCPOOL_TURN_SECRET": "north",
    "RTCPOOL_DEFAULT_ACCESS": "token",
}


async def in_thread(fn, *args, **kwargs):
    """``fn`` in a thread, closing that thread's connection after: an open one would keep
    a PostgreSQL test database from being dropped at the end of the run."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return await sync_to_async(run)()


@pytest.fixture
async def users(transactional_db):
    make = get_user_model().objects.create_user
    return {name: await in_thread(make, name, first_name=name.title()) for name in ("ada", "bob")}


async def session_cookie(user) -> dict[str, str]:
    browser = Client()
    await in_thread(browser.force_login, user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_members_join_by_their_session_and_others_are_refused(live_worker, users):
    worker = live_worker()
    board = await pools.acreate_pool("board", access="members")
    await board.members.aadd(users["ada"])

    ada = await WSClient.connect(worker.url, additional_headers=await session_cookie(users["ada"]))
    assert (await ada.join("board"))["pool"] == "board"
    assert (await Peer.objects.aget(pk=ada.id)).user_id == users["ada"].pk
    bob = await WSClient.connect(worker.url, additional_headers=await session_cookie(users["bob"]))
    stranger = await WSClient.connect(worker.url)
    for client in (bob, stranger):
        await client.send("rtc:join", {"pool": "board"})
        await client.error("forbidden")
    assert await Peer.objects.acount() == 1

    # Bob with a token for the board: admitted, as the user the token names.
    invited = tokens.issue("board", user=users["bob"])
    holder = await WSClient.connect(f"{worker.url}?token={invited}")
    assert (await holder.join("board"))["peers"] == [ada.id]
    assert (await Peer.objects.aget(pk=holder.id)).user_id == users["bob"].pk
    for client in (ada, bob, stranger, holder):
        await client.close()


async def test_token_only_pools_and_the_ice_view_over_daphne(live_worker, users):
    worker = live_worker(extra_env=TURN)
    token = tokens.issue("standup", user=users["ada"], description={"name": "Ada"})
    ice = f"{worker.http_url}/rtcpool/ice-servers/?pool=standup"
    assert get(ice)[0] == 403
    status, body = get(f"{ice}&token={token}")
    assert status == 200 and body["iceServers"][0]["username"].endswith(f":{users['ada'].pk}")
    assert get(f"{ice}&token={token[:-1]}") == (
        403,
        {
            "error": {
                "reason": "token_invalid",
                "message": "The join token is not valid for this pool.",
            }
        },
    )

    anonymous = await WSClient.connect(worker.url)
    await anonymous.send("rtc:join", {"pool": "standup"})
    await anonymous.error("token_required")
    ada = await WSClient.connect(f"{worker.url}?name=Mallory&token={token}")
    assert (await ada.join("standup"))["peers"] == []
    bob = await WSClient.connect(
        f"{worker.url}?token={tokens.issue('standup', description={'name': 'Bob'})}"
    )
    assert (await bob.join("standup"))["descriptions"] == {ada.id: {"name": "Ada"}}
    for client in (anonymous, ada, bob):
        await client.close()
    # What docs/howto/access.rst says of daphne's access log: its WebSocket lines carry the
    # path only, its HTTP lines the query string too (hence --verbosity 0 or a kept file).
    log = worker.log().splitlines()
    websocket = [line for line in log if '"WSCONNECT ' in line]
    assert websocket and not any("token" in line for line in websocket)
    assert any("ice-servers/?pool=standup&token=" in line for line in log)
