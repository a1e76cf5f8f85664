"""Sandbox mode's carriers (setting LOGISTICS_SANDBOX): each carrier's API played by its sandbox at
/logistics/sandbox/<carrier>/<path> (CORREIOS_API_URL's default then), as its client calls it; open to
anyone like the carriers' own APIs, which check their tokens."""

from django.urls import path

from backoffice.integrations.sandbox import api_view

from .providers import CARRIERS

urlpatterns = [
    path("sandbox/<str:provider>/<path:path>", api_view(CARRIERS, setting="LOGISTICS_SANDBOX"),
         name="carrier_sandbox"),
]
