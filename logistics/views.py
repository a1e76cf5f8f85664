"""Fulfilment screens: the orders to pick and their picking list, the packing bench (a parcel begun,
each unit scanned into it, weighed, handed to its carrier; reopened or cancelled before it leaves),
the parcels list and page with their label pages and packing slips, and the order page's panel."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backoffice.money import format_money, format_number
from backoffice.params import ticked_ids
from backoffice.roles import require
from backoffice.states import TransitionRefused, events_of
from backoffice.tables import Column, Table, table_response
from backoffice.templatetags.backoffice import dt
from orders.models import Order, OrderItem
from orders.models import Status as OrderStatus

from . import documents, quotes, selectors, services
from .filters import PickingFilter, ShipmentFilter
from .forms import PackForm, ScanForm, ShipForm, StartForm
from .models import Shipment, ShipmentItem

Status = Shipment.Status
# What a move refused says to the user: the service's reason, or the state machine's.
REFUSED = (services.ShippingError, TransitionRefused)
# Most orders in one picking list, most parcels in one PDF of label pages.
PICKING_MAX = 200
LABELS_MAX = 100
# Parcels still on the packing bench.
ON_THE_BENCH = (Status.PACKING, Status.PACKED)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    """A PDF the browser opens (and prints) in place."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _order_url(order):
    return reverse("orders:order_detail", args=[order.pk])


def _shipment_url(shipment):
    return reverse("logistics:shipment_detail", args=[shipment.pk])


# Picking ----------------------------------------------------------------------------------------


def pickable_orders():
    """The orders released for shipping (ready to ship or invoiced) with units not yet in a parcel
    (a cancelled one gives its units back), each with `to_pick`, how many; counted in the database."""
    ordered = (OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order")
               .annotate(units=Sum("quantity")).values("units"))
    parcelled = (ShipmentItem.objects.filter(shipment__order=OuterRef("pk")).exclude(shipment__status=Status.CANCELLED)
                 .order_by().values("shipment__order").annotate(units=Sum("quantity")).values("units"))
    return (Order.objects.filter(status__in=services.PACKABLE).select_related("customer")
            .annotate(to_pick=Coalesce(Subquery(ordered), 0) - Coalesce(Subquery(parcelled), 0))
            .filter(to_pick__gt=0))


