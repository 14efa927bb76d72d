"""Join tokens and access modes beyond the socket: the ICE servers view, the
rtcpool_token command, the admin, the settings checks and the migration."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import checks as django_checks
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from rtcpool_django import checks, conf, pools, tokens
from rtcpool_django.models import Access, Pool

ROOT = Path(__file__).resolve().parent.parent
ICE = "/rtcpool/ice-servers/"
TURN = {
    "TURN_URLS": ["turn:turn.example:3478"],
    "TURN_SECRET": "north",
    "DEFAULT_ACCESS": "token",
}

pytestmark = pytest.mark.django_db


def reason(response) -> str:
    return response.json()["error"]["reason"]


# --- the ICE servers view ----------------------------------------------------------------


def test_a_token_pool_gives_turn_credentials_to_token_holders_only(client, settings):
    settings.RTCPOOL = TURN
    pools.create_pool("standup", access="token")
    token = tokens.issue("standup")
    granted = client.get(ICE, {"pool": "standup", "token": token})
    assert granted.status_code == 200
    assert granted.json()["iceServers"][0]["username"]
    # Refused with the reason the join would get.
    refused = client.get(ICE, {"pool": "standup"})
    assert (refused.status_code, reason(refused)) == (403, "token_required")
    # A pool a join would create, with DEFAULT_ACCESS "token": the same.
    assert reason(client.get(ICE, {"pool": "fresh"})) == "token_required"
    assert client.get(ICE, {"pool": "fresh", "token": tokens.issue("fresh")}).status_code == 200
    assert not Pool.objects.filter(name="fresh").exists()


def test_bad_tokens_are_named_as_such(client, settings):
    settings.RTCPOOL = TURN
    pools.create_pool("standup", access="token")
    expired = tokens.issue("standup", ttl=5, now=1e9)
    assert reason(client.get(ICE, {"pool": "standup", "token": expired})) == "token_expired"
    tampered = tokens.issue("standup")[:-1]
    assert reason(client.get(ICE, {"pool": "standup", "token": tampered})) == "token_invalid"
    other = client.get(ICE, {"pool": "standup", "token": tokens.issue("elsewhere")})
    assert (other.status_code, reason(other)) == (403, "token_invalid")


def test_without_a_pool_a_token_stands_for_its_pool(client, settings):
    settings.RTCPOOL = TURN
    assert client.get(ICE).status_code == 403  # DEFAULT_ACCESS "token", no token
    assert client.get(ICE, {"token": tokens.issue("standup")}).status_code == 200
    pools.close_pool(pools.create_pool("closed", access="token"))
    assert client.get(ICE, {"token": tokens.issue("closed")}).status_code == 403


def test_members_pools_give_turn_credentials_to_members(client, settings):
    settings.RTCPOOL = {k: v for k, v in TURN.items() if k != "DEFAULT_ACCESS"}
    board = pools.create_pool("board", access="members")
    ada, bob = (get_user_model().objects.create_user(name) for name in ("ada", "bob"))
    board.members.add(ada)
    client.force_login(bob)
    assert client.get(ICE, {"pool": "board"}).status_code == 403
    client.force_login(ada)
    assert client.get(ICE, {"pool": "board"}).status_code == 200


# --- manage.py rtcpool_token -------------------------------------------------------------


def run_token(*args: str) -> str:
    out = StringIO()
    call_command("rtcpool_token", *args, stdout=out)
    return out.getvalue()


def test_rtcpool_token_prints_one_token_and_nothing_else():
    ada = get_user_model().objects.create_user("ada")
    output = run_token("standup", "--user", "ada", "--description", '{"name": "Ada"}')
    assert output.endswith("\n") and output.count("\n") == 1
    claim = tokens.read(output.strip())
    assert (claim.pool, claim.user_id, claim.description) == (
        "standup",
        str(ada.pk),
        {"name": "Ada"},
    )
    bare = tokens.read(run_token("lobby", "--ttl", "30").strip())
    assert (bare.user_id, bare.has_description) == (None, False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["standup", "--user", "nobody"], "No user 'nobody'"),
        (["standup", "--description", "{nope"], "not valid JSON"),
        (["standup", "--ttl", "0"], "ttl must be a positive"),
        (["x" * 300], "not a pool name"),
    ],
)
def test_rtcpool_token_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        run_token(*args)


def test_rtcpool_token_from_the_shell_prints_only_the_token(tmp_path):
    # DEBUG off: the checks would warn (W001, one process), and must not say so here.
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="example_project.settings", DJANGO_DEBUG="0")
    env.update(DATABASE_URL="", SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [*manage, "rtcpool_token", "standup", "--ttl", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""
    assert tokens.read(result.stdout.removesuffix("\n")).pool == "standup"


# --- admin -------------------------------------------------------------------------------


def test_the_admin_edits_access_members_and_groups(client):
    admin = get_user_model().objects.create_superuser("admin", "", "pw")
    ada = get_user_model().objects.create_user("ada")
    directors = Group.objects.create(name="directors")
    pool = pools.create_pool("board")
    client.force_login(admin)
    url = reverse("admin:rtcpool_django_pool_change", args=[pool.pk])
    page = client.get(url).content.decode()
    for field in ('name="access"', 'name="members"', 'name="member_groups"'):
        assert field in page
    response = client.post(
        url,
        {
            "name": "board",
            "access": "members",
            "is_open": "on",
            "members": [ada.pk],
            "member_groups": [directors.pk],
            "peers-TOTAL_FORMS": "0",
            "peers-INITIAL_FORMS": "0",
            "peers-MIN_NUM_FORMS": "0",
            "peers-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    pool.refresh_from_db()
    assert pool.access == "members"
    assert list(pool.members.all()) == [ada] and list(pool.member_groups.all()) == [directors]
    listing = client.get(reverse("admin:rtcpool_django_pool_changelist"), {"access": "members"})
    assert "board" in listing.content.decode()


# --- checks and the migration ------------------------------------------------------------


def test_the_access_modes_of_the_setting_are_those_of_the_model():
    assert tuple(Access.values) == conf.ACCESS_MODES


@pytest.mark.parametrize("value", ["friends", None, 1])
def test_default_access_must_be_a_mode(value):
    with override_settings(RTCPOOL={"DEFAULT_ACCESS": value}):
        assert [m.id for m in checks.check_rtcpool_settings()] == ["rtcpool.E001"]


@pytest.mark.parametrize(
    ("debug", "rtcpool", "warned"),
    [
        (False, {}, True),
        (False, {"DEFAULT_ACCESS": "public"}, True),
        (True, {}, False),
        (False, {"DEFAULT_ACCESS": "token"}, False),
        (False, {"DEFAULT_ACCESS": "authenticated"}, False),
        (False, {"AUTO_CREATE_POOLS": False}, False),
    ],
)
def test_w004_warns_of_public_pools_made_by_joins_in_production(debug, rtcpool, warned):
    with override_settings(DEBUG=debug, RTCPOOL=rtcpool):
        found = checks.check_access_defaults()
        registered = django_checks.run_checks(tags=[django_checks.Tags.security])
    assert [m.id for m in found] == (["rtcpool.W004"] if warned else [])
    assert any(m.id == "rtcpool.W004" for m in registered) == warned


def test_the_example_project_in_production_is_token_only_and_warned_when_opened():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="example_project.settings", DJANGO_DEBUG="0")
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)

    def check(**extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--fail-level", "ERROR"],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert "rtcpool.W004" not in check()
    assert "rtcpool.W004" in check(RTCPOOL_DEFAULT_ACCESS="public")


def test_the_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "rtcpool_django", "--check", "--dry-run", stdout=out)
