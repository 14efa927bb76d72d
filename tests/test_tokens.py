"""Join tokens on their own: what they carry, that they are compact and URL-safe, and
every way one can be wrong (expired, tampered, another key or salt, malformed)."""

from __future__ import annotations

import logging
import re
import string
from types import SimpleNamespace

import pytest
from django.core import signing
from hypothesis import given, settings
from hypothesis import strategies as st

from rtcpool_django import tokens
from rtcpool_django.tokens import ExpiredToken, InvalidToken, JoinClaim

NOW = 1_800_000_000.0
URL_SAFE = set(string.ascii_letters + string.digits + "-_.~")


def test_a_token_carries_pool_user_description_and_expiry():
    user = SimpleNamespace(pk=42)
    token = tokens.issue("standup", user=user, description={"name": "Ada"}, ttl=60, now=NOW)
    assert tokens.read(token, now=NOW) == JoinClaim(
        pool="standup",
        expires=int(NOW) + 60,
        user_id="42",
        description={"name": "Ada"},
        has_description=True,
    )
    bare = tokens.read(tokens.issue("standup", now=NOW), now=NOW)
    assert (bare.user_id, bare.has_description, bare.expires) == (None, False, int(NOW) + 300)


def test_a_pool_instance_stands_for_its_name():
    assert tokens.read(tokens.issue(SimpleNamespace(name="board"))).pool == "board"


def test_tokens_are_url_safe_and_compact():
    token = tokens.issue("standup", user=SimpleNamespace(pk=1), description={"name": "Ada"})
    assert set(token) <= URL_SAFE, token
    assert len(token) < 150
    # A long description is compressed: it stays well under the limit of a request line.
    long = tokens.issue("standup", description={"notes": "la " * 1000})
    assert len(long) < 300 and set(long) <= URL_SAFE


def test_expired_at_the_second_it_ends():
    token = tokens.issue("standup", ttl=10, now=NOW)
    assert tokens.read(token, now=NOW + 9.9).pool == "standup"
    with pytest.raises(ExpiredToken) as info:
        tokens.read(token, now=NOW + 10)
    assert info.value.reason == "token_expired"


def test_tampering_with_any_character_invalidates():
    token = tokens.issue("standup", user=SimpleNamespace(pk=1), now=NOW)
    for i in range(len(token)):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        with pytest.raises(InvalidToken) as info:
            tokens.read(flipped, now=NOW)
        assert info.value.reason == "token_invalid"


def test_another_pool_name_in_the_payload_needs_the_key():
    token = tokens.issue("standup", now=NOW)
    payload, signature = token.rsplit(".", 1)
    forged = signing.b64_encode(b'{"p":"board","e":9999999999}').decode()
    with pytest.raises(InvalidToken):
        tokens.read(f"{forged}.{signature}", now=NOW)
    assert tokens.read(f"{payload}.{signature}", now=NOW).pool == "standup"


def test_another_key_or_salt_is_refused(settings):
    payload = {"p": "standup", "e": int(NOW) + 60}
    other_salt = signing.Signer(salt="something.else", sep=".").sign_object(payload)
    other_key = signing.Signer(key="not-our-key", salt=tokens.SALT, sep=".").sign_object(payload)
    dumped = signing.dumps(payload, salt=tokens.SALT)  # the same salt, another format
    for token in (other_salt, other_key, dumped):
        with pytest.raises(InvalidToken):
            tokens.read(token, now=NOW)


def test_a_rotated_key_still_verifies(settings):
    token = tokens.issue("standup", now=NOW)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-after-rotation"
    assert tokens.read(token, now=NOW).pool == "standup"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidToken):
        tokens.read(token, now=NOW)


