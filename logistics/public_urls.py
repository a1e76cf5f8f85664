from django.urls import path

from . import public_views

urlpatterns = [
    path("rastreio/", public_views.track, name="track"),
    path("rastreio/devolucao/", public_views.track_return, name="track_return"),
]
