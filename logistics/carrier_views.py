"""The carriers' settings screens: the carriers (kind, integration, cubic factor, tracking page and
their API's credentials, whose secrets are never shown back), their services, each service's
freight table (listed, exported, imported, deleted) and the boxes the store packs in."""

from django.contrib import messages
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from backoffice.http import redirect_back
from backoffice.money import format_number
from backoffice.roles import require
from backoffice.tables import Column, Table, table_response

from . import configuration, providers
from .carrier_forms import BoxForm, CarrierForm, CarrierServiceForm, carrier_credentials_form
from .filters import BoxFilter, CarrierFilter, FreightRateFilter
from .importers import RATE_COLUMNS, FreightRateImporter, service_reference
from .models import Box, Carrier, CarrierService, FreightRate


def _carrier_url(carrier):
    return reverse("logistics:carrier_detail", args=[carrier.pk])


def _kg(value):
    return format_number(value, 3)


def _form_page(request, form, *, title, save, done, cancel_url):
    """A settings form on its own page: `save(form)` writes it, then `done` (a URL) with a message."""
    if request.method == "POST" and form.is_valid():
        saved = save(form)
        messages.success(request, _("Saved: %(name)s.") % {"name": saved})
        return redirect(done(saved))
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": cancel_url})


CARRIER_COLUMNS = [
    Column("name", gettext_lazy("Name"), sort="name", link=_carrier_url),
    Column("code", gettext_lazy("Code"), sort="code", kind="code"),
    Column("kind", capfirst(gettext_lazy("kind")), accessor=lambda carrier: capfirst(carrier.get_kind_display()),
           sort="kind"),
    Column("provider", gettext_lazy("Integration"), display=True, sort="provider"),
    Column("service_count", gettext_lazy("Services"), sort="service_count", kind="number"),
    Column("cubic_factor", capfirst(gettext_lazy("cubic factor")), sort="cubic_factor", kind="number"),
    Column("active", gettext_lazy("Active"), kind="bool"),
    Column("toggle", "", accessor=lambda carrier: None, kind="template", template="logistics/carrier_toggle.html"),
]


@require("logistics.view_carrier")
@require_GET
def carrier_list(request):
    filterset = CarrierFilter(request.GET, queryset=Carrier.objects.annotate(service_count=Count("services")))
    table = Table(request, filterset.qs, CARRIER_COLUMNS, default_sort="name", export_columns=CARRIER_COLUMNS[:-1])
    return table_response(request, "logistics/carrier_list.html", table, filename="carriers", filter=filterset)


def _credentials(carrier):
    """What the carrier's page shows of its credentials: each one's label, and its value when it
    is not a secret (a secret: only whether it is set)."""
    if carrier.provider not in providers.CARRIERS:
        return None
    return [{"label": capfirst(item.label), "secret": item.secret, "set": bool(carrier.credential(item.name)),
             "value": "" if item.secret else carrier.credential(item.name), "required": item.required}
            for item in providers.provider(carrier.provider).credentials]


@require("logistics.view_carrier", "logistics.view_carrierservice")
@require_GET
def carrier_detail(request, pk):
    """A carrier, its credentials (set or not; secrets never shown) and its services."""
    carrier = get_object_or_404(Carrier, pk=pk)
    services = carrier.services.annotate(rate_count=Count("rates")).order_by("name", "pk")
    return render(request, "logistics/carrier_detail.html", {
        "carrier": carrier, "services": services, "credentials": _credentials(carrier)})


def _carrier_form_page(request, carrier):
    form = CarrierForm(request.POST or None, instance=carrier)
    title = _("Edit %(name)s") % {"name": carrier.name} if carrier.pk else _("New carrier")
    return _form_page(request, form, title=title,
                      save=lambda form: configuration.carrier_save(carrier=form.save(commit=False), user=request.user),
                      done=_carrier_url,
                      cancel_url=_carrier_url(carrier) if carrier.pk else reverse("logistics:carrier_list"))


@require("logistics.add_carrier")
def carrier_new(request):
    return _carrier_form_page(request, Carrier())


@require("logistics.change_carrier")
def carrier_edit(request, pk):
    return _carrier_form_page(request, get_object_or_404(Carrier, pk=pk))


@require("logistics.change_carrier")
@require_POST
def carrier_toggle(request, pk):
    """Switch a carrier off (its services are no longer quoted) or on again."""
    carrier = configuration.carrier_set_active(carrier=get_object_or_404(Carrier, pk=pk),
                                               active=request.POST.get("active") == "1", user=request.user)
    messages.success(request, (_("Switched on: %(name)s.") if carrier.active else _("Switched off: %(name)s."))
                     % {"name": carrier})
    return redirect_back(request, "logistics:carrier_list")


@require("logistics.change_carrier")
def carrier_credentials(request, pk):
    """The credentials its integration's API asks for; a secret left empty keeps the stored one."""
    carrier = get_object_or_404(Carrier, pk=pk)
    form_class = carrier_credentials_form(carrier)
    if form_class is None:
        raise Http404("the carrier has no integration")
    form = form_class(request.POST or None, instance=carrier)
    if request.method == "POST" and form.is_valid():
        configuration.carrier_credentials_save(carrier=form.instance, user=request.user)
        messages.success(request, _("Credentials of %(name)s saved.") % {"name": carrier})
        return redirect(_carrier_url(carrier))
    return render(request, "form_page.html", {
        "form": form, "title": _("API credentials of %(name)s") % {"name": carrier},
        "cancel_url": _carrier_url(carrier)})


