from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

from example_project.demo import views

urlpatterns = [
    path("", views.index, name="demo"),
    path("admin/", admin.site.urls),
    # The ICE servers (STUN, TURN credentials) at rtcpool/ice-servers/.
    path("rtcpool/", include("rtcpool_django.urls")),
]
# The demo page's scripts, served by the worker itself while DEBUG is on (a real site
# serves static files its own way, e.g. collectstatic + WhiteNoise or the web server).
urlpatterns += staticfiles_urlpatterns()
