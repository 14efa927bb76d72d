"""ssp v2 against a real daphne process of the example project, over real WebSockets."""

import json

import pytest
import websockets

from .live import WSClient

OFFER = {"type": "offer", "sdp": "v=0\r\n"}


@pytest.fixture(scope="module")
def _shared_server(module_workers):
    # No test here stops or stalls it: one daphne serves them all.
    return module_workers()[0]


@pytest.fixture
def server(_shared_server, transactional_db):
    return _shared_server


async def test_join_relay_and_leave(server):
    a, b = await WSClient.connect(server.url), await WSClient.connect(server.url)
    await a.join("live")
    joined = await b.join("live")
    assert joined["peers"] == [a.id] and joined["pool"] == "live"
    assert await a.expect("rtc:peer") == {"id": b.id}

    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
    await a.send("rtc:sdp", {"to": b.id, "description": {"type": "answer", "sdp": "v=0"}})
    assert (await b.expect("rtc:sdp"))["peer"] == a.id
    for n in range(30):
        await a.send(
            "rtc:candidate", {"for": b.id, "from": b.id, "candidate": {"candidate": str(n)}}
        )
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})
    got = [await b.expect("rtc:candidate") for _ in range(31)]
    assert [c["from"] for c in got] == [a.id] * 31
    assert [c["candidate"] for c in got] == [{"candidate": str(n)} for n in range(30)] + [None]

    await b.close()
    assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
    assert await a.drain() == []
    await a.close()


async def test_bad_input_over_a_real_socket_keeps_the_connection(server):
    a, b = await WSClient.connect(server.url), await WSClient.connect(server.url)
    await a.join("live")
    await b.send_raw(b"\x00binary")
    await b.error("binary_frame")
    await b.send_raw("{not json")
    await b.error("invalid_json")
    await b.send_raw(json.dumps({"type": "rtc:join", "data": {"pool": "x" * 70000}}))
    await b.error("frame_too_large")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    await b.error("not_joined")
    await b.join("live")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": "ghost", "description": OFFER})
    await b.error("unknown_peer")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
    await a.close()
    await b.close()


async def test_foreign_origins_are_refused(server):
    with pytest.raises(websockets.InvalidStatus):
        await WSClient.connect(server.url, origin="https://evil.example")
