"""The order list's spreadsheet, as an accountant asks for it: each order with its customer's
CPF/CNPJ and the shipping address, a sheet of the items (in CSV, a download of its own), and
the columns the apps downstream of orders add (payments: method, fees, net).

Those apps register their columns in `AppConfig.ready()`, as they register the order page's
panels: orders never imports them. What their columns read is prefetched once per chunk of
orders, so the export runs the same number of queries for ten orders as for a thousand.
"""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from backoffice.tables import Column, ExportSheet
from backoffice.text import format_cep, format_document, format_phone

from .models import OrderItem


@dataclass(frozen=True)
class OrderExportPart:
    columns: tuple[Column, ...]  # read from the order, after `prefetch`
    prefetch: Prefetch
    permission: str  # a user without it gets an export without these columns


ORDER_EXPORT_PARTS: list[OrderExportPart] = []


def register_order_export_part(part: OrderExportPart):
    ORDER_EXPORT_PARTS.append(part)


ORDER_COLUMNS = [
    Column("number", gettext_lazy("Order"), kind="number"),
    Column("placed_at", gettext_lazy("Placed"), kind="datetime"),
    Column("channel", gettext_lazy("Channel"), display=True),
    Column("external_id", capfirst(gettext_lazy("external id"))),
    Column("status", gettext_lazy("Status"), display=True),
    Column("customer", gettext_lazy("Customer"), accessor="customer.name"),
    Column("document", gettext_lazy("CPF/CNPJ"), accessor=lambda o: format_document(o.customer.document)),
    Column("state_registration", capfirst(gettext_lazy("state registration (IE)")),
           accessor="customer.state_registration"),
    Column("email", gettext_lazy("E-mail"), accessor="customer.email"),
    Column("phone", gettext_lazy("Phone"), accessor=lambda o: format_phone(o.customer.phone)),
    Column("ship_recipient", capfirst(gettext_lazy("recipient"))),
    Column("ship_street", capfirst(gettext_lazy("street"))),
    Column("ship_number", capfirst(gettext_lazy("number"))),
    Column("ship_complement", capfirst(gettext_lazy("complement"))),
    Column("ship_district", capfirst(gettext_lazy("district"))),
    Column("ship_city_name", gettext_lazy("City")),
    Column("ship_uf", gettext_lazy("UF")),
    Column("ship_cep", gettext_lazy("CEP"), accessor=lambda o: format_cep(o.ship_cep)),
    Column("ship_city_code", capfirst(gettext_lazy("IBGE city code"))),
    Column("items_total", gettext_lazy("Items"), kind="money"),
    Column("discount_total", gettext_lazy("Discount"), kind="money"),
    Column("shipping_total", gettext_lazy("Shipping"), kind="money"),
    Column("total", gettext_lazy("Total"), kind="money"),
    Column("paid_amount", gettext_lazy("Paid"), kind="money"),
]
ITEM_COLUMNS = [
    Column("order", gettext_lazy("Order"), accessor="order.number", kind="number"),
    Column("sku", gettext_lazy("SKU")),
    Column("name", gettext_lazy("Product")),
    Column("quantity", gettext_lazy("Quantity"), kind="number"),
    Column("unit_price", gettext_lazy("Unit price"), kind="money"),
    Column("discount", gettext_lazy("Discount"), kind="money"),
    Column("total", gettext_lazy("Total"), kind="money"),
]


def _items(table):
    """The items of the listed orders, in the list's order."""
    ordering = [f"{'-' if field.startswith('-') else ''}order__{field.lstrip('-')}" for field in table.ordering]
    return (OrderItem.objects.filter(order__in=table.queryset.values("pk")).select_related("order")
            .order_by(*ordering, "pk"))


def order_export_sheets(user) -> list[ExportSheet]:
    """The order list's sheets for `user`: the orders (with the downstream columns they may see)
    and their items."""
    parts = [part for part in ORDER_EXPORT_PARTS if user.has_perm(part.permission)]
    prefetches = [part.prefetch for part in parts]
    return [
        ExportSheet("orders", gettext_lazy("Orders"), [*ORDER_COLUMNS, *(c for part in parts for c in part.columns)],
                    lambda table: table.queryset.prefetch_related(*prefetches)),
        ExportSheet("items", gettext_lazy("Items"), ITEM_COLUMNS, _items),
    ]
