import asyncio

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections

from rtcpool_django.consumers import PoolConsumer
from rtcpool_django.testing import SspClient

from .flush import _flush_survives_deadlocks  # noqa: F401 (an autouse fixture)
from .layer_kit import make  # noqa: F401 (a fixture: Redis channel layers on a test prefix)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's, and before the test database is dropped, the connection of
    asgiref's thread-sensitive thread closed: async tests run ORM calls through
    ``sync_to_async``, which (unlike Django's request cycle or Channels'
    ``database_sync_to_async``) never closes the connection its thread opened, and
    PostgreSQL refuses to drop a database a session is still using."""
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture
def application():
    return PoolConsumer.as_asgi()


@pytest.fixture
async def connect(application, transactional_db):
    """connect() -> a joined-or-not test client on the in-process consumer."""
    opened: list[SspClient] = []

    async def _connect(path: str = "/ws/rtcpool/", *, user=None) -> SspClient:
        client = await SspClient.connect(application, path, user=user)
        opened.append(client)
        return client

    yield _connect
    for client in opened:
        await client.close()


@pytest.fixture(scope="module")
def module_workers(django_db_setup):
    """start(n=1, **kwargs) -> n daphne Workers on the test database, started side by side
    and shared by the tests of one module (stopped after its last test).

    For tests that leave their workers serving as they found them: they neither stop,
    stall nor kill them, and they close what they opened. Each test still gets its
    flushed database (``transactional_db``); a worker's peer rows are its own, and its
    heartbeat row comes back with its next beat (nothing of ours needs it in between).
    The flush races the workers' departures and heartbeats, which is why it is retried
    when PostgreSQL aborts it as a deadlock victim (``tests/flush.py``)."""
    from .live import Worker, start_all, stop_all

    workers: list[Worker] = []

    def start(n: int = 1, **kwargs) -> list[Worker]:
        new = [Worker(**kwargs) for _ in range(n)]
        workers.extend(new)  # stopped after, even if one of them fails to start
        return start_all(new)

    yield start
    stop_all(workers)


@pytest.fixture
def live_worker(transactional_db):
    """start(**kwargs) -> a running daphne Worker on the test database; stopped after."""
    from .live import Worker, stop_all

    workers: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs).start()
        workers.append(worker)
        return worker

    yield start
    stop_all(workers)


async def wait_for(condition, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll an async ``condition()`` until it is true; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not await condition():  # noqa: ASYNC110 (polls the database)
            await asyncio.sleep(interval)