PICKING_COLUMNS = [
    Column("select", "", accessor=lambda order: None, kind="template", template="logistics/cells/pick.html"),
    Column("number", gettext_lazy("Order"), accessor=lambda order: f"#{order.number}", sort="number",
           link=_order_url),
    Column("placed_at", gettext_lazy("Placed"), sort="placed_at", kind="datetime"),
    Column("customer", gettext_lazy("Customer"), accessor="customer.name", sort="customer__name"),
    Column("channel", gettext_lazy("Channel"), display=True, sort="channel"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("ship_uf", gettext_lazy("UF"), sort="ship_uf"),
    Column("to_pick", gettext_lazy("Units to pick"), sort="to_pick", kind="number"),
    Column("pack", "", accessor=lambda order: None, kind="template", template="logistics/cells/pack.html"),
]


def _ticked_orders(request):
    ids = ticked_ids(request.GET.getlist("ids"), limit=PICKING_MAX)
    return list(pickable_orders().filter(pk__in=ids).order_by("number")) if ids else []


@require("logistics.view_shipment")
@require_GET
def picking(request):
    """The orders to pick, filtered and ticked; `?ids=` the ticked ones' picking list, warehouse by
    warehouse and shelf by shelf, on screen (and `picking_pdf` the same on paper)."""
    filterset = PickingFilter(request.GET, queryset=pickable_orders())
    table = Table(request, filterset.qs, PICKING_COLUMNS, default_sort="placed_at",
                  export_columns=PICKING_COLUMNS[1:-1])
    ticked = _ticked_orders(request)
    return table_response(request, "logistics/picking.html", table, filename="picking", filter=filterset,
                          ticked={order.pk for order in ticked}, ticked_orders=ticked,
                          lines=selectors.picking_lines(ticked) if ticked else [])


@require("logistics.view_shipment")
@require_GET
def picking_pdf(request):
    """The picking list of the ticked orders, to print."""
    orders = _ticked_orders(request)
    if not orders:
        messages.error(request, _("Tick at least one order to pick."))
        return redirect("logistics:picking")
    return _pdf(documents.picking_list_pdf(orders), "picking-list.pdf")


# The packing bench ------------------------------------------------------------------------------


@require("logistics.ship_shipment")
def pack(request, pk):
    """A parcel of the order begun, with every unit not yet in another: the service it goes by (the
    cheapest for the order's parcel chosen at first) and its box; then to the packing screen. The
    order's parcels still on the bench are listed, to go on with them."""
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    to_pack = pickable_orders().filter(pk=order.pk).exists()
    form = StartForm(request.POST if request.method == "POST" else None,
                     options=quotes.quote(order) if to_pack else [])
    if request.method == "POST":
        if form.is_valid():
            try:
                shipment = services.shipment_start(order=order, user=request.user, **form.cleaned_data)
            except services.ShippingError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("logistics:shipment_pack", pk=shipment.pk)
    return render(request, "logistics/pack.html", {
        "order": order,
        "to_pack": to_pack,
        "form": form,
        "items": order.items.all(),
        "shipments": order.shipments.select_related("service__carrier").order_by("pk"),
    }, status=400 if form.errors else 200)


def _shipment(pk):
    return get_object_or_404(Shipment.objects.select_related("order__customer", "service__carrier", "box"), pk=pk)


def _bench(request, shipment, *, status=200, partial=False, last_pk=None, scan_error="", pack_form=None,
           ship_form=None):
    """The packing screen of `shipment` (`partial`: only its packing block, for the scanner's HTMX
    posts): its items, packed of each, the one scanned last (`last_pk`), what a scan was refused for,
    and the form its status asks for — the scan, the weighing once every unit is in, the handing over
    once packed."""
    items = list(shipment.items.select_related("order_item__product"))
    context = {
        "shipment": shipment,
        "items": items,
        "last": next((item for item in items if item.pk == last_pk), None),
        "scan_error": scan_error,
        "units": sum(item.quantity for item in items),
        "packed_units": sum(item.packed for item in items),
        "complete": all(item.packed == item.quantity for item in items),
        "pack_form": pack_form or PackForm(initial={"box": shipment.box_id}),
        "ship_form": ship_form or ShipForm(carrier=shipment.carrier),
        "invoiced": shipment.order.status == OrderStatus.INVOICED,
    }
    template = "logistics/shipment_pack.html"
    return render(request, f"{template}#packing" if partial else template, context, status=status)


@require("logistics.ship_shipment")
@require_GET
def shipment_pack(request, pk):
    """The packing screen: the scan box the scanner types into (each code then Enter), the items
    packed of each, then the weighing, then the handing over; a parcel gone is shown on its page."""
    shipment = _shipment(pk)
    if shipment.status not in ON_THE_BENCH:
        return redirect(_shipment_url(shipment))
    last = request.GET.get("last", "")
    return _bench(request, shipment, last_pk=int(last) if last.isdecimal() and len(last) < 19 else None)


@require("logistics.ship_shipment")
@require_POST
def shipment_scan(request, pk):
    """One unit scanned into the parcel by its SKU or GTIN. HTMX: the packing block again, the item
    scanned marked, or why the code was refused, and the scan box empty and focused for the next one
    (an answer of 200 either way: htmx swaps no other). Without HTMX: back to the packing screen, or
    400 and the screen saying why."""
    shipment = _shipment(pk)
    form = ScanForm(request.POST)
    last, error = None, ""
    if not form.is_valid():
        error = " ".join(form.errors["code"])
    else:
        try:
            last = services.shipment_scan(shipment=shipment, code=form.cleaned_data["code"], user=request.user)
        except services.ShippingError as exc:
            error = str(exc)
    if request.htmx:
        return _bench(request, shipment, partial=True, last_pk=last and last.pk, scan_error=error)
    if error:
        return _bench(request, shipment, status=400, scan_error=error)
    return redirect(f"{reverse('logistics:shipment_pack', args=[shipment.pk])}?last={last.pk}")


@require("logistics.ship_shipment")
@require_POST
def shipment_weigh(request, pk):
    """The parcel closed: weighed, its box or its size, priced and promised from its service's table."""
    shipment = _shipment(pk)
    form = PackForm(request.POST)
    if form.is_valid():
        try:
            shipment = services.shipment_pack(shipment=shipment, user=request.user, **form.cleaned_data)
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Packed: %(weight)s kg, %(cost)s by %(service)s, promised for %(date)s.") % {
                "weight": format_number(shipment.weight_kg, 3), "cost": format_money(shipment.cost),
                "service": shipment.service, "date": dt(shipment.promised_on)})
            return redirect("logistics:shipment_pack", pk=shipment.pk)
    return _bench(request, shipment, status=400, pack_form=form)


