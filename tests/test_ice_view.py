"""The ICE servers view: shape, caching, refusals, the policy hook and the credential's expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from rtcpool_django import pools, views
from rtcpool_django.models import Pool
from rtcpool_django.protocol import REASONS

from . import policies

pytestmark = pytest.mark.django_db

TURN = {
    "STUN_URLS": ["stun:stun.example:3478"],
    "TURN_URLS": ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"],
    "TURN_SECRET": "north",
    "TURN_CREDENTIAL_TTL": 600,
}
URL = "/rtcpool/ice-servers/"
ROOT = Path(__file__).resolve().parent.parent
NOW = 1_800_000_000.5


@pytest.fixture
def turn(settings, monkeypatch):
    settings.RTCPOOL = {**TURN}
    monkeypatch.setattr(views, "time", SimpleNamespace(time=lambda: NOW))  # views' clock only
    policies.CALLS.clear()
    return settings


def body(response):
    assert response["Content-Type"] == "application/json"
    return response.json()


def assert_refused(response, status, reason):
    assert response.status_code == status
    error = body(response)["error"]
    assert error["reason"] == reason
    assert isinstance(error["message"], str) and error["message"]


def turn_entry(response):
    servers = body(response)["iceServers"]
    assert servers[0] == {"urls": TURN["STUN_URLS"]}
    assert servers[1]["urls"] == TURN["TURN_URLS"]
    return servers[1]


def test_routed_by_the_apps_urls():
    assert reverse("rtcpool_django:ice_servers") == URL


def test_answers_stun_and_a_turn_credential_that_coturn_would_accept(client, turn):
    response = client.get(URL)
    assert response.status_code == 200
    entry = turn_entry(response)
    expiry, token = entry["username"].split(":")
    assert int(expiry) == int(NOW) + 600
    assert len(token) == 16  # anonymous: a random token, never the same twice
    digest = hmac.new(b"north", entry["username"].encode(), hashlib.sha1).digest()
    assert entry["credential"] == base64.b64encode(digest).decode()
    assert turn_entry(client.get(URL))["username"] != entry["username"]


def test_ttl_setting_sets_the_expiry(client, turn):
    turn.RTCPOOL = {**TURN, "TURN_CREDENTIAL_TTL": 30}
    expiry = turn_entry(client.get(URL))["username"].split(":")[0]
    assert int(expiry) == int(NOW) + 30


def test_a_signed_in_user_is_named_by_pk(client, turn):
    user = get_user_model().objects.create_user("ada")
    client.force_login(user)
    assert turn_entry(client.get(URL))["username"] == f"{int(NOW) + 600}:{user.pk}"


def test_never_cached(client, turn):
    for response in (client.get(URL), client.post(URL)):
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "head", "options"])
def test_only_get(client, turn, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    if method != "head":
        assert_refused(response, 405, views.METHOD_NOT_ALLOWED)


def test_without_configuration_the_list_is_empty(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert body(response) == {"iceServers": []}


def test_default_policy_admits_whoever_may_join_the_pool(client, turn):
    assert client.get(URL, {"pool": "standup"}).status_code == 200
    assert not Pool.objects.filter(name="standup").exists()  # asking creates nothing
    pools.create_pool("secret-room", private=True)
    # A private pool refuses anonymous joins, so no TURN for them either; and the refusal
    # is the same as for a pool that does not exist at all, as the join's would be.
    assert_refused(client.get(URL, {"pool": "secret-room"}), 404, "pool_not_found")
    client.force_login(get_user_model().objects.create_user("ada"))
    assert client.get(URL, {"pool": "secret-room"}).status_code == 200


def test_a_closed_or_unknown_pool_is_not_found_with_the_joins_reason(client, turn):
    pools.create_pool("done", is_open=False)
    response = client.get(URL, {"pool": "done"})
    assert_refused(response, 404, "pool_closed")
    assert body(response)["error"]["message"] == REASONS["pool_closed"]
    turn.RTCPOOL = {**TURN, "AUTO_CREATE_POOLS": False}
    response = client.get(URL, {"pool": "nowhere"})
    assert_refused(response, 404, "pool_not_found")
    assert body(response)["error"]["message"] == REASONS["pool_not_found"]
    pools.create_pool("somewhere")
    assert client.get(URL, {"pool": "somewhere"}).status_code == 200


def test_default_policy_follows_resolve_pool_name(client, turn):
    turn.RTCPOOL = {**TURN, "RESOLVE_POOL_NAME": "tests.policies.alias"}
    assert_refused(client.get(URL, {"pool": "hidden"}), 404, "pool_not_found")  # resolves to None
    pools.create_pool("main-hall", is_open=False)
    assert_refused(client.get(URL, {"pool": "lobby"}), 404, "pool_closed")  # alias of a closed one


def test_a_pool_the_admission_policy_refuses_is_forbidden(client, turn):
    turn.RTCPOOL = {**TURN, "ADMIT_PEER": "tests.policies.admit_signed_in_only"}
    response = client.get(URL, {"pool": "standup"})
    assert_refused(response, 403, "forbidden")
    assert body(response)["error"]["message"] == REASONS["forbidden"]


def test_join_refusal_names_the_reason_a_join_would_get(settings):
    pools.create_pool("open")
    pools.create_pool("done", is_open=False)
    pools.create_pool("members", private=True)
    ada = get_user_model().objects.create_user("ada")
    refusal = pools.join_refusal
    assert refusal("open", scope={}, user=None) is None
    assert refusal("new-one", scope={}, user=None) is None  # joining would create it
    assert not Pool.objects.filter(name="new-one").exists()
    assert refusal("done", scope={}, user=None) == "pool_closed"
    assert refusal("members", scope={}, user=None) == "pool_not_found"
    assert refusal("members", scope={}, user=ada) is None
    settings.RTCPOOL = {"AUTO_CREATE_POOLS": False}
    assert refusal("new-one", scope={}, user=None) == "pool_not_found"
    settings.RTCPOOL = {"ADMIT_PEER": "tests.policies.admit_signed_in_only"}
    assert refusal("open", scope={}, user=None) == "forbidden"
    assert pools.may_join("open", scope={}, user=ada) is True


def test_default_policy_without_a_pool_asks_admit_peer_about_a_public_pool(client, turn):
    turn.RTCPOOL = {**TURN, "ADMIT_PEER": "tests.policies.admit_signed_in_only"}
    assert_refused(client.get(URL, HTTP_USER_AGENT="pytest"), 403, "forbidden")
    (_, scope, name), *_ = policies.CALLS
    assert name == ""
    assert scope["type"] == "http"
    assert (b"user-agent", b"pytest") in scope["headers"]
    client.force_login(get_user_model().objects.create_user("ada"))
    assert client.get(URL).status_code == 200


def test_policy_hook_override(client, turn):
    turn.RTCPOOL = {**TURN, "ISSUE_TURN_CREDENTIALS": "tests.policies.turn_for_staff_only"}
    assert_refused(client.get(URL, {"pool": "standup"}), 403, "forbidden")
    user = get_user_model().objects.create_user("boss")
    client.force_login(user)
    assert_refused(client.get(URL), 403, "forbidden")
    user.is_staff = True
    user.save()
    assert client.get(URL, {"pool": "standup"}).status_code == 200
    assert [
        ("turn", None, "standup"),
        ("turn", user, None),
        ("turn", user, "standup"),
    ] == policies.CALLS


@pytest.mark.parametrize("pool", ["", "   ", "x" * 201])
def test_a_bad_pool_name_is_refused(client, turn, pool):
    assert_refused(client.get(URL, {"pool": pool}), 400, "invalid_pool_name")


def example_project(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python with the example project's settings and ``env`` added."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RTCPOOL_")}
    environ.update(DJANGO_SETTINGS_MODULE="example_project.settings", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


def test_example_project_reads_the_turn_environment():
    shown = example_project(
        "-c",
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: v for k, v in settings.RTCPOOL.items() if 'TURN' in k or 'URL' in k}"
        "))",
        RTCPOOL_TURN_SECRET="north",
        RTCPOOL_TURN_URLS="turn:turn.example:3478?transport=udp, turns:turn.example:5349,",
        RTCPOOL_STUN_URLS="stun:stun.example:3478",
        RTCPOOL_TURN_CREDENTIAL_TTL="600",
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "STUN_URLS": ["stun:stun.example:3478"],
        "TURN_URLS": ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"],
        "TURN_SECRET": "north",
        "TURN_CREDENTIAL_TTL": 600,
    }


def test_example_project_check_catches_turn_urls_without_a_secret():
    checked = example_project("manage.py", "check", RTCPOOL_TURN_URLS="turn:turn.example:3478")
    assert checked.returncode != 0
    assert "rtcpool.E005" in checked.stderr


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_hooks_see_the_requests_own_scope(turn):
    turn.RTCPOOL = {**TURN, "ADMIT_PEER": "tests.policies.admit_signed_in_only"}
    try:
        response = await AsyncClient().get(URL, {"pool": "standup"}, headers={"X-Trace": "t1"})
    finally:
        # The view ran in asgiref's sync thread, whose connection the test client keeps
        # open; close it, or the test database cannot be dropped.
        await sync_to_async(connections.close_all)()
    assert_refused(response, 403, "forbidden")
    (_, scope, name), *_ = policies.CALLS
    assert name == "standup"
    assert scope["type"] == "http"
    assert scope["path"] == URL
    query = scope["query_string"]  # bytes from a server, str from Django's AsyncClient
    assert (query.decode() if isinstance(query, bytes) else query) == "pool=standup"
    assert (b"x-trace", b"t1") in scope["headers"]
    assert not scope["user"].is_authenticated


@pytest.mark.django_db(transaction=True)
async def test_amay_join_is_the_async_twin():
    await pools.acreate_pool("members", private=True)
    assert await pools.amay_join("members", scope={}, user=None) is False
    assert await pools.amay_join("anyone", scope={}, user=None) is True
