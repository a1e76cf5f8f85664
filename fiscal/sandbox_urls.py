"""Sandbox mode's SEFAZ (setting FISCAL_SANDBOX): the simulator's web services at
/fiscal/sandbox/sefaz/<service> (SEFAZ_URL's default then), as the SEFAZ client calls them; open to
anyone like SEFAZ's endpoints, which authenticate by the TLS certificate and the signatures."""

from django.urls import path

from backoffice.integrations.sandbox import api_view

from .providers import SEFAZ

urlpatterns = [
    path("sandbox/<str:provider>/<path:path>", api_view(SEFAZ, setting="FISCAL_SANDBOX"), name="sefaz_sandbox"),
]
