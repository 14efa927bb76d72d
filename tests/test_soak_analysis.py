"""benchmarks/soak.py's accounting of relays: which missing relay is explained and which
fails the run. Synthetic records; the soak itself runs in tests/multiworker/test_soak.py."""

from __future__ import annotations

from benchmarks.soak import Record, Session, analyse


def record_of(*sessions: Session) -> Record:
    record = Record()
    record.sessions = {session.id: session for session in sessions}
    return record


def test_every_relay_delivered_in_order_counts_nothing_missing() -> None:
    record = record_of(Session("a", 0, 0.0), Session("b", 1, 0.0))
    record.sent["a", "b"] = [(1, 1.0), (2, 2.0), (3, 3.0)]
    record.delivered["a", "b"] = [1, 2, 3]
    counts = analyse(record)
    assert counts["sent"] == counts["delivered"] == 3
    assert counts["unexplained_missing"] == counts["out_of_order"] == 0


def test_disorder_duplicates_and_unsent_relays_are_counted() -> None:
    record = record_of(Session("a", 0, 0.0), Session("b", 1, 0.0))
    record.sent["a", "b"] = [(1, 1.0), (2, 2.0), (3, 3.0)]
    record.delivered["a", "b"] = [2, 1, 3, 3, 7]
    record.delivered["b", "a"] = [1]  # a stream nobody sent on
    counts = analyse(record)
    assert counts["out_of_order"] == 1
    assert counts["duplicate_deliveries"] == 1
    assert counts["delivered_never_sent"] == 2


def test_a_relay_lost_between_live_peers_is_unexplained() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=100.0), Session("b", 1, 0.0, 100.0))
    record.sent["a", "b"] = [(1, 1.0), (2, 2.0), (3, 3.0)]
    record.delivered["a", "b"] = [1, 3]
    assert analyse(record)["unexplained_missing"] == 1


def test_a_missing_relay_answered_with_rtc_error_is_explained() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=100.0), Session("b", 1, 0.0, 100.0))
    record.sent["a", "b"] = [(1, 1.0), (2, 2.0), (3, 3.0)]
    record.delivered["a", "b"] = [1]
    record.relay_errors["a", "b"] = 1  # one of the two missing was refused, one lost
    counts = analyse(record)
    assert counts["missing_answered_rtc_error"] == 1
    assert counts["unexplained_missing"] == 1


def test_relays_near_an_end_or_during_the_redis_restart_are_windowed() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=50.0), Session("b", 1, 0.0, ended_at=20.0))
    record.redis_down = (10.0, 12.0)
    record.sent["a", "b"] = [(1, 1.0), (2, 11.0), (3, 19.0), (4, 30.0)]
    record.sent["b", "a"] = [(1, 19.5)]
    counts = analyse(record, latency=2.0, repair=2.0)
    assert counts["missing_redis_restart"] == 1  # seq 2
    assert counts["missing_receiver_ended"] == 2  # seqs 3 and 4: b ended at 20
    assert counts["missing_sender_ended"] == 1  # b's last relay, sent as b was leaving
    assert counts["unexplained_missing"] == 1  # seq 1: nothing excuses it


def test_relays_to_a_peer_whose_client_never_read_its_join_are_counted_apart() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=100.0))
    record.sent["a", "x"] = [(1, 1.0), (2, 2.0)]
    counts = analyse(record)
    assert counts["missing_receiver_never_joined"] == 2
    assert counts["unexplained_missing"] == 0


def test_a_gap_is_never_taken_for_a_relay_in_flight_at_an_end() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=20.0), Session("b", 1, 0.0, ended_at=20.0))
    record.sent["a", "b"] = [(1, 19.0), (2, 19.5)]
    record.delivered["a", "b"] = [2]  # 1 was lost: 2, sent after it, arrived
    counts = analyse(record, latency=2.0)
    assert counts["unexplained_missing"] == 1
    assert counts["missing_receiver_ended"] == 0


def test_the_in_flight_window_is_the_slowest_delivery() -> None:
    record = record_of(Session("a", 0, 0.0, ended_at=50.0), Session("b", 1, 0.0, ended_at=20.0))
    record.sent["a", "b"] = [(1, 1.0), (2, 16.0)]
    record.delivered["a", "b"] = [1]
    record.latencies = [0.01, 5.0]  # the receiver's worker lagged 5 s at some point
    counts = analyse(record, latency=2.0)
    assert counts["missing_receiver_ended"] == 1
    assert counts["unexplained_missing"] == 0
    assert counts["in_flight_window_ms"] == 5000