@require("logistics.ship_shipment")
@require_POST
def shipment_ship(request, pk):
    """The packed parcel handed to its carrier with its NF-e: the label and code from the carrier's
    API, or the code typed from its system (ours when it needs none)."""
    shipment = _shipment(pk)
    form = ShipForm(request.POST, carrier=shipment.carrier)
    if form.is_valid():
        try:
            shipment = services.shipment_ship(shipment=shipment, user=request.user,
                                              tracking_code=form.cleaned_data.get("tracking_code", ""))
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Handed to %(carrier)s, tracking code %(code)s.") % {
                "carrier": shipment.carrier, "code": shipment.tracking_code})
            return redirect(_shipment_url(shipment))
    return _bench(request, shipment, status=400, ship_form=form)


def _move(request, pk, service, done):
    """`service(shipment=…, user=…)` from a button of the packing screen, and back to it (or to the
    parcel's page once it left the bench), saying what was done or why not."""
    shipment = get_object_or_404(Shipment, pk=pk)
    try:
        shipment = service(shipment=shipment, user=request.user)
    except REFUSED as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, capfirst(done % {"parcel": shipment}))
    if shipment.status in ON_THE_BENCH:
        return redirect("logistics:shipment_pack", pk=shipment.pk)
    return redirect(_shipment_url(shipment))


@require("logistics.ship_shipment")
@require_POST
def shipment_reopen(request, pk):
    """A packed parcel opened again before it leaves: every unit to be scanned again."""
    return _move(request, pk, services.shipment_reopen, _("%(parcel)s reopened: scan its units again."))


@require("logistics.ship_shipment")
@require_POST
def shipment_cancel(request, pk):
    """A parcel not shipped given up: its units go back to be packed in another."""
    return _move(request, pk, services.shipment_cancel, _("%(parcel)s cancelled: its units can go in another parcel."))


@require("logistics.ship_shipment")
@require_POST
def shipment_deliver(request, pk):
    """Staff record that a parcel on its way arrived (the own fleet's, a pickup, a carrier without tracking)."""
    return _move(request, pk, services.shipment_record_delivery, _("%(parcel)s delivered."))


# Parcels ----------------------------------------------------------------------------------------


