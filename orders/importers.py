"""Spreadsheet import of orders: one row per item; the rows that share a channel and an
external id are one order. Orders already imported (same channel and external id, no API
integration) are left as they are, so importing the same file twice creates nothing new."""

from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.imports import Importer, RowError, form_value
from backoffice.money import DECIMAL_PLACES
from backoffice.tables import Column

from . import services
from .forms import IntakeForm, IntakeItemForm

ORDER_COLUMNS = (
    Column("channel", gettext_lazy("Channel")),
    Column("external_id", capfirst(gettext_lazy("external id"))),
    Column("document", gettext_lazy("CPF/CNPJ")),
    Column("name", gettext_lazy("Name")),
    Column("cep", gettext_lazy("CEP")),
    Column("street", capfirst(gettext_lazy("street"))),
    Column("number", capfirst(gettext_lazy("number"))),
    Column("district", capfirst(gettext_lazy("district"))),
    Column("city_ibge", capfirst(gettext_lazy("IBGE city code"))),
)
ITEM_COLUMNS = (
    Column("sku", gettext_lazy("SKU")),
    Column("quantity", gettext_lazy("Quantity"), kind="number"),
    Column("unit_price", gettext_lazy("Unit price"), kind="money"),
)



class OrderImporter(Importer):
    kind = "orders.orders"
    label = gettext_lazy("Import orders")
    permission = "orders.add_order"
    columns = ORDER_COLUMNS + ITEM_COLUMNS
    optional_columns = (
        Column("email", gettext_lazy("E-mail")),
        Column("phone", gettext_lazy("Phone")),
        Column("state_registration", capfirst(gettext_lazy("state registration (IE)"))),
        Column("complement", capfirst(gettext_lazy("complement"))),
        Column("shipping", gettext_lazy("Shipping"), kind="money"),
        Column("notes", capfirst(gettext_lazy("notes"))),
        Column("discount", gettext_lazy("Discount"), kind="money"),
    )
    example = (
        ("web", "LOJA-1001", "390.533.447-05", "Maria da Silva", "01310-100", "Avenida Paulista", "1000", "Bela Vista",
         "3550308", "CAM-001-AZ-M", 2, Decimal("59.90"), "maria@example.com", "", "", "", Decimal("15.00"), "",
         Decimal("0.00")),
    )
    return_url_name = "orders:order_list"

    def clean_rows(self, rows):
        groups = {}
        for row in rows:
            # Amounts as a Brazilian spreadsheet writes them ("R$ 1.234,56") reach the forms, which
            # read the orders API's plain amounts, as Decimals.
            data = {key: form_value(value, places=DECIMAL_PLACES if key in MONEY_FIELDS else None)
                    for key, value in row.data.items()}
            order_form = IntakeForm({k: v for k, v in data.items() if k in IntakeForm.base_fields})
            item_form = IntakeItemForm({k: v for k, v in data.items() if k in IntakeItemForm.base_fields})
            for form in (order_form, item_form):
                for field, messages in form.errors.items():
                    row.errors.extend(f"{field}: {message}" for message in messages)
            key = (data.get("channel"), data.get("external_id"))
            first = groups.setdefault(key, row)
            if row.errors:
                continue
            if first is row:
                row.cleaned = {"order": order_form.cleaned_data, "items": [], "skus": set()}
            elif first.cleaned:
                if {k: v for k, v in order_form.cleaned_data.items() if k != "shipping"} != {
                        k: v for k, v in first.cleaned["order"].items() if k != "shipping"}:
                    row.errors.append(_("the order columns differ from row %(row)d of the same order")
                                      % {"row": first.number})
                    continue
            if first.cleaned:
                sku = item_form.cleaned_data["sku"].sku
                if sku in first.cleaned["skus"]:
                    row.errors.append(_("duplicated: %(sku)s is already in this order") % {"sku": sku})
                    continue
                first.cleaned["skus"].add(sku)
                first.cleaned["items"].append(item_form.cleaned_data)

    def apply_row(self, row, *, user, reference):
        # The first row of each order carries the whole order; the others are its items.
        if "order" in row.cleaned:
            try:
                # Every order of the file commits together: one transaction, many orders.
                services.order_receive(data=row.cleaned["order"], items=row.cleaned["items"], user=user, batch=True)
            except services.OrderError as exc:
                raise RowError(str(exc)) from exc


MONEY_FIELDS = {column.key for column in (*OrderImporter.columns, *OrderImporter.optional_columns)
                if column.kind == "money"}
