"""Customer and order screens: lists, customer registration, the staff order form, the
order page with its timeline and the pipeline actions."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, retarget

from backoffice.http import flash_form_errors, redirect_back
from backoffice.integrations.errors import ProviderError
from backoffice.integrations.sandbox import api_view
from backoffice.money import ZERO
from backoffice.params import query_text, ticked_ids
from backoffice.roles import require
from backoffice.search import text_search
from backoffice.states import events_of
from backoffice.tables import Column, Table, table_response
from backoffice.text import format_document, format_phone
from inventory.selectors import availability

from . import selectors, services
from .bulk import BULK_OPERATIONS, bulk_operations
from .exports import order_export_sheets
from .filters import CustomerFilter, OrderFilter, SurveyAnswerFilter
from .forms import AddressForm, CustomerForm, MergeForm, NoteForm, OrderForm, OrderItemFormSet, ReasonForm, SurveyForm
from .models import Customer, Order, Tag
from .panels import order_panels
from .providers import CEP_LOOKUPS, place_of
from .services import ItemInput
from .survey import SURVEYED, order_id_from_token
from .validators import clean_cep, clean_document, uf_of_cep


def _customer_url(customer):
    return reverse("orders:customer_detail", args=[customer.pk])


def _order_url(order):
    return reverse("orders:order_detail", args=[order.pk])


CUSTOMER_COLUMNS = [
    Column("name", gettext_lazy("Name"), sort="name", link=_customer_url),
    Column("document", gettext_lazy("CPF/CNPJ"), accessor=lambda c: format_document(c.document), sort="document"),
    Column("email", gettext_lazy("E-mail"), sort="email"),
    Column("phone", gettext_lazy("Phone"), accessor=lambda c: format_phone(c.phone)),
    Column("order_count", gettext_lazy("Orders"), sort="order_count", kind="number"),
    Column("blocked", gettext_lazy("Blocked"), kind="bool"),
]


@require("orders.view_customer")
@require_GET
def customer_list(request):
    filterset = CustomerFilter(request.GET, queryset=selectors.customers())
    table = Table(request, filterset.qs, CUSTOMER_COLUMNS, default_sort="name")
    return table_response(request, "orders/customer_list.html", table, filename="customers", filter=filterset)


@require("orders.add_customer")
def customer_new(request):
    """A new customer with their first address, on one form."""
    form = CustomerForm(request.POST or None, prefix="customer")
    address_form = AddressForm(request.POST or None, prefix="address", initial={"is_default": True})
    existing = None
    if request.method == "POST" and form.is_valid() and address_form.is_valid():
        try:
            customer = services.customer_save(customer=form.save(commit=False), user=request.user)
        except services.DocumentInUse as exc:
            form.add_error("document", str(exc))
            existing = exc.existing
        else:
            address = address_form.save(commit=False)
            address.customer = customer
            services.address_save(address=address, user=request.user)
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect(_customer_url(customer))
    return render(request, "orders/customer_form.html", {"form": form, "address_form": address_form,
                                                         "existing": existing})


@require("orders.change_customer")
def customer_edit(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, prefix="customer",
                        initial={"document": format_document(customer.document)})
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_save(customer=form.save(commit=False), user=request.user)
        except services.DocumentInUse as exc:
            form.add_error("document", str(exc))
            existing = exc.existing
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect(_customer_url(customer))
    return render(request, "orders/customer_form.html", {"form": form, "customer": customer, "existing": existing})


@require("orders.view_customer")
@require_GET
def customer_document(request):
    """HTMX: as the CPF/CNPJ is typed on the customer form, the customer it identifies
    already (with links to open them or to take an order for them), before anything is saved."""
    existing = None
    pk = request.GET.get("customer", "")
    pk = int(pk) if re.fullmatch(r"[0-9]{1,18}", pk) else None  # a longer number overflows the database's integers
    try:
        _kind, document = clean_document(query_text(request, "customer-document"))
    except ValidationError:  # an incomplete or invalid document: the form says so when sent
        pass
    else:
        existing = selectors.document_holder(document, customer_pk=pk)
    return render(request, "orders/partials/document_in_use.html", {"existing": existing})


@require("orders.view_customer")
@require_GET
def customer_detail(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    if customer.merged_into_id:
        messages.info(request, _("This customer was merged into another one."))
        return redirect(_customer_url(customer.merged_into))
    return render(request, "orders/customer_detail.html", {
        "customer": customer,
        "addresses": customer.addresses.select_related("city"),
        "orders": selectors.orders().filter(customer=customer)[:50],
        "duplicates": selectors.customer_duplicates(customer),
        "address_form": AddressForm(prefix="address"),
    })


@require("orders.add_address")
@require_POST
def address_new(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = AddressForm(request.POST, prefix="address")
    if form.is_valid():
        address = form.save(commit=False)
        address.customer = customer
        services.address_save(address=address, user=request.user)
        messages.success(request, _("Address added."))
    else:
        flash_form_errors(request, form)
    return redirect(_customer_url(customer))


@require("orders.merge_customer")
@require_POST
def customer_merge(request, pk):
    keep = get_object_or_404(Customer, pk=pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            services.customer_merge(keep=keep, merge=form.cleaned_data["other"], user=request.user)
        except services.OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Customers merged."))
    return redirect(_customer_url(keep))


@require("orders.view_customer")
@require_GET
def address_fields(request):
    """HTMX: for the typed CEP, the street, district, UF and city the CEP lookup gives (the UF
    alone, with a note, when it does not know the CEP or does not answer); for a chosen UF or a
    typed city name, the UF and city fields."""
    data, note, place = request.GET.copy(), "", None
    try:
        cep = clean_cep(data.get("address-cep", "")) if data.get("from_cep") else ""
    except ValidationError:  # an incomplete CEP fills nothing
        cep = ""
    if cep:
        data["address-uf"] = uf_of_cep(cep) or data.get("address-uf", "")
        try:
            place = place_of(cep)
        except ProviderError:
            note = _("The CEP lookup is not answering: type the street, district and city.")
        else:
            if not place and settings.CEP_LOOKUP:  # (no lookup configured: the UF, as always, and no note)
                note = _("The CEP lookup does not know this CEP: type the street, district and city.")
        if place and place.uf == data["address-uf"]:
            data["address-street"] = place.street or data.get("address-street", "")
            data["address-district"] = place.district or data.get("address-district", "")
            data["address-city"] = place.city_code
        else:
            place = None
    form = AddressForm(data, prefix="address")
    # Only the fields filled here are shown: no errors for those not filled in yet.
    form.errors.clear()
    if city_q := query_text(request, "city_q"):
        form.fields["city"].queryset = form.fields["city"].queryset.filter(text_search(city_q, "name"))
    if place:
        return render(request, "orders/partials/address_place.html", {"address_form": form})
    # Nothing found: only the UF and city change, so what was typed meanwhile in the street stays.
    response = render(request, "orders/partials/address_city.html", {"address_form": form, "cep_note": note})
    return retarget(response, "#address-city") if request.GET.get("from_cep") else response


# Sandbox mode's CEP lookup API, as the lookup's client calls it; open to anyone, like ViaCEP itself.
cep_sandbox = api_view(CEP_LOOKUPS, setting="CEP_SANDBOX")


@require("orders.view_customer")
@require_GET
def customer_search(request):
    """HTMX: customers matching the typed name, document or e-mail, for the order form."""
    return render(request, "orders/partials/customer_results.html",
                  {"customers": selectors.customer_search(query_text(request, "q"))})


@require("orders.view_customer")
@require_GET
def customer_addresses(request):
    """HTMX: the address choice of the order form for the chosen customer (their only one chosen)."""
    form = OrderForm(initial={"customer": request.GET.get("customer")})
    return render(request, "orders/partials/address_choice.html", {"form": form})


ORDER_COLUMNS = [
    Column("select", "", accessor=lambda order: None, kind="template", template="orders/cells/select.html"),
    Column("number", gettext_lazy("Order"), accessor=lambda o: f"#{o.number}", sort="number", link=_order_url),
    Column("placed_at", gettext_lazy("Placed"), sort="placed_at", kind="datetime"),
    Column("customer", gettext_lazy("Customer"), accessor="customer.name", sort="customer__name"),
    Column("channel", gettext_lazy("Channel"), display=True, sort="channel"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("ship_uf", gettext_lazy("UF"), sort="ship_uf"),
    Column("total", gettext_lazy("Total"), sort="total", kind="money"),
    Column("paid_amount", gettext_lazy("Paid"), sort="paid_amount", kind="money"),
]

# The validation queue's own column: the checks each order failed, as its page words them.
QUEUE_REASONS = Column("validation_failures", gettext_lazy("Why it is in the queue"),
                       accessor=lambda order: "; ".join(order.failed_checks))


@require("orders.view_order")
@require_GET
def order_list(request):
    filterset = OrderFilter(request.GET, queryset=selectors.orders())
    columns = ORDER_COLUMNS
    if filterset.is_valid() and filterset.form.cleaned_data.get("queue"):
        columns = [*ORDER_COLUMNS, QUEUE_REASONS]
    table = Table(request, filterset.qs, columns, default_sort="-placed_at",
                  export_sheets=order_export_sheets(request.user))
    return table_response(request, "orders/order_list.html", table, filename="orders", filter=filterset,
                          tags=Tag.objects.all(), bulk_operations=bulk_operations(request.user))


@require("orders.view_order")
@require_POST
def order_bulk(request):
    """The list's bulk operations on the ticked orders (orders.bulk: tag, cancel with a reason, and
    those of the apps downstream), each under its own permission."""
    ids = ticked_ids(request.POST.getlist("ids"), limit=500)
    orders = list(Order.objects.filter(pk__in=ids).order_by("number"))
    operation = BULK_OPERATIONS.get(request.POST.get("operation", ""))
    if operation and not request.user.has_perm(operation.permission):
        raise PermissionDenied
    if not orders:
        messages.error(request, _("Tick at least one order."))
    elif operation is None:
        messages.error(request, _("Choose what to do with the ticked orders."))
    else:
        result = operation.run(orders=orders, user=request.user, data=request.POST)
        if result.done:
            messages.success(request, result.done)
        for line in result.refused:
            messages.error(request, line)
    if request.htmx:
        return HttpResponseClientRefresh()  # the list, as filtered, with the messages
    return redirect_back(request, "orders:order_list")


@require("orders.add_order")
def order_new(request):
    """The staff order form (phone or manual orders): customer search, address, items by SKU."""
    form = OrderForm(request.POST or None, initial={"customer": request.GET.get("customer")})
    items = OrderItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        data = form.cleaned_data
        lines = [_item_input(row) for row in items.cleaned_data if row.get("product")]
        try:
            order, _created = services.order_create(
                customer=data["customer"], address=data["address"], items=lines, channel=data["channel"],
                shipping=data["shipping"], notes=data["notes"], user=request.user,
            )
        except services.OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Order #%(number)d created.") % {"number": order.number})
            return redirect(_order_url(order))
    chosen = str(form["customer"].value() or "")
    customer = form.fields["customer"].queryset.filter(pk=chosen).first() if chosen.isdigit() else None
    summary = _order_summary(form, items) if form.is_bound else {}
    return render(request, "orders/order_form.html", {"form": form, "items": items, "customer": customer, **summary})


def _item_input(row: dict) -> ItemInput:
    """An item row of the order form, cleaned, as the order takes it (no price typed: the product's)."""
    product = row["product"]
    return ItemInput(product=product, quantity=row["quantity"],
                     unit_price=product.price if row["unit_price"] is None else row["unit_price"],
                     discount=row["discount"] or ZERO)


def _order_summary(form, items) -> dict:
    """What the order form comes to as typed: each typed item row with its product, the units
    free to sell and its total (or why it cannot be read yet), and the order's totals."""
    rows, inputs = [], []
    for number, row in enumerate(items.forms, start=1):
        if not row.is_valid():
            rows.append({"number": number, "errors": [e for errors in row.errors.values() for e in errors]})
        elif row.cleaned_data.get("product"):
            inputs.append(_item_input(row.cleaned_data))
            rows.append({"number": number, "item": inputs[-1]})
    free = availability([item.product.sku for item in inputs])
    form.is_valid()
    shipping = form.cleaned_data.get("shipping")
    context = {"summary_rows": rows, "summary_error": None, "amounts": None}
    if inputs and shipping is None:
        context["summary_error"] = _("Type the shipping as an amount, e.g. 10,00.")
    elif inputs:
        try:
            amounts = services.order_amounts(items=inputs, shipping=shipping)
        except services.OrderError as exc:
            context["summary_error"] = str(exc)
        else:
            context["amounts"] = amounts
            nets = iter(net for _item, _gross, net in amounts.lines)
            for row in rows:
                if "item" in row:
                    row.update(total=next(nets))
    for row in rows:
        if "item" in row:
            row["free"] = free[row["item"].product.sku]
    return context


@require("orders.add_order")
@require_GET
def order_summary(request):
    """HTMX: the order form's running totals and free stock, as its items are typed."""
    form = OrderForm(request.GET)
    items = OrderItemFormSet(request.GET, prefix="items")
    return render(request, "orders/partials/order_summary.html", _order_summary(form, items))


@require("orders.view_order")
@require_GET
def order_detail(request, pk):
    order = get_object_or_404(selectors.orders(), pk=pk)
    return render(request, "orders/order_detail.html", {
        "order": order,
        "items": order.items.all(),
        "events": events_of(order),
        "allowed": Order.states.next(order.status),
        "note_form": NoteForm(),
        "reason_form": ReasonForm(),
        "panels": order_panels(order, request.user),
        "override_reason_min": services.OVERRIDE_REASON_MIN,
    })


ACTIONS = {
    "retry": lambda order, user, data: services.order_retry_reservation(order=order, user=user),
    "validate": lambda order, user, data: services.order_validate(order=order, user=user),
    "close": lambda order, user, data: services.order_close(order=order, user=user),
    "cancel": lambda order, user, data: services.order_cancel(order=order, user=user, reason=data.get("reason", "")),
    "note": lambda order, user, data: services.order_add_note(order=order, user=user, text=data.get("text", "")),
}


def _act(request, order, act):
    try:
        act()
    except services.OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done."))
    return redirect(_order_url(order))


@require("orders.transition_order")
@require_POST
def order_action(request, pk, action):
    # Money comes in through the payments app only, the order is invoiced when SEFAZ authorizes its NF-e
    # (fiscal), shipped when its last parcel leaves, delivered when the carrier delivers it and returned when
    # its return is closed (logistics): each has its panel on this page, never an action here.
    if action not in ACTIONS:
        raise Http404("no such action")
    order = get_object_or_404(Order, pk=pk)
    return _act(request, order, lambda: ACTIONS[action](order, request.user, request.POST))


@require("orders.override_validation")
@require_POST
def order_override(request, pk):
    """A manager releases an order whose checks failed, saying why."""
    order = get_object_or_404(Order, pk=pk)
    return _act(request, order, lambda: services.order_override_validation(
        order=order, user=request.user, reason=request.POST.get("reason", "")))


@login_not_required
@never_cache
def survey(request, token):
    """The public survey page: the signed link is the only key; it shows nothing but the
    order number and the question."""
    try:
        order = get_object_or_404(Order, pk=order_id_from_token(token))
    except signing.SignatureExpired:
        return render(request, "orders/survey.html", {"state": "expired"}, status=410)
    except (signing.BadSignature, ValueError):
        return render(request, "orders/survey.html", {"state": "invalid"}, status=400)
    if hasattr(order, "survey_answer"):
        return render(request, "orders/survey.html", {"state": "answered", "order": order})
    if order.status not in SURVEYED:  # signed, but no survey is sent before delivery: not a link we sent
        return render(request, "orders/survey.html", {"state": "invalid"}, status=400)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(order=order, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except services.OrderError:
            return render(request, "orders/survey.html", {"state": "answered", "order": order})
        return render(request, "orders/survey.html", {"state": "thanks", "order": order})
    return render(request, "orders/survey.html", {"state": "ask", "order": order, "form": form})


SURVEY_COLUMNS = [
    Column("answered_at", gettext_lazy("Answered"), sort="answered_at", kind="datetime"),
    Column("order", gettext_lazy("Order"), accessor=lambda a: f"#{a.order.number}", sort="order__number",
           link=lambda a: _order_url(a.order)),
    Column("channel", gettext_lazy("Channel"), accessor="order.get_channel_display", sort="order__channel"),
    Column("customer", gettext_lazy("Customer"), accessor="order.customer.name"),
    Column("score", gettext_lazy("Score"), sort="score", kind="number"),
    Column("comment", gettext_lazy("Comment")),
]


@require("orders.view_surveyanswer")
@require_GET
def survey_list(request):
    filterset = SurveyAnswerFilter(request.GET, queryset=selectors.survey_answers())
    table = Table(request, filterset.qs, SURVEY_COLUMNS, default_sort="-answered_at", id="answers", target="results")
    return table_response(request, "orders/survey_list.html", table, filename="nps", filter=filterset,
                          nps=selectors.nps(filterset.qs), by_channel=selectors.nps_by_channel(filterset.qs),
                          by_month=selectors.nps_by_month(filterset.qs))
