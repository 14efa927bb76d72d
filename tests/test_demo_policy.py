"""The example project's INITIAL_DESCRIPTION hook: display names from ?name=."""

import pytest

from example_project.demo.policy import initial_description


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        (b"name=Ada", {"name": "Ada"}),
        (b"name=Ada%20%20Lovelace%0A", {"name": "Ada Lovelace"}),
        (b"name=%C3%89mile&x=1", {"name": "Émile"}),
        (b"name=" + b"x" * 100, {"name": "x" * 40}),
        (b"name=%20%20", None),
        (b"", None),
    ],
)
def test_the_name_in_the_query_string_describes_the_peer(query_string, expected):
    assert initial_description({"query_string": query_string}, None, None) == expected


def test_the_example_project_uses_it(settings):
    from rtcpool_django.conf import rtcpool_settings

    assert rtcpool_settings.INITIAL_DESCRIPTION is initial_description


@pytest.mark.django_db
def test_the_demo_issues_join_tokens_to_signed_in_users_named_by_their_account(client):
    from django.contrib.auth import get_user_model

    from rtcpool_django import tokens

    refused = client.get("/join-token/", {"pool": "standup"})
    assert refused.status_code == 403 and refused.json()["error"]["reason"] == "forbidden"
    ada = get_user_model().objects.create_user("ada", first_name="Ada", last_name="Lovelace")
    client.force_login(ada)
    assert client.get("/join-token/").json()["error"]["reason"] == "invalid_pool_name"
    response = client.get("/join-token/", {"pool": "standup", "name": "Mallory"})
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["name"] == "Ada Lovelace"
    claim = tokens.read(body["token"])
    assert (claim.pool, claim.user_id, claim.description) == (
        "standup",
        str(ada.pk),
        {"name": "Ada Lovelace"},
    )
    page = client.get("/").content.decode()
    assert 'data-join-token="/join-token/"' in page and "Ada Lovelace" in page


def test_the_example_project_is_token_only_in_production():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = "from rtcpool_django.conf import rtcpool_settings as s; print(s.DEFAULT_ACCESS)"
    for debug, expected in (("0", "token"), ("1", "public")):
        env = dict(
            os.environ, DJANGO_DEBUG=debug, DJANGO_SETTINGS_MODULE="example_project.settings"
        )
        env.pop("RTCPOOL_DEFAULT_ACCESS", None)
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected
