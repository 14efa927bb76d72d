from django.shortcuts import render


def call(request):
    return render(request, "calls/call.html")