SHIPMENT_COLUMNS = [
    Column("select", "", accessor=lambda shipment: None, kind="template", template="logistics/cells/labels.html"),
    Column("tracking_code", gettext_lazy("Parcel"), accessor=str, sort="tracking_code", kind="code",
           link=_shipment_url),
    Column("order", gettext_lazy("Order"), accessor=lambda shipment: f"#{shipment.order.number}",
           sort="order__number", link=lambda shipment: _order_url(shipment.order)),
    Column("customer", gettext_lazy("Customer"), accessor="order.customer.name", sort="order__customer__name"),
    Column("service", gettext_lazy("Carrier"), accessor=lambda shipment: str(shipment.service),
           sort="service__carrier__name"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("tracking_status", gettext_lazy("Tracking"), display=True, sort="tracking_status", kind="badge"),
    Column("promised_on", gettext_lazy("Promised for"), sort="promised_on", kind="datetime"),
    Column("cost", gettext_lazy("Freight cost"), sort="cost", kind="money"),
    Column("shipped_at", gettext_lazy("Shipped"), sort="shipped_at", kind="datetime"),
]
SHIPMENT_EXPORT_COLUMNS = [
    Column("tracking_code", gettext_lazy("Tracking code")),
    *SHIPMENT_COLUMNS[2:4],
    Column("ship_cep", gettext_lazy("CEP"), accessor="order.ship_cep"),
    Column("ship_city", gettext_lazy("City"), accessor=lambda shipment: (
        f"{shipment.order.ship_city_name}/{shipment.order.ship_uf}")),
    Column("carrier", gettext_lazy("Carrier"), accessor="service.carrier.name"),
    Column("service", gettext_lazy("Service"), accessor="service.name"),
    *SHIPMENT_COLUMNS[5:8],
    Column("box", gettext_lazy("Box"), accessor="box.name"),
    Column("weight_kg", gettext_lazy("Weight (kg)"), kind="number"),
    SHIPMENT_COLUMNS[8],
    Column("created_at", gettext_lazy("Created"), kind="datetime"),
    SHIPMENT_COLUMNS[9],
    Column("delivered_at", gettext_lazy("Delivered"), kind="datetime"),
    Column("tracking_link", gettext_lazy("Tracking page")),
]


@require("logistics.view_shipment")
@require_GET
def shipment_list(request):
    filterset = ShipmentFilter(request.GET, queryset=Shipment.objects.select_related(
        "order__customer", "service__carrier", "box"))
    table = Table(request, filterset.qs, SHIPMENT_COLUMNS, default_sort="-created_at",
                  export_columns=SHIPMENT_EXPORT_COLUMNS)
    return table_response(request, "logistics/shipment_list.html", table, filename="parcels", filter=filterset)


@require("logistics.view_shipment")
@require_GET
def shipment_detail(request, pk):
    """The parcel: its items, box, weight, cost and promise, its carrier's tracking (link and events,
    newest first), its timeline, its label pages and packing slip."""
    shipment = _shipment(pk)
    return render(request, "logistics/shipment_detail.html", {
        "shipment": shipment,
        "items": shipment.items.select_related("order_item__product"),
        "tracking_events": shipment.tracking_events.all(),
        "events": events_of(shipment),
        "on_the_bench": shipment.status in ON_THE_BENCH,
    })


def _document(request, make, objects, filename, back):
    """The PDF `make(objects)` draws, or back to `back` saying why it cannot be printed yet."""
    try:
        return _pdf(make(objects), filename)
    except documents.DocumentUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(back)


@require("logistics.view_shipment")
@require_GET
def shipment_labels(request, pk):
    """The parcel's label pages (10 × 15 cm): the carrier's label or ours, the DANFE label, its contents."""
    shipment = get_object_or_404(Shipment, pk=pk)
    return _document(request, documents.package_pages_pdf, [shipment], f"labels-{shipment.pk}.pdf",
                     _shipment_url(shipment))


@require("logistics.view_shipment")
@require_GET
def shipment_slip(request, pk):
    """The parcel's packing slip (declaration of contents), to travel with it."""
    shipment = get_object_or_404(Shipment, pk=pk)
    return _document(request, documents.packing_slip_pdf, [shipment], f"packing-slip-{shipment.pk}.pdf",
                     _shipment_url(shipment))


@require("logistics.view_shipment")
@require_GET
def labels_pdf(request):
    """The label pages of the parcels ticked on the list, in one PDF to print at once."""
    ids = ticked_ids(request.GET.getlist("ids"), limit=LABELS_MAX)
    return _document(request, documents.package_pages_pdf, ids, "labels.pdf", reverse("logistics:shipment_list"))


# The order page's panel -------------------------------------------------------------------------


def order_logistics_panel(order) -> dict:
    """The order's parcels and, while it waits to leave, its parcel's freight options (cheapest
    first, each with its promise) and whether units are left to pack."""
    packable = order.status in services.PACKABLE
    return {
        "shipments": list(order.shipments.select_related("service__carrier").order_by("pk")),
        "options": quotes.quote(order) if packable else [],
        "to_pack": packable and pickable_orders().filter(pk=order.pk).exists(),
    }
