from django.shortcuts import render


def index(request):
    """The demo call page: its template and ``static/demo/demo.js`` hold the call."""
    return render(request, "demo/index.html")
