from django.contrib import admin
from django.urls import include, path

from calls import invitations, views

urlpatterns = [
    path("admin/", admin.site.urls),
    # The app's HTTP views: the ICE servers (STUN, TURN credentials) at rtcpool/ice-servers/.
    path("rtcpool/", include("rtcpool_django.urls")),
    path("call/", views.call, name="call"),
    # Step 6: the call page with a join token, for the signed-in user.
    path("invited/<str:room>/", invitations.invited_call, name="invited-call"),
]
