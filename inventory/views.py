"""Inventory screens: catalog, product stock, receiving, ledger, warehouses, low stock."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backoffice.http import flash_form_errors
from backoffice.references import reference_links
from backoffice.roles import require
from backoffice.tables import Column, Table, table_response

from . import selectors, services
from .filters import MovementFilter, ProductFilter, ReorderAlertFilter
from .forms import (
    AdjustForm,
    ProductForm,
    ReceiptForm,
    ReturnForm,
    StateChangeForm,
    TransferForm,
    WarehouseForm,
    WriteOffForm,
)
from .importers import CATALOG_COLUMNS
from .models import Product, ReorderAlert, State, Warehouse


def _product_url(product):
    return reverse("inventory:product_detail", args=[product.pk])


PRODUCT_COLUMNS = [
    Column("sku", gettext_lazy("SKU"), sort="sku", kind="code", link=_product_url),
    Column("name", gettext_lazy("Name"), sort="name"),
    Column("variant_label", gettext_lazy("Variant")),
    Column("gtin", gettext_lazy("GTIN/EAN")),
    Column("ncm", gettext_lazy("NCM"), sort="ncm"),
    Column("price", gettext_lazy("Price"), sort="price", kind="money"),
    Column("on_hand_total", gettext_lazy("On hand"), sort="on_hand_total", kind="number"),
    Column("reserved_total", gettext_lazy("Reserved"), sort="reserved_total", kind="number"),
    Column("available_total", gettext_lazy("Available"), sort="available_total", kind="number"),
    Column("reorder_point", gettext_lazy("Reorder point"), sort="reorder_point", kind="number"),
    Column("active", gettext_lazy("Active"), kind="bool"),
]


@require("inventory.view_product")
@require_GET
def product_list(request):
    filterset = ProductFilter(request.GET, queryset=selectors.products())
    if filterset.is_valid() and filterset.form.cleaned_data.get("warehouse"):
        filterset.queryset = selectors.products(warehouse=filterset.form.cleaned_data["warehouse"])
    table = Table(request, filterset.qs, PRODUCT_COLUMNS, default_sort="sku", export_columns=CATALOG_COLUMNS)
    return table_response(request, "inventory/product_list.html", table, filename="catalog", filter=filterset)


def _product_form_page(request, product):
    form = ProductForm(request.POST or None, request.FILES or None, instance=product)
    if request.method == "POST" and form.is_valid():
        product = services.product_save(product=form.save(commit=False), user=request.user)
        messages.success(request, _("Product %(sku)s saved.") % {"sku": product.sku})
        return redirect("inventory:product_detail", pk=product.pk)
    title = _("Edit %(sku)s") % {"sku": product.sku} if product.pk else _("New product")
    cancel = reverse("inventory:product_detail", args=[product.pk]) if product.pk else reverse("inventory:product_list")
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": cancel})


@require("inventory.add_product")
def product_new(request):
    return _product_form_page(request, Product())


@require("inventory.change_product")
def product_edit(request, pk):
    return _product_form_page(request, get_object_or_404(Product, pk=pk))


@require("inventory.change_product")
@require_POST
def product_set_active(request, pk):
    product = get_object_or_404(Product, pk=pk)
    active = request.POST.get("active") == "1"
    services.product_set_active(product=product, active=active, user=request.user)
    messages.success(request,
                     _("Product activated.") if active else _("Product deactivated: it can no longer be sold."))
    return redirect("inventory:product_detail", pk=pk)


STOCK_ACTIONS = {
    "adjust": AdjustForm,
    "transfer": TransferForm,
    "state": StateChangeForm,
    "write_off": WriteOffForm,
    "return": ReturnForm,
}


def _stock_context(product, forms=None):
    forms = forms or {}
    return {
        "product": product,
        "levels": selectors.levels().filter(product=product).order_by("warehouse__priority"),
        "movements": selectors.movements().filter(product=product)[:20],
        "forms": {name: forms.get(name) or form_class(prefix=name) for name, form_class in STOCK_ACTIONS.items()},
        "reservations": _linked(selectors.active_reservations(product)[:20]),
    }


def _linked(reservations):
    """Reservations, each with the (label, URL) of what holds it when its owner links it (`link`)."""
    reservations = list(reservations)
    links = reference_links(r.reference for r in reservations)
    for reservation in reservations:
        reservation.link = links.get(reservation.reference)
    return reservations


@require("inventory.view_product")
@require_GET
def product_detail(request, pk):
    product = get_object_or_404(selectors.products().select_related("parent"), pk=pk)
    return render(request, "inventory/product_detail.html", _stock_context(product))


@require("inventory.adjust_stock")
@require_POST
def product_stock_action(request, pk, action):
    """The inline stock forms of the product page; an HTMX request gets the stock block back."""
    product = get_object_or_404(Product, pk=pk)
    if action not in STOCK_ACTIONS:
        return redirect("inventory:product_detail", pk=pk)
    form = STOCK_ACTIONS[action](request.POST, prefix=action)
    if form.is_valid():
        try:
            _apply_stock_action(action, product, form.cleaned_data, request.user)
        except services.InventoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Stock updated."))
            form = None
    if not request.htmx:
        if form is None:
            return redirect("inventory:product_detail", pk=pk)
        flash_form_errors(request, form)
        return redirect("inventory:product_detail", pk=pk)
    product = selectors.products().get(pk=pk)
    context = _stock_context(product, {action: form} if form is not None else None)
    context["open_action"] = action if form is not None else None
    return render(request, "inventory/product_detail.html#stock", context)


def _apply_stock_action(action, product, data, user):
    if action == "adjust":
        services.stock_adjust(product=product, warehouse=data["warehouse"], counted=data["counted"], user=user,
                              reason=data["reason"])
    elif action == "transfer":
        services.stock_transfer(product=product, source=data["source"], destination=data["destination"],
                                quantity=data["quantity"], user=user, reason=data["reason"])
    elif action == "state":
        services.stock_change_state(product=product, warehouse=data["warehouse"], quantity=data["quantity"],
                                    from_state=data["from_state"], to_state=data["to_state"], user=user,
                                    reason=data["reason"])
    elif action == "write_off":
        services.stock_write_off(product=product, warehouse=data["warehouse"], quantity=data["quantity"],
                                 from_state=data["from_state"], user=user, reason=data["reason"])
    else:
        services.stock_return(product=product, warehouse=data["warehouse"], quantity=data["quantity"],
                              to_state=data["to_state"], user=user, reference=data["reference"])


@require("inventory.receive_stock")
def receipt(request):
    """Receiving goods: scan or type the SKU/GTIN, quantity and cost; the form comes back
    empty and focused for the next item."""
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = services.stock_receive(
                product=data["product"], warehouse=data["warehouse"], quantity=data["quantity"],
                unit_cost=data["unit_cost"], supplier=data["supplier"], reference=data["reference"],
                to_state=State.QUALITY_CONTROL if data["to_quality_control"] else State.SELLABLE, user=request.user,
            )
        except services.InventoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Received %(quantity)d × %(product)s.") % {
                "quantity": movement.quantity, "product": movement.product})
            form = ReceiptForm(initial={k: data[k] for k in ("warehouse", "supplier", "reference")})
    recent = selectors.movements().filter(kind="receipt", user=request.user)[:10]
    template = "inventory/receipt.html#receipt" if request.htmx else "inventory/receipt.html"
    return render(request, template, {"form": form, "recent": recent})


MOVEMENT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("product", gettext_lazy("SKU"), accessor="product.sku", sort="product__sku", kind="code",
           link=lambda m: reverse("inventory:product_detail", args=[m.product_id])),
    Column("warehouse", gettext_lazy("Warehouse"), accessor="warehouse.code", sort="warehouse__code"),
    Column("kind", gettext_lazy("Kind"), display=True, sort="kind", kind="badge"),
    Column("quantity", gettext_lazy("Quantity"), sort="quantity", kind="number"),
    Column("from_state", gettext_lazy("From"), display=True),
    Column("to_state", gettext_lazy("To"), display=True),
    Column("on_hand_delta", gettext_lazy("On hand ±"), kind="number"),
    Column("balance", gettext_lazy("On hand after"), kind="number"),
    Column("unit_cost", gettext_lazy("Unit cost"), kind="money"),
    Column("reference", gettext_lazy("Reference"), sort="reference", kind="reference"),
    Column("supplier", gettext_lazy("Supplier")),
    Column("reason", gettext_lazy("Reason")),
    Column("user", gettext_lazy("User"), accessor="user.username"),
]


@require("inventory.view_movement")
@require_GET
def movement_list(request):
    filterset = MovementFilter(request.GET, queryset=selectors.movements())
    table = Table(request, filterset.qs, MOVEMENT_COLUMNS, default_sort="-created_at",
                  export_columns=[c for c in MOVEMENT_COLUMNS if c.key != "balance"])
    if not table.export_format:
        balances = selectors.running_balances(table.page.object_list)
        for movement in table.page.object_list:
            movement.balance = balances[movement.pk]
    return table_response(request, "inventory/movement_list.html", table, filename="stock-ledger", filter=filterset)


LOW_STOCK_COLUMNS = [
    Column("sku", gettext_lazy("SKU"), sort="sku", kind="code", link=_product_url),
    Column("name", gettext_lazy("Name"), sort="name"),
    Column("available_total", gettext_lazy("Available"), sort="available_total", kind="number"),
    Column("reorder_point", gettext_lazy("Reorder point"), sort="reorder_point", kind="number"),
    Column("sold_30", gettext_lazy("Sold in 30 days"), kind="number"),
    Column("suggested", gettext_lazy("Suggested purchase"), kind="number"),
    Column("cost", gettext_lazy("Average cost"), sort="cost", kind="money"),
]


@require("inventory.view_product")
@require_GET
def low_stock(request):
    table = Table(request, selectors.low_stock(), LOW_STOCK_COLUMNS, default_sort="available_total")
    return table_response(request, "inventory/low_stock.html", table, filename="low-stock")


ALERT_COLUMNS = [
    Column("day", gettext_lazy("Day"), sort="day", kind="datetime"),
    Column("sku", gettext_lazy("SKU"), accessor="product.sku", sort="product__sku", kind="code",
           link=lambda alert: reverse("inventory:product_detail", args=[alert.product_id])),
    Column("name", gettext_lazy("Name"), accessor="product.name"),
    Column("available", gettext_lazy("Available"), sort="available", kind="number"),
    Column("reorder_point", gettext_lazy("Reorder point"), kind="number"),
    Column("sold_last_30_days", gettext_lazy("Sold in 30 days"), sort="sold_last_30_days", kind="number"),
    Column("suggested_quantity", gettext_lazy("Suggested purchase"), sort="suggested_quantity", kind="number"),
]


@require("inventory.view_reorderalert")
@require_GET
def reorder_alerts(request):
    """What the daily check flagged, day by day."""
    filterset = ReorderAlertFilter(request.GET, queryset=ReorderAlert.objects.select_related("product"))
    table = Table(request, filterset.qs, ALERT_COLUMNS, default_sort="-day")
    return table_response(request, "inventory/reorder_alerts.html", table, filename="reorder-alerts", filter=filterset)


WAREHOUSE_COLUMNS = [
    Column("code", gettext_lazy("Code"), sort="code",
           link=lambda w: reverse("inventory:warehouse_edit", args=[w.pk])),
    Column("name", gettext_lazy("Name"), sort="name"),
    Column("priority", gettext_lazy("Priority"), sort="priority", kind="number"),
    Column("products", gettext_lazy("Products in stock"), sort="products", kind="number"),
    Column("active", gettext_lazy("Active"), kind="bool"),
]


@require("inventory.view_warehouse")
@require_GET
def warehouse_list(request):
    table = Table(request, selectors.warehouses(), WAREHOUSE_COLUMNS, default_sort="priority")
    return table_response(request, "inventory/warehouse_list.html", table, filename="warehouses")


def _warehouse_form_page(request, warehouse):
    form = WarehouseForm(request.POST or None, instance=warehouse)
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.warehouse_save(warehouse=form.save(commit=False), user=request.user)
        except services.InventoryError as exc:
            form.add_error("active", str(exc))
        else:
            messages.success(request, _("Warehouse %(name)s saved.") % {"name": warehouse.name})
            return redirect("inventory:warehouse_list")
    title = _("Edit %(name)s") % {"name": warehouse.name} if warehouse.pk else _("New warehouse")
    return render(request, "form_page.html",
                  {"form": form, "title": title, "cancel_url": reverse("inventory:warehouse_list")})


@require("inventory.add_warehouse")
def warehouse_new(request):
    return _warehouse_form_page(request, Warehouse())


@require("inventory.change_warehouse")
def warehouse_edit(request, pk):
    return _warehouse_form_page(request, get_object_or_404(Warehouse, pk=pk))
