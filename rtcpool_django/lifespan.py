"""The ASGI lifespan protocol, for the servers that speak it (uvicorn, hypercorn): route
``"lifespan"`` to :class:`Lifespan` in the site's ``ProtocolTypeRouter``::

    application = ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
            "lifespan": Lifespan(),
        }
    )

A worker must beat from the moment it serves, connections or not: an idle worker still
prunes the peers of dead ones. Building the application (``PoolConsumer.as_asgi()``)
starts the beat when it happens inside the server's running loop, and under daphne once
its reactor runs; but uvicorn (0.54) builds it before its loop runs. With this route the
beat starts at ``lifespan.startup`` instead; without it, at the first connection. At
``lifespan.shutdown`` (after the server closed its connections) the worker removes what
is left of its peers and its heartbeat row, as daphne's shutdown does.

daphne does not speak the protocol and never sends this scope; the route is harmless there.
"""

from __future__ import annotations

import logging
from typing import Any

from . import pools
from .heartbeat import heartbeat
from .registry import registry

logger = logging.getLogger("rtcpool_django")


class Lifespan:
    """An ASGI application for the ``"lifespan"`` scope."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                heartbeat.serve()  # in the server's running loop now: the beat starts
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await pools.aforget_worker(registry.worker_id)
                except Exception:
                    # Its peers are pruned by the other workers' heartbeats instead.
                    logger.exception("rtcpool: could not remove this worker's peers")
                await send({"type": "lifespan.shutdown.complete"})
                return