@pytest.mark.parametrize(
    "payload",
    [
        ["standup"],
        {"p": "", "e": 1},
        {"p": 5, "e": int(NOW) + 60},
        {"p": "standup"},
        {"p": "standup", "e": True},
        {"p": "standup", "e": "soon"},
        {"p": "standup", "e": 1.5},
        {"p": "standup", "e": int(NOW) + 60, "u": 7},
        {"p": {"p": "standup"}, "e": int(NOW) + 60},
    ],
)
def test_a_signed_payload_of_another_shape_is_refused(payload):
    token = signing.Signer(salt=tokens.SALT, sep=".").sign_object(payload)
    with pytest.raises(InvalidToken):
        tokens.read(token, now=NOW)


def test_a_signed_payload_nested_too_deep_is_refused():
    # Only a leaked key could sign this; it must still not crash the reader.
    text = "[" * 100_000 + "]" * 100_000
    signer = signing.Signer(salt=tokens.SALT, sep=".")
    token = signer.sign(signing.b64_encode(text.encode()).decode())
    with pytest.raises(InvalidToken):
        tokens.read(token)


def test_too_long_is_refused_before_any_work():
    with pytest.raises(InvalidToken):
        tokens.read("a" * (tokens.MAX_LENGTH + 1))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pool": ""}, ValueError),
        ({"pool": "x" * 256}, ValueError),
        ({"pool": None}, ValueError),
        ({"pool": "a", "ttl": 0}, ValueError),
        ({"pool": "a", "ttl": -5}, ValueError),
        ({"pool": "a", "ttl": True}, ValueError),
        ({"pool": "a", "description": {1, 2}}, TypeError),
        ({"pool": "a", "description": "x" * 20_000 + str(list(range(3000)))}, ValueError),
    ],
)
def test_issue_refuses_what_would_not_work(kwargs, error):
    pool = kwargs.pop("pool")
    with pytest.raises(error):
        tokens.issue(pool, **kwargs)


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        (b"", None),
        (b"name=Ada", None),
        (b"token=", None),
        (b"token=abc", "abc"),
        (b"name=Ada&token=abc", "abc"),
        (b"token=one&token=two", "two"),
        (b"token=a%2Eb", "a.b"),
    ],
)
def test_the_token_is_read_from_the_query_string(query_string, expected):
    assert tokens.from_scope({"query_string": query_string}) == expected


@given(st.binary(max_size=300))
def test_any_query_string_reads_as_a_string_or_nothing(query_string):
    found = tokens.from_scope({"query_string": query_string})
    assert found is None or isinstance(found, str)


token_like = st.one_of(
    st.text(max_size=5000),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.=:", max_size=400),
    st.builds(lambda a, b: f"{a}.{b}", st.text(max_size=100), st.text(max_size=60)),
    st.builds(lambda a: "." + a, st.text(alphabet=string.ascii_letters + "-_", max_size=200)),
)


@settings(max_examples=300, deadline=None)
@given(token_like)
def test_malformed_tokens_are_only_ever_invalid(token):
    with pytest.raises(InvalidToken):
        tokens.read(token)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0), st.text(max_size=5))
def test_cut_or_extended_genuine_tokens_are_only_ever_invalid(cut, where, extra):
    token = tokens.issue("standup", description={"name": "Ada"})
    changed = token[: len(token) - 1 - cut % len(token)] + extra
    where %= len(token)
    spliced = token[:where] + extra + token[where:] if extra else token[:where]
    for candidate in (changed, spliced):
        if candidate != token:
            with pytest.raises(InvalidToken):
                tokens.read(candidate)


def test_redact_tokens_rewrites_query_strings_in_log_records():
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws/rtcpool/?name=Ada&token=eyJw.abc-_&x=1"),
        None,
    )
    assert tokens.RedactTokens().filter(record) is True
    assert record.getMessage() == (
        '127.0.0.1:5000 - "WebSocket /ws/rtcpool/?name=Ada&token=[redacted]&x=1" [accepted]'
    )
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "no tokens %s", ("here",), None)
    assert tokens.RedactTokens().filter(plain) and plain.getMessage() == "no tokens here"
    assert not re.search(r"eyJw", record.getMessage())
