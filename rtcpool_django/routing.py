"""WebSocket routes: include ``websocket_urlpatterns`` in the site's ``asgi.py``."""

from django.urls import path

from .consumers import PoolConsumer

websocket_urlpatterns = [
    # URLRouter takes Django paths to ASGI apps; django-stubs types path() for views only.
    path("ws/rtcpool/", PoolConsumer.as_asgi(), name="rtcpool"),  # type: ignore[arg-type]
]
