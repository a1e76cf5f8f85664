"""Read-mostly admin views of the inventory (the screens staff use are in views.py)."""

from django.contrib import admin

from backoffice.admin import ReadOnlyAdmin

from .models import Movement, Product, ReorderAlert, Reservation, StockLevel, Warehouse


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("sku", "name", "gtin", "ncm", "price", "active")
    search_fields = ("sku", "name", "gtin")
    list_filter = ("active",)


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "priority", "active")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("product", "warehouse", "on_hand", "reserved", "damaged", "quality_control", "safety")
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku",)


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "product", "warehouse", "kind", "quantity", "from_state", "to_state", "reference")
    list_select_related = ("product", "warehouse")
    list_filter = ("kind",)
    search_fields = ("product__sku", "reference")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "line", "level", "quantity", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)


@admin.register(ReorderAlert)
class ReorderAlertAdmin(ReadOnlyAdmin):
    list_display = ("day", "product", "available", "reorder_point", "sold_last_30_days", "suggested_quantity")
    list_filter = ("day",)
