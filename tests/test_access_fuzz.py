"""Malformed join tokens, fuzzed through the real consumer: whatever a client puts in
``?token=`` (any length, any encoding, signed garbage, nested JSON), a join answers
``token_invalid`` (or ``token_expired``), never ``server_error``, writes nothing, and the
connection stays usable."""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtcpool_django import tokens
from rtcpool_django.models import Peer, Pool

GENUINE = "eyJwIjoic3RhbmR1cCIsImUiOjQxMDI0NDQ4MDB9"  # {"p":"standup","e":4102444800}


def signed(text: str) -> str:
    """``text`` as a payload signed with the site's own key and salt (a leaked key)."""
    signer = signing.Signer(salt=tokens.SALT, sep=".")
    return signer.sign(signing.b64_encode(text.encode("utf-8", "surrogatepass")).decode())


def nested(depth: int) -> str:
    return '{"p":' * depth + '"standup"' + "}" * depth


malformed = st.one_of(
    st.text(max_size=6000),  # any length and any characters, percent-encoded below
    st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.=:%", max_size=500),
    st.builds(lambda cut: GENUINE[:cut], st.integers(0, len(GENUINE))),
    st.builds(lambda extra: f".{GENUINE}.{extra}", st.text(max_size=50)),
    st.integers(1, 3000).map(nested).map(signed),
    st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth).map(signed),
    st.text(max_size=200).map(signed),
)


@pytest.mark.parametrize("encode", [True, False])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(token=malformed)
async def test_a_malformed_token_is_only_ever_invalid(connect, token, encode):
    # Hypothesis runs the examples in one test database: the pool outlives each.
    await Pool.objects.aget_or_create(name="standup", defaults={"access": "token"})
    value = quote(token, safe="") if encode else token.encode("utf-8", "replace").hex()
    client = await connect(f"/ws/rtcpool/?token={value}")
    await client.send("rtc:join", {"pool": "standup"})
    frame = await client.recv()
    assert frame["type"] == "rtc:error", frame
    # An empty ?token= is no token (a template with nothing to fill in): token_required.
    expected = {"token_invalid", "token_expired"} if value else {"token_required"}
    assert frame["data"]["reason"] in expected, frame
    assert await Peer.objects.acount() == 0
    assert await Pool.objects.acount() == 1
    # Still usable: the same connection gets an answer to a frame of another kind.
    await client.send("rtc:sdp", {"to": "nobody", "description": {}})
    await client.error("not_joined")
    await client.close()
