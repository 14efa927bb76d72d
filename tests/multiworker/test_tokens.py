"""Join tokens across worker processes: any worker reads a token issued anywhere (the
same SECRET_KEY), holders on different workers meet once with their signed
descriptions, and every bad token is refused on either worker with nothing written."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from rtcpool_django import tokens
from rtcpool_django.models import Peer, Pool

from ..live import WSClient
from .conftest import query

pytestmark = pytest.mark.multiworker


async def test_token_holders_meet_across_workers_and_bad_tokens_change_nothing(cluster):
    one, two = cluster(2, "ours", RTCPOOL_DEFAULT_ACCESS="token")
    ada = await query(lambda: get_user_model().objects.create_user("ada"))
    host_token = await sync_to_async(tokens.issue)(
        "standup", user=ada, description={"name": "Ada", "role": "host"}
    )
    guest_token = tokens.issue("standup", description={"name": "Guest"})

    host = await WSClient.connect(f"{one.url}?token={host_token}")
    assert (await host.join("standup"))["peers"] == []
    guest = await WSClient.connect(f"{two.url}?name=Mallory&token={guest_token}")
    joined = await guest.join("standup")
    assert joined["peers"] == [host.id]
    assert joined["descriptions"] == {host.id: {"name": "Ada", "role": "host"}}
    assert (await host.expect("rtc:peer"))["id"] == guest.id
    assert (await host.expect("rtc:describe"))["description"] == {"name": "Guest"}
    assert await host.drain() == [] and await guest.drain() == []

    peers = await query(lambda: dict(Peer.objects.values_list("id", "user_id")))
    assert peers == {uuid.UUID(host.id): ada.pk, uuid.UUID(guest.id): None}

    refused = {
        "token_required": "",
        "token_expired": tokens.issue("standup", ttl=5, now=1e9),
        "token_invalid": host_token[:-2] + "xx",
    }
    for worker in (one, two):
        for reason, token in refused.items():
            client = await WSClient.connect(f"{worker.url}?token={token}")
            await client.send("rtc:join", {"pool": "standup"})
            await client.error(reason)
            await client.close()
        # A token for standup used on another pool: invalid, and that pool is not created.
        stray = await WSClient.connect(f"{worker.url}?token={guest_token}")
        await stray.send("rtc:join", {"pool": "board"})
        await stray.error("token_invalid")
        await stray.close()
    assert await query(lambda: Peer.objects.count()) == 2
    assert await query(lambda: list(Pool.objects.values_list("name", "access"))) == [
        ("standup", "token")
    ]
    assert await host.drain() == [] and await guest.drain() == []  # nobody else came
    await host.close()
    await guest.close()
