"""PostgreSQL drops the workers' connections (a failover, pg_terminate_backend, an idle
timeout in a pooler): joins, relays and departures go on without a restart."""

from __future__ import annotations

import pytest
from django.db import connection

from ..live import WSClient
from .conftest import query

pytestmark = pytest.mark.multiworker


def terminate_server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'rtcpool-live'"
        )
        return cursor.fetchone()[0]


async def test_joins_and_departures_survive_terminated_database_connections(cluster):
    # Persistent connections with health checks, as the example project runs them.
    workers = cluster(2, "core", RTCPOOL_TEST_CONN_MAX_AGE="60")
    a = await WSClient.connect(workers[0].url)
    b = await WSClient.connect(workers[1].url)
    await a.join("pg")
    await b.join("pg")
    await a.expect("rtc:peer")

    assert await query(terminate_server_connections) >= 2  # each worker held one

    c = await WSClient.connect(workers[0].url)
    joined = await c.join("pg")
    assert set(joined["peers"]) == {a.id, b.id}
    assert (await a.expect("rtc:peer"))["id"] == c.id
    assert (await b.expect("rtc:peer"))["id"] == c.id
    await b.close()
    assert (await a.expect("rtc:close"))["id"] == b.id
    assert (await c.expect("rtc:close"))["id"] == b.id
    await c.candidate(a.id, None)
    assert await a.expect("rtc:candidate") == {"from": c.id, "candidate": None}

    assert await query(terminate_server_connections) >= 1
    await c.close()
    assert (await a.expect("rtc:close"))["id"] == c.id
    await a.close()
