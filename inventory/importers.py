"""Spreadsheet imports of the inventory: the catalog, and cycle counts."""

from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.forms import AmountField
from backoffice.imports import Importer, RowError, cell_bool, form_value, mark_duplicates
from backoffice.imports import cell_text as _text
from backoffice.tables import Column

from . import services
from .forms import ProductForm
from .models import MAX_QUANTITY, Product, Warehouse

# The average cost is not on the product form (receipts keep it), but a catalog may set it.
COST = AmountField(required=False)
# The catalog export is the import format, so a spreadsheet can go out and back in: one
# declaration per column (its key, its label in the reader's language, its kind).
CATALOG_COLUMNS = [
    Column("sku", gettext_lazy("SKU")),
    Column("name", gettext_lazy("Name")),
    Column("ncm", gettext_lazy("NCM")),
    Column("price", gettext_lazy("Price"), kind="money"),
    Column("gtin", gettext_lazy("GTIN/EAN")),
    Column("cest", gettext_lazy("CEST")),
    Column("origin", capfirst(gettext_lazy("origin"))),
    Column("unit", capfirst(gettext_lazy("unit"))),
    Column("cost", capfirst(gettext_lazy("average cost")), kind="money"),
    Column("reorder_point", capfirst(gettext_lazy("reorder point")), kind="number"),
    Column("gross_weight_kg", capfirst(gettext_lazy("gross weight (kg)")), kind="number"),
    Column("net_weight_kg", capfirst(gettext_lazy("net weight (kg)")), kind="number"),
    Column("height_cm", capfirst(gettext_lazy("height (cm)")), kind="number"),
    Column("width_cm", capfirst(gettext_lazy("width (cm)")), kind="number"),
    Column("length_cm", capfirst(gettext_lazy("length (cm)")), kind="number"),
    Column("variant_of", capfirst(gettext_lazy("variant of")), accessor="parent.sku"),
    Column("variant_label", capfirst(gettext_lazy("variant"))),
    Column("active", gettext_lazy("Active"), kind="bool"),
]
CATALOG_FIELDS = tuple(column.key for column in CATALOG_COLUMNS)
# Given to the product form as Decimals, whatever the language the file was written in.
FIELD_PLACES = {name: ProductForm.base_fields[name].decimal_places
                for name in ("price", "gross_weight_kg", "net_weight_kg", "height_cm", "width_cm", "length_cm")}


