from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from rtcpool_django import tokens


@login_required
def invited_call(request, room):
    """The call page with a join token for ``room``: it admits the signed-in user even to a
    room that admits token holders only, named as their account says."""
    name = request.user.get_full_name() or request.user.get_username()
    token = tokens.issue(room, user=request.user, description={"name": name})
    return render(request, "calls/call.html", {"room": room, "token": token})
