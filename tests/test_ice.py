"""TURN credential maths (coturn's use-auth-secret) and the iceServers list, alone."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from rtcpool_django.ice import ice_servers, turn_credentials


def test_username_is_expiry_then_id_and_credential_is_base64_hmac_sha1():
    username, credential = turn_credentials("north", "42", 3600, now=1_700_000_000.9)
    assert username == "1700003600:42"  # now is truncated to whole seconds
    expected = hmac.new(b"north", b"1700003600:42", hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected


def test_known_vector_computed_outside_python():
    # printf '1700000000:42' | openssl dgst -sha1 -hmac north -binary | base64
    assert turn_credentials("north", "42", 0, now=1_700_000_000) == (
        "1700000000:42",
        "DWX3FI7DiPIpadEYQAZsnZBAagI=",
    )


def test_unicode_secret_and_id_are_utf8():
    username, credential = turn_credentials("sécret", "zoë", 10, now=0)
    assert username == "10:zoë"
    digest = hmac.new("sécret".encode(), "10:zoë".encode(), hashlib.sha1).digest()
    assert credential == base64.b64encode(digest).decode()


def test_an_id_with_the_separator_is_refused():
    with pytest.raises(ValueError):
        turn_credentials("north", "a:b", 10, now=0)


def test_ice_servers_lists_stun_then_turn_with_credentials():
    servers = ice_servers(
        stun_urls=("stun:stun.example:3478",),
        turn_urls=["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"],
        secret="north",
        user_id="7",
        ttl=60,
        now=100,
    )
    username, credential = turn_credentials("north", "7", 60, now=100)
    assert servers == [
        {"urls": ["stun:stun.example:3478"]},
        {
            "urls": ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"],
            "username": username,
            "credential": credential,
        },
    ]


@pytest.mark.parametrize(
    ("stun", "turn", "secret"),
    [((), (), None), ((), ("turn:t:3478",), None), ((), (), "north")],
)
def test_no_entry_without_urls_or_without_a_secret(stun, turn, secret):
    servers = ice_servers(stun_urls=stun, turn_urls=turn, secret=secret, user_id="1", ttl=1, now=0)
    assert servers == []
