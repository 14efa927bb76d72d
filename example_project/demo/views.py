from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from rtcpool_django import tokens
from rtcpool_django.conf import rtcpool_settings
from rtcpool_django.protocol import ProtocolError, check_pool_name

from .policy import MAX_NAME_LENGTH


def index(request: HttpRequest) -> HttpResponse:
    """The demo call page: its template and ``static/demo/demo.js`` hold the call."""
    return render(request, "demo/index.html")


@never_cache  # a token is per request and must not sit in a shared cache
def join_token(request: HttpRequest) -> JsonResponse:
    """``GET ?pool=<room>`` -> ``{"token": ..., "name": ...}``: a join token for the
    signed-in user, naming them as their account does, so the page cannot pick a name.
    Anonymous visitors get 403: they may join only the open demo's public rooms."""
    if not request.user.is_authenticated:
        return _error(403, "forbidden", "Sign in to get a join token.")
    try:
        room = check_pool_name(request.GET.get("pool"), rtcpool_settings.MAX_POOL_NAME_LENGTH)
    except ProtocolError as error:
        return _error(400, error.reason, error.message)
    name = (request.user.get_full_name() or request.user.get_username())[:MAX_NAME_LENGTH]
    token = tokens.issue(room, user=request.user, description={"name": name})
    return JsonResponse({"token": token, "name": name})


def _error(status: int, reason: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"reason": reason, "message": message}}, status=status)