def _service_form_page(request, service, carrier):
    form = CarrierServiceForm(request.POST or None, instance=service, carrier=carrier)
    title = (_("Edit %(name)s") % {"name": service} if service.pk
             else _("New service of %(carrier)s") % {"carrier": carrier})
    return _form_page(request, form, title=title,
                      save=lambda form: configuration.service_save(service=form.save(commit=False), user=request.user),
                      done=lambda service: _carrier_url(service.carrier), cancel_url=_carrier_url(carrier))


@require("logistics.add_carrierservice")
def service_new(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    return _service_form_page(request, CarrierService(carrier=carrier), carrier)


@require("logistics.change_carrierservice")
def service_edit(request, pk):
    service = get_object_or_404(CarrierService.objects.select_related("carrier"), pk=pk)
    return _service_form_page(request, service, service.carrier)


RATE_SCREEN_COLUMNS = [
    Column("cep_start", gettext_lazy("From CEP"), accessor=RATE_COLUMNS[1].accessor, sort="position", kind="code"),
    Column("cep_end", gettext_lazy("To CEP"), accessor=RATE_COLUMNS[2].accessor, kind="code"),
    Column("weight_up_to_kg", gettext_lazy("Up to (kg)"), accessor=lambda rate: _kg(rate.weight_up_to_kg),
           sort="weight_up_to_kg", kind="number"),
    Column("price", capfirst(gettext_lazy("price")), sort="price", kind="money"),
    Column("days", gettext_lazy("Days"), sort="days", kind="number"),
]


def _service_with_table(pk):
    return get_object_or_404(CarrierService.objects.select_related("carrier"), pk=pk)


@require("logistics.view_carrierservice", "logistics.view_freightrate")
@require_GET
def rate_list(request, pk):
    """A service's freight table: each CEP range's weight bands in order, or the rows of one CEP;
    its export is the import's format."""
    service = _service_with_table(pk)
    filterset = FreightRateFilter(request.GET, queryset=FreightRate.objects.filter(service=service)
                                  .select_related("service__carrier"))
    # Range by range, each one's bands from the lightest.
    rates = filterset.qs.annotate(position=Window(RowNumber(), order_by=(F("cep_start"), F("cep_end"),
                                                                         F("weight_up_to_kg"))))
    table = Table(request, rates, RATE_SCREEN_COLUMNS, default_sort="position", export_columns=list(RATE_COLUMNS))
    return table_response(request, "logistics/rate_list.html", table, filename=f"freight-{service.carrier.code}-"
                          f"{service.code}", filter=filterset, service=service, reference=service_reference(service),
                          import_kind=FreightRateImporter.kind)


@require("logistics.delete_freightrate")
def rate_delete(request, pk):
    """Delete a service's whole freight table, once confirmed (its rows are counted first)."""
    service = _service_with_table(pk)
    if request.method == "POST":
        deleted = configuration.freight_table_delete(service=service, user=request.user)
        messages.success(request, ngettext("%(count)d row of the freight table of %(service)s deleted.",
                                           "%(count)d rows of the freight table of %(service)s deleted.", deleted)
                         % {"count": deleted, "service": service})
        return redirect("logistics:rate_list", pk=service.pk)
    return render(request, "logistics/rate_delete.html", {"service": service, "count": service.rates.count()})


BOX_COLUMNS = [
    Column("name", gettext_lazy("Name"), sort="name", link=lambda box: reverse("logistics:box_edit", args=[box.pk])),
    Column("length_cm", capfirst(gettext_lazy("length (cm)")), sort="length_cm", kind="number"),
    Column("width_cm", capfirst(gettext_lazy("width (cm)")), kind="number"),
    Column("height_cm", capfirst(gettext_lazy("height (cm)")), kind="number"),
    Column("weight_kg", capfirst(gettext_lazy("weight (kg)")), sort="weight_kg", kind="number"),
    Column("active", gettext_lazy("Active"), kind="bool"),
    Column("toggle", "", accessor=lambda box: None, kind="template", template="logistics/box_toggle.html"),
]


@require("logistics.view_box")
@require_GET
def box_list(request):
    filterset = BoxFilter(request.GET, queryset=Box.objects.all())
    table = Table(request, filterset.qs, BOX_COLUMNS, default_sort="length_cm", export_columns=BOX_COLUMNS[:-1])
    return table_response(request, "logistics/box_list.html", table, filename="boxes", filter=filterset)


def _box_form_page(request, box):
    form = BoxForm(request.POST or None, instance=box)
    return _form_page(request, form, title=_("Edit %(name)s") % {"name": box.name} if box.pk else _("New box"),
                      save=lambda form: configuration.box_save(box=form.save(commit=False), user=request.user),
                      done=lambda box: reverse("logistics:box_list"), cancel_url=reverse("logistics:box_list"))


@require("logistics.add_box")
def box_new(request):
    return _box_form_page(request, Box())


@require("logistics.change_box")
def box_edit(request, pk):
    return _box_form_page(request, get_object_or_404(Box, pk=pk))


@require("logistics.change_box")
@require_POST
def box_toggle(request, pk):
    """Switch a box off (no longer chosen for new parcels) or on again."""
    box = configuration.box_set_active(box=get_object_or_404(Box, pk=pk), active=request.POST.get("active") == "1",
                                       user=request.user)
    messages.success(request, (_("Switched on: %(name)s.") if box.active else _("Switched off: %(name)s."))
                     % {"name": box.name})
    return redirect_back(request, "logistics:box_list")
