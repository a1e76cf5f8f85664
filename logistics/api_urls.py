from django.urls import path

from . import api

app_name = "logistics_api"

urlpatterns = [
    path("quote/", api.freight_quote, name="freight_quote"),
]
