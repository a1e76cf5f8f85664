from django.urls import path

from . import public_views

urlpatterns = [
    path("rastreio/", public_views.track, name="track"),
]
