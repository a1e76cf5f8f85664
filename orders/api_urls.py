from django.urls import path

from . import api

app_name = "orders_api"

urlpatterns = [
    path("", api.order_create, name="order_create"),
    path("inbox/<int:pk>/", api.inbox_entry, name="inbox_entry"),
]
