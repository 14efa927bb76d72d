from django.contrib import admin
from django.urls import path

from example_project.demo import views

urlpatterns = [
    path("", views.index, name="demo"),
    path("admin/", admin.site.urls),
]
