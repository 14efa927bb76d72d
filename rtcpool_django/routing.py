"""WebSocket routes: include ``websocket_urlpatterns`` in the site's ``asgi.py``."""

from django.urls import path

from .consumers import PoolConsumer

websocket_urlpatterns = [
    path("ws/rtcpool/", PoolConsumer.as_asgi(), name="rtcpool"),
]