class CatalogImporter(Importer):
    """Creates or updates products by SKU (all fields in the file; missing optional ones keep
    their value on update and take the default on create)."""

    kind = "inventory.catalog"
    label = gettext_lazy("Import catalog")
    permission = "inventory.import_catalog"
    columns = tuple(CATALOG_COLUMNS[:4])
    optional_columns = tuple(CATALOG_COLUMNS[4:])
    example = (
        ("CAM-001-AZ-M", "Camiseta básica algodão azul M", "61091000", Decimal("59.90"), "7891234567895", "", 0, "UN",
         Decimal("22.50"), 10, Decimal("0.250"), Decimal("0.220"), Decimal("3.0"), Decimal("25.0"), Decimal("30.0"),
         "CAM-001", "Azul / M", True),
    )
    return_url_name = "inventory:product_list"

    def clean_rows(self, rows):
        existing = {p.sku: p for p in Product.objects.filter(sku__in=[_text(r.data.get("sku")) for r in rows])}
        parents = dict(Product.objects.filter(
            sku__in=[_text(r.data.get("variant_of")) for r in rows if r.data.get("variant_of")]
        ).values_list("sku", "pk"))
        in_file = {_text(r.data.get("sku")) for r in rows}
        # One level only: a variant's parent is not a variant itself.
        variants_in_file = {_text(r.data.get("sku")) for r in rows if _text(r.data.get("variant_of"))}
        existing_variants = set(Product.objects.filter(
            sku__in=[_text(r.data.get("variant_of")) for r in rows if r.data.get("variant_of")], parent__isnull=False
        ).values_list("sku", flat=True))
        for row in rows:
            sku = _text(row.data.get("sku"))
            instance = existing.get(sku) or Product()
            data = {f: getattr(instance, f) for f in ProductForm.Meta.fields if f not in ("parent", "image")}
            data["parent"] = instance.parent_id
            for name in CATALOG_FIELDS:
                if name in row.data and name not in ("variant_of", "active", "cost"):
                    data[name] = form_value(row.data[name], places=FIELD_PLACES.get(name))
            form = ProductForm(data=data, instance=instance)
            for field, errors in form.errors.items():
                label = field if field != "__all__" else _("row")
                row.errors.extend(f"{label}: {error}" for error in errors)
            parent = _text(row.data.get("variant_of"))
            if parent == sku:
                row.errors.append(_("variant_of: a product cannot be a variant of itself"))
            elif parent and parent not in parents and parent not in in_file:
                row.errors.append(_("variant_of: no product has the SKU “%(sku)s”") % {"sku": parent})
            elif parent in variants_in_file or parent in existing_variants:
                row.errors.append(_("variant_of: “%(sku)s” is itself a variant") % {"sku": parent})
            try:
                active = cell_bool(row.data.get("active"), default=instance.active)
            except forms.ValidationError as exc:
                row.errors.append(f"active: {exc.messages[0]}")
                active = None
            cost = None
            try:
                cost = COST.clean(form_value(row.data.get("cost"), places=COST.decimal_places))
            except forms.ValidationError as exc:
                row.errors.extend(f"cost: {message}" for message in exc.messages)
            if cost is None:
                cost = instance.cost
            if not row.errors:
                row.cleaned = {**form.cleaned_data, "active": active, "cost": cost, "variant_of": parent,
                               "instance": instance}
        mark_duplicates(rows, lambda r: _text(r.data.get("sku")))

    def apply_row(self, row, *, user, reference):
        data = {k: v for k, v in row.cleaned.items() if k not in ("instance", "variant_of", "image", "parent")}
        product = row.cleaned["instance"]
        for name, value in data.items():
            setattr(product, name, value)
        services.product_save(product=product, user=user)

    def finish(self, rows, *, user, reference):
        # Parents are linked once every row exists, whatever the order of the rows.
        for row in rows:
            product, parent = row.cleaned["instance"], row.cleaned["variant_of"]
            parent_id = Product.objects.get(sku=parent).pk if parent else None
            if product.parent_id != parent_id:
                product.parent_id = parent_id
                services.product_save(product=product, user=user)


class CountImporter(Importer):
    """A cycle count: the counted on-hand quantity of each SKU in a warehouse."""

    kind = "inventory.count"
    label = gettext_lazy("Import cycle count")
    permission = "inventory.adjust_stock"
    columns = (Column("sku", gettext_lazy("SKU")), Column("warehouse", gettext_lazy("Warehouse")),
               Column("counted", gettext_lazy("Counted"), kind="number"))
    example = (("CAM-001-AZ-M", "principal", 12),)
    return_url_name = "inventory:movement_list"

    def clean_rows(self, rows):
        products = dict(Product.objects.filter(sku__in=[_text(r.data.get("sku")) for r in rows])
                        .values_list("sku", "pk"))
        warehouses = dict(Warehouse.objects.filter(active=True).values_list("code", "pk"))
        for row in rows:
            sku, code, counted = (_text(row.data.get(k)) for k in ("sku", "warehouse", "counted"))
            if sku not in products:
                row.errors.append(_("sku: unknown SKU “%(sku)s”") % {"sku": sku})
            if code not in warehouses:
                row.errors.append(_("warehouse: unknown or inactive warehouse “%(code)s”") % {"code": code})
            try:
                quantity = int(counted)
                if quantity < 0:
                    row.errors.append(_("counted: cannot be negative"))
                elif quantity > MAX_QUANTITY:
                    row.errors.append(_("counted: at most %(max)d") % {"max": MAX_QUANTITY})
            except ValueError:
                row.errors.append(_("counted: “%(value)s” is not a whole number") % {"value": counted})
            if not row.errors:
                row.cleaned = {"product_id": products[sku], "warehouse_id": warehouses[code], "counted": quantity}
        mark_duplicates(rows, lambda r: (_text(r.data.get("sku")), _text(r.data.get("warehouse"))))

    def apply_row(self, row, *, user, reference):
        product = Product.objects.get(pk=row.cleaned["product_id"])
        warehouse = Warehouse.objects.get(pk=row.cleaned["warehouse_id"])
        try:
            services.stock_adjust(product=product, warehouse=warehouse, counted=row.cleaned["counted"], user=user,
                                  reference=reference)
        except services.InventoryError as exc:
            raise RowError(str(exc)) from exc
