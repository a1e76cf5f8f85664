"""Admin views of the logistics records, read-only: parcels and their tracking are written by the
services only (packed, shipped, followed), and the carriers, their tables and the boxes by the
logistics screens, which check and audit them. A carrier's API credentials are never shown."""

from django.contrib import admin

from backoffice.admin import ReadOnlyAdmin, SecretFieldsAdmin, TimelineAdmin

from .models import Box, Carrier, CarrierService, FreightRate, Shipment, ShipmentItem, TrackingEvent


@admin.register(Carrier)
class CarrierAdmin(SecretFieldsAdmin, ReadOnlyAdmin):
    secret_fields = ("credentials",)
    exclude = ("credentials",)
    list_display = ("name", "code", "kind", "provider", "cubic_factor", "active")
    list_filter = ("kind", "provider", "active")
    search_fields = ("name", "code")


@admin.register(CarrierService)
class CarrierServiceAdmin(ReadOnlyAdmin):
    list_display = ("carrier", "name", "code", "days", "handling_days", "max_weight_kg", "active")
    list_filter = ("carrier", "active")
    list_select_related = ("carrier",)


@admin.register(FreightRate)
class FreightRateAdmin(ReadOnlyAdmin):
    list_display = ("service", "cep_start", "cep_end", "weight_up_to_kg", "price", "days")
    list_filter = ("service",)
    search_fields = ("cep_start", "cep_end")
    list_select_related = ("service__carrier",)


@admin.register(Box)
class BoxAdmin(ReadOnlyAdmin):
    list_display = ("name", "length_cm", "width_cm", "height_cm", "weight_kg", "active")
    list_filter = ("active",)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ShipmentItemInline(_ReadOnlyInline):
    model = ShipmentItem
    fields = ("order_item", "quantity", "packed")
    readonly_fields = fields


class TrackingEventInline(_ReadOnlyInline):
    model = TrackingEvent
    fields = ("occurred_at", "code", "kind", "status", "description", "place", "source", "received_at")
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("__str__", "order", "service", "status", "tracking_status", "cost", "promised_on", "shipped_at")
    list_filter = ("status", "tracking_status", "service__carrier")
    search_fields = ("tracking_code", "carrier_reference")
    date_hierarchy = "created_at"
    list_select_related = ("order", "service__carrier")
    inlines = (ShipmentItemInline, TrackingEventInline)
    readonly_fields = ("timeline",)


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "shipment", "code", "kind", "status", "place", "source")
    list_filter = ("status", "source")
    search_fields = ("shipment__tracking_code", "code")
    list_select_related = ("shipment",)
