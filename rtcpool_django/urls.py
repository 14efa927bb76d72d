"""HTTP routes of the app: ``path("rtcpool/", include("rtcpool_django.urls"))`` serves
the ICE servers at ``rtcpool/ice-servers/`` (``reverse("rtcpool_django:ice_servers")``)
and this worker's health for a load balancer at ``rtcpool/health/``
(``reverse("rtcpool_django:health")``)."""

from django.urls import path

from . import views

app_name = "rtcpool_django"

urlpatterns = [
    path("ice-servers/", views.ice_servers, name="ice_servers"),
    path("health/", views.health, name="health"),
]
