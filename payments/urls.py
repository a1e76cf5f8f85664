from django.urls import path

from . import views
from .sandbox import views as sandbox

app_name = "payments"

urlpatterns = [
    path("", views.payment_list, name="payment_list"),
    path("new/", views.payment_new, name="payment_new"),
    path("<int:pk>/", views.payment_detail, name="payment_detail"),
    path("<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("<int:pk>/approve/", views.payment_approve, name="payment_approve"),
    path("<int:pk>/decline/", views.payment_decline, name="payment_decline"),
    path("receivables/", views.receivable_calendar, name="receivable_calendar"),
    path("releases/", views.releases, name="releases"),
    path("cash-flow/", views.cash_flow, name="cash_flow"),
    path("cash-flow/new/", views.cash_entry_new, name="cash_entry_new"),
    path("cash-flow/<int:pk>/realize/", views.cash_entry_realize, name="cash_entry_realize"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/replay/", views.webhook_replay, name="webhook_replay"),
    path("webhooks/<str:provider>/<int:account_id>/", views.webhook, name="webhook"),
    path("sandbox/pay/<int:pk>/", sandbox.pay, name="sandbox_pay"),
    path("sandbox/<str:provider>/<path:path>", sandbox.api, name="sandbox_api"),
]
