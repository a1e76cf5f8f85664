"""Read-only admin views of orders data (staff work in the screens of views.py)."""

from django.contrib import admin

from backoffice.admin import ReadOnlyAdmin

from .models import Customer, Order, OrderInbox, SurveyAnswer


@admin.register(OrderInbox)
class OrderInboxAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "status", "processed_at", "order")
    list_filter = ("status", "source")
    readonly_fields = ("source", "integration", "received_at", "payload", "status", "errors", "processed_at", "order")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "placed_at", "channel", "status", "total")
    list_filter = ("status", "channel")
    search_fields = ("number", "external_id")


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "document", "email", "blocked")
    search_fields = ("name", "document", "email")


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("answered_at", "order", "score")
