from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.payment_list, name="payment_list"),
    path("<int:pk>/", views.payment_detail, name="payment_detail"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/replay/", views.webhook_replay, name="webhook_replay"),
    path("webhooks/<str:provider>/<int:account_id>/", views.webhook, name="webhook"),
]
