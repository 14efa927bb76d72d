import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_asgi_app = get_asgi_application()  # before importing anything that uses models

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from rtcpool_django.lifespan import Lifespan  # uvicorn: beat from startup
from rtcpool_django.middleware import AuthMiddlewareStack  # Channels', lighter per frame
from rtcpool_django.routing import websocket_urlpatterns  # ws/rtcpool/

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
        "lifespan": Lifespan(),
    }
)
