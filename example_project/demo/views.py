from django.shortcuts import render


def index(request):
    """The demo call page (filled in by the browser-client work)."""
    return render(request, "demo/index.html")
