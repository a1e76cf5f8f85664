"""Admin views of the fiscal records, read-only: NF-e, their events and voided ranges are written by
the services only (signed, sent, registered at SEFAZ), and the settings by the fiscal screens,
which check them (a series' next number only forward, production without a test certificate)
and audit them. The A1 certificate is never shown: not its file, not its password."""

from django.contrib import admin

from backoffice.admin import ReadOnlyAdmin, SecretFieldsAdmin, TimelineAdmin

from .models import (
    FiscalProfile,
    Invoice,
    InvoiceEvent,
    InvoiceItem,
    SefazStatus,
    Series,
    StateTaxRate,
    TaxRule,
    VoidedRange,
)


@admin.register(FiscalProfile)
class FiscalProfileAdmin(SecretFieldsAdmin, ReadOnlyAdmin):
    secret_fields = ("certificate",)
    exclude = ("certificate",)
    list_display = ("legal_name", "cnpj", "regime", "environment", "certificate_expires_at", "certificate_is_test")


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ("environment", "number", "next_number", "active")
    list_filter = ("environment", "active")


@admin.register(TaxRule)
class TaxRuleAdmin(ReadOnlyAdmin):
    list_display = ("operation", "regime", "scope", "origin_uf", "destination_uf", "ncm_prefix", "priority", "cfop",
                    "icms_code", "icms_rate", "active")
    list_filter = ("operation", "regime", "scope", "active")
    search_fields = ("cfop", "ncm_prefix", "notes")


@admin.register(StateTaxRate)
class StateTaxRateAdmin(ReadOnlyAdmin):
    list_display = ("uf", "icms_rate", "fcp_rate")


class InvoiceItemInline(admin.TabularInline):
    model = InvoiceItem
    fields = ("position", "sku", "name", "ncm", "cfop", "icms_code", "quantity", "unit_price", "icms_amount",
              "ibs_amount", "cbs_amount", "total")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvoiceEventInline(admin.TabularInline):
    model = InvoiceEvent
    fields = ("kind", "sequence", "status", "status_code", "protocol", "occurred_at", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("__str__", "key", "status", "status_code", "recipient_name", "total", "issued_at")
    list_filter = ("status", "environment", "operation", "series")
    search_fields = ("key", "recipient_name", "recipient_document", "protocol")
    date_hierarchy = "issued_at"
    list_select_related = ("order",)
    inlines = (InvoiceItemInline, InvoiceEventInline)
    readonly_fields = ("timeline",)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("invoice", "kind", "sequence", "status", "status_code", "protocol", "occurred_at")
    list_filter = ("kind", "status")
    search_fields = ("invoice__key", "protocol")
    list_select_related = ("invoice",)
    readonly_fields = ("timeline",)


@admin.register(VoidedRange)
class VoidedRangeAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("environment", "series", "first", "last", "year", "status", "status_code", "protocol", "created_at")
    list_filter = ("environment", "status", "series")
    readonly_fields = ("timeline",)


@admin.register(SefazStatus)
class SefazStatusAdmin(ReadOnlyAdmin):
    list_display = ("uf", "environment", "up", "status_code", "status_message", "average_seconds", "checked_at")
    list_filter = ("environment", "up")
