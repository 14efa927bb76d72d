from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

from example_project.demo import views
from rtcpool_django.views import metrics

urlpatterns = [
    path("", views.index, name="demo"),
    # A join token for the signed-in user, which the demo page opens its socket with.
    path("join-token/", views.join_token, name="demo-join-token"),
    path("admin/", admin.site.urls),
    # The ICE servers (STUN, TURN credentials) at rtcpool/ice-servers/.
    path("rtcpool/", include("rtcpool_django.urls")),
    # This worker's Prometheus metrics (docs: "Monitor it with Prometheus"). A real site
    # lets only its Prometheus reach it (a firewall, the proxy, or a view that checks).
    path("metrics", metrics, name="metrics"),
]
# The demo page's scripts, served by the worker itself while DEBUG is on (a real site
# serves static files its own way, e.g. collectstatic + WhiteNoise or the web server).
urlpatterns += staticfiles_urlpatterns()
