"""ASGI entry point: HTTP goes to Django, WebSockets to the rtcpool consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
# Django must be set up before anything imports models (the consumer does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from rtcpool_django.lifespan import Lifespan  # noqa: E402
from rtcpool_django.middleware import AuthMiddlewareStack  # noqa: E402
from rtcpool_django.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
        # uvicorn and hypercorn: each worker beats from startup, connections or not.
        "lifespan": Lifespan(),
    }
)
