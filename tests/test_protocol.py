"""protocol.py alone: no Django, no Channels."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtcpool_django import protocol
from rtcpool_django.protocol import Candidate, Custom, Join, ProtocolError, Sdp

LIMITS = {"max_bytes": 1024, "max_pool_name_length": 20}


def parse(frame, **limits):
    text = frame if isinstance(frame, str) else json.dumps(frame)
    return protocol.parse(text, **{**LIMITS, **limits})


def reason_of(frame, **limits):
    with pytest.raises(ProtocolError) as info:
        parse(frame, **limits)
    assert info.value.message
    return info.value.reason


def test_join():
    assert parse({"type": "rtc:join", "data": {"pool": "room"}}) == Join("room")


def test_unicode_pool_name_within_limit():
    name = "ц" * 20
    assert parse({"type": "rtc:join", "data": {"pool": name}}) == Join(name)


@pytest.mark.parametrize("pool", [None, "", "   ", 7, ["room"], {"a": 1}, "x" * 21])
def test_bad_pool_names(pool):
    data = {} if pool is None else {"pool": pool}
    assert reason_of({"type": "rtc:join", "data": data}) == "invalid_pool_name"


def test_sdp():
    description = {"type": "offer", "sdp": "v=0"}
    frame = {"type": "rtc:sdp", "data": {"to": "p1", "description": description}}
    assert parse(frame) == Sdp("p1", description)


@pytest.mark.parametrize(
    "data",
    [
        {"description": {"type": "offer"}},
        {"to": "", "description": {"type": "offer"}},
        {"to": 5, "description": {"type": "offer"}},
        {"to": "p1"},
        {"to": "p1", "description": "v=0"},
        {"to": "p1", "description": None},
    ],
)
def test_bad_sdp(data):
    assert reason_of({"type": "rtc:sdp", "data": data}) == "invalid_field"


def test_candidate_ignores_client_from_and_keeps_null():
    frame = {"type": "rtc:candidate", "data": {"for": "p1", "from": "liar", "candidate": None}}
    assert parse(frame) == Candidate("p1", None)
    frame["data"]["candidate"] = {"candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host"}
    assert parse(frame).candidate == frame["data"]["candidate"]


@pytest.mark.parametrize(
    "data",
    [{"candidate": None}, {"for": "p1"}, {"for": "p1", "candidate": "a=candidate"}, {"for": None}],
)
def test_bad_candidate(data):
    assert reason_of({"type": "rtc:candidate", "data": data}) == "invalid_field"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "invalid_json"),
        ("{", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('"rtc:join"', "invalid_frame"),
        ("null", "invalid_frame"),
        ('{"data": {}}', "invalid_frame"),
        ('{"type": 5, "data": {}}', "invalid_frame"),
        ('{"type": null, "data": {}}', "invalid_frame"),
        ('{"type": "rtc:join"}', "invalid_frame"),
        ('{"type": "rtc:join", "data": null}', "invalid_frame"),
        ('{"type": "rtc:join", "data": ["room"]}', "invalid_frame"),
        ('{"type": "rtc:nope", "data": {}}', "unknown_event"),
        # Server-to-client events are not accepted from clients.
        ('{"type": "rtc:joined", "data": {}}', "unknown_event"),
        ('{"type": "rtc:stop", "data": {}}', "unknown_event"),
        ('{"type": "rtc:describe", "data": {}}', "unknown_event"),
    ],
)
def test_malformed_frames(text, reason):
    assert reason_of(text) == reason


def test_frame_size_counts_utf8_bytes():
    # 300 three-byte characters: 300 characters, but 900 bytes of UTF-8.
    frame = json.dumps({"type": "app:chat", "data": {"text": "€" * 300}}, ensure_ascii=False)
    assert len(frame) < 400
    assert reason_of(frame, max_bytes=800) == "frame_too_large"
    assert isinstance(parse(frame, max_bytes=1000), Custom)
    assert reason_of("x" * 1025) == "frame_too_large"


def test_custom_events_pass_through_unvalidated():
    assert parse({"type": "chat", "data": [1, 2]}) == Custom("chat", [1, 2])
    assert parse({"type": "chat"}) == Custom("chat", None)


def test_server_events_match_the_client_notes():
    assert json.loads(protocol.encode("rtc:stop", protocol.stop())) == {
        "type": "rtc:stop",
        "data": {},
    }
    assert protocol.close("p") == {"id": "p", "uid": "p"}
    assert protocol.describe("p", {"name": "A"}) == {
        "id": "p",
        "uid": "p",
        "description": {"name": "A"},
    }
    assert protocol.candidate("p", None) == {"from": "p", "candidate": None}
    assert protocol.sdp("p", {"type": "answer"}) == {"peer": "p", "description": {"type": "answer"}}
    assert protocol.peer("p") == {"id": "p"}
    assert protocol.joined("me", ["p"], {"p": None}, "room") == {
        "client_id": "me",
        "peers": ["p"],
        "descriptions": {"p": None},
        "pool": "room",
    }
    assert protocol.error("unknown_peer")["reason"] == "unknown_peer"


def test_reasons_are_stable_and_documented():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for reason in protocol.REASONS:
        assert f"`{reason}`" in readme, f"README does not document the reason {reason!r}"
    with pytest.raises(ValueError):
        ProtocolError("made_up")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    event_type=st.sampled_from(["rtc:join", "rtc:sdp", "rtc:candidate", "rtc:x"]) | st.text(),
    data=json_values,
)
def test_fuzz_structured_frames_only_raise_protocol_errors(event_type, data):
    try:
        parse({"type": event_type, "data": data})
    except ProtocolError as error:
        assert error.reason in protocol.REASONS


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300))
def test_fuzz_arbitrary_text_only_raises_protocol_errors(text):
    try:
        parse(text)
    except ProtocolError as error:
        assert error.reason in protocol.REASONS
