"""Return screens: the returns list, a return opened from the order page, the return's page with
what its status allows — approve or refuse, receive, inspect (staff), refund and close (finance) —
and the order page's returns panel."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.http import flash_form_errors
from backoffice.money import format_money
from backoffice.roles import require
from backoffice.states import TransitionRefused, events_of
from backoffice.tables import Column, Table, table_response
from orders.models import Order

from . import returns, selectors
from .filters import ReturnFilter
from .models import ReturnItem, ReturnRequest
from .return_forms import ApproveForm, CloseForm, InspectForm, ReceiveForm, RefuseForm, RequestForm

Status = ReturnRequest.Status
# What an action refused says to the user: the service's reason, or the state machine's.
REFUSED = (returns.ReturnError, TransitionRefused)
# The forms of the return's page, by the status that offers them.
FORMS_OF = {Status.REQUESTED: ("approve_form", "refuse_form"), Status.APPROVED: ("receive_form",),
            Status.RECEIVED: ("inspect_form",), Status.INSPECTED: ("close_form",)}


def _return_url(return_request):
    return reverse("logistics:return_detail", args=[return_request.pk])


def _order_url(order):
    return reverse("orders:order_detail", args=[order.pk])


def with_units(queryset):
    """`queryset` of returns, each with `units`, how many come back in it (counted in the database)."""
    units = (ReturnItem.objects.filter(request=OuterRef("pk")).order_by().values("request")
             .annotate(units=Sum("quantity")).values("units"))
    return queryset.annotate(units=Coalesce(Subquery(units), 0))


RETURN_COLUMNS = [
    Column("pk", gettext_lazy("Return"), sort="pk", kind="code", link=_return_url),
    Column("created_at", gettext_lazy("Requested"), sort="created_at", kind="datetime"),
    Column("order", gettext_lazy("Order"), accessor=lambda ret: f"#{ret.order.number}", sort="order__number",
           link=lambda ret: _order_url(ret.order)),
    Column("customer", gettext_lazy("Customer"), accessor="order.customer.name", sort="order__customer__name"),
    Column("reason", gettext_lazy("Reason"), display=True, sort="reason"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("units", gettext_lazy("Units"), sort="units", kind="number"),
    Column("reverse_code", gettext_lazy("Reverse-shipping code"), sort="reverse_code", kind="code"),
    Column("refunded", gettext_lazy("Refunded"), sort="refunded", kind="money"),
]
RETURN_EXPORT_COLUMNS = [
    *RETURN_COLUMNS[:4],
    Column("ship_uf", gettext_lazy("UF"), accessor="order.ship_uf"),
    *RETURN_COLUMNS[4:7],
    Column("details", gettext_lazy("Details")),
    Column("by_customer", gettext_lazy("Asked by the customer"), kind="bool"),
    Column("created_by", gettext_lazy("Opened by"), accessor="created_by.username"),
    RETURN_COLUMNS[7],
    Column("reverse_service", gettext_lazy("Reverse shipping by"), accessor=lambda ret: (
        str(ret.reverse_service) if ret.reverse_service_id else "")),
    Column("warehouse", gettext_lazy("Received at"), accessor="warehouse.name"),
    RETURN_COLUMNS[8],
    Column("return_invoice", gettext_lazy("Return NF-e"), accessor=lambda ret: (
        str(ret.return_invoice) if ret.return_invoice_id else "")),
    Column("updated_at", gettext_lazy("Updated"), kind="datetime"),
]


@require("logistics.view_returnrequest")
@require_GET
def return_list(request):
    filterset = ReturnFilter(request.GET, queryset=with_units(ReturnRequest.objects.select_related(
        "order__customer", "reverse_service__carrier", "warehouse", "return_invoice", "created_by")))
    table = Table(request, filterset.qs, RETURN_COLUMNS, default_sort="-created_at",
                  export_columns=RETURN_EXPORT_COLUMNS)
    return table_response(request, "logistics/return_list.html", table, filename="returns", filter=filterset)


@require("logistics.add_returnrequest")
@require_http_methods(["GET", "POST"])
def return_new(request, pk):
    """A return of the order (`pk`): the units of each item that come back, never more than are
    left to; an order that has not left, or whose every unit is in a return already, takes none."""
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    if order.status not in returns.RETURNABLE:
        messages.error(request, _("Only orders that left can come back: order #%(number)s is “%(status)s”.") % {
            "number": order.number, "status": order.get_status_display()})
        return redirect(_order_url(order))
    left = returns.returnable_quantities(order)
    if not any(left.values()):
        messages.error(request, _("Every unit of order #%(number)s is in a return already.") % {
            "number": order.number})
        return redirect(_order_url(order))
    form = RequestForm(request.POST if request.method == "POST" else None, items=order.items.all(), left=left)
    if form.is_bound and form.is_valid():
        try:
            created = returns.return_request(order=order, quantities=form.quantities,
                                             reason=form.cleaned_data["reason"],
                                             details=form.cleaned_data["details"], user=request.user)
        except returns.ReturnError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Return %(number)s opened for order #%(order)s: approve it once the "
                                        "goods may come back.") % {"number": created.pk, "order": order.number})
            return redirect(_return_url(created))
    return render(request, "logistics/return_form.html", {"order": order, "form": form},
                  status=400 if form.errors else 200)


def _return(pk):
    return get_object_or_404(ReturnRequest.objects.select_related(
        "order__customer", "reverse_service__carrier", "warehouse", "return_invoice", "created_by"), pk=pk)


def _close_form(return_request, data=None):
    """The refund, what the units that came back were paid for at first; at most that and the shipping."""
    value = returns.return_value(return_request)
    return CloseForm(data, value=value, most=format_money(value + return_request.order.shipping_total))


def _page(request, return_request, *, status=200, **forms):
    """The return's page: its order, customer, items and their outcomes, the reverse-shipping code,
    the refund and the return NF-e, its timeline, and the form of what its status allows next —
    `forms` (the one just posted, with what was wrong) in place of a fresh one."""
    items = list(return_request.items.select_related("order_item"))
    context = {
        "return_request": return_request,
        "items": items,
        "value": returns.return_value(return_request),
        "events": events_of(return_request),
    }
    if return_request.status == Status.REQUESTED:
        context.update(approve_form=ApproveForm(), refuse_form=RefuseForm())
    elif return_request.status == Status.APPROVED:
        context.update(receive_form=ReceiveForm())
    elif return_request.status == Status.RECEIVED:
        context.update(inspect_form=InspectForm(items=items))
    elif return_request.status == Status.INSPECTED:
        context.update(close_form=_close_form(return_request), shipping=return_request.order.shipping_total,
                       sale_invoice=selectors.order_invoice_of(return_request.order))
    context.update(forms)
    return render(request, "logistics/return_detail.html", context, status=status)


@require("logistics.view_returnrequest")
@require_GET
def return_detail(request, pk):
    return _page(request, _return(pk))


def _act(request, return_request, name, form, act, done):
    """The action posted from the return's page with `form` (its context name: `name`): `act(data)`
    calls its service with the form's cleaned data; then back to the page saying `done(the return)`,
    or the page again (400) with the form saying why not — what the service refused changed nothing.
    When the return has moved on meanwhile (the page no longer offers that form), why not is a message."""
    if form.is_valid():
        try:
            moved = act(form.cleaned_data)
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done(moved))
            return redirect(_return_url(moved))
    current = _return(return_request.pk)
    if name in FORMS_OF.get(current.status, ()):
        return _page(request, current, status=400, **{name: form})
    flash_form_errors(request, form)
    return redirect(_return_url(current))


@require("logistics.handle_returnrequest")
@require_POST
def return_approve(request, pk):
    """The goods may come back: by the service chosen, with its carrier's reverse authorization typed
    (or the store's own code)."""
    return_request = _return(pk)
    return _act(request, return_request, "approve_form", ApproveForm(request.POST),
                lambda data: returns.return_approve(request=return_request, user=request.user,
                                                    service=data["service"], reverse_code=data["reverse_code"]),
                lambda done: _("Return %(number)s approved: reverse-shipping code %(code)s.") % {
                    "number": done.pk, "code": done.reverse_code})


@require("logistics.handle_returnrequest")
@require_POST
def return_refuse(request, pk):
    return_request = _return(pk)
    return _act(request, return_request, "refuse_form", RefuseForm(request.POST),
                lambda data: returns.return_refuse(request=return_request, user=request.user, reason=data["reason"]),
                lambda done: _("Return %(number)s refused.") % {"number": done.pk})


@require("logistics.handle_returnrequest")
@require_POST
def return_receive(request, pk):
    """The goods arrived at a warehouse; they are inspected there."""
    return_request = _return(pk)
    return _act(request, return_request, "receive_form", ReceiveForm(request.POST),
                lambda data: returns.return_receive(request=return_request, user=request.user,
                                                    warehouse=data["warehouse"]),
                lambda done: _("Return %(number)s received at %(warehouse)s: inspect its items.") % {
                    "number": done.pk, "warehouse": done.warehouse})


@require("logistics.handle_returnrequest")
@require_POST
def return_inspect(request, pk):
    """What becomes of each item: its units back to stock, to quality control, or written off."""
    return_request = _return(pk)
    form = InspectForm(request.POST, items=return_request.items.all())
    return _act(request, return_request, "inspect_form", form,
                lambda data: returns.return_inspect(request=return_request, user=request.user,
                                                    outcomes=form.outcomes),
                lambda done: _("Return %(number)s inspected: finance refunds and closes it.") % {"number": done.pk})


@require("logistics.close_returnrequest")
@require_POST
def return_close(request, pk):
    """Finance closes an inspected return: the return NF-e (when the order was invoiced), then the
    refund through the order's payments."""
    return_request = _return(pk)
    return _act(request, return_request, "close_form", _close_form(return_request, request.POST),
                lambda data: returns.return_close(request=return_request, user=request.user, refund=data["refund"]),
                lambda done: _("Return %(number)s closed: %(refund)s refunded.") % {
                    "number": done.pk, "refund": format_money(done.refunded)})


# The order page's panel -------------------------------------------------------------------------


def order_returns_panel(order) -> dict:
    """The order's returns, newest first, and whether another can be opened: the order left (shipped,
    delivered or closed) and some of its units are not in a return yet."""
    has_left = order.status in returns.RETURNABLE
    return {
        "returns": list(with_units(order.return_requests.all())),
        "has_left": has_left,
        "returnable": has_left and any(returns.returnable_quantities(order).values()),
    }
