from django.urls import path

from . import notification_views as views

urlpatterns = [
    path("webhooks/<slug:carrier>/", views.carrier_webhook, name="carrier_webhook"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/replay/", views.notification_replay, name="notification_replay"),
]
