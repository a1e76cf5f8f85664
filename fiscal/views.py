"""Fiscal screens: the NF-e list and page (issue, cancel, CC-e, void a number, return, XML and
DANFE), the order page's NF-e panel, and the settings — profile and A1 certificate, series, tax
rules, the states' rates, voided ranges and SEFAZ's status."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from backoffice.http import flash_form_errors, redirect_back
from backoffice.integrations.errors import ProviderError
from backoffice.notices import Notice
from backoffice.params import ticked_ids
from backoffice.roles import require
from backoffice.states import events_of
from backoffice.tables import Column, Table, table_response
from backoffice.templatetags.backoffice import dt
from backoffice.text import format_cep, format_document, format_phone
from orders.bulk import BulkResult
from orders.models import Order

from . import configuration, selectors, services
from .certificates import EXPIRY_WARNING, CertificateError, profile_set_certificate
from .danfe import DanfeUnavailable, danfe_batch, danfe_filename, danfe_label, danfe_pdf
from .filters import InvoiceFilter, TaxRuleFilter, VoidedRangeFilter
from .forms import (
    CancelForm,
    CertificateForm,
    CorrectionForm,
    FiscalProfileForm,
    ReturnForm,
    SeriesForm,
    StateTaxRateFormSet,
    TaxRuleForm,
    VoidNumberForm,
    VoidRangeForm,
)
from .hints import hint
from .models import FiscalProfile, Invoice, InvoiceEvent, SefazStatus, Series, StateTaxRate, TaxRule, VoidedRange

Status = Invoice.Status
# An invoice still to be issued (or issued again, fixed, under its number).
TO_ISSUE = (Status.DRAFT, Status.REJECTED)
# Most DANFEs printed in one PDF.
BATCH_MAX = 100
# The schema's complaints about an NF-e built, shown at most.
SCHEMA_ERRORS_SHOWN = 5


def _invoice_url(invoice):
    return reverse("fiscal:invoice_detail", args=[invoice.pk])


def _numbered(invoice):
    return f"{invoice.number}/{invoice.series}" if invoice.number else _("draft")


INVOICE_COLUMNS = [
    Column("select", "", accessor=lambda invoice: None, kind="template", template="fiscal/cells/select.html"),
    Column("number", gettext_lazy("NF-e"), accessor=_numbered, sort="number", kind="code", link=_invoice_url),
    Column("issued_at", gettext_lazy("Issued"), sort="issued_at", kind="datetime"),
    Column("order", gettext_lazy("Order"), accessor=lambda i: f"#{i.order.number}" if i.order_id else "",
           sort="order__number",
           link=lambda i: reverse("orders:order_detail", args=[i.order_id]) if i.order_id else ""),
    Column("recipient_name", gettext_lazy("Recipient"), sort="recipient_name"),
    Column("recipient_document", gettext_lazy("CPF/CNPJ"), accessor=lambda i: format_document(i.recipient_document),
           kind="code"),
    Column("recipient_uf", gettext_lazy("UF"), sort="recipient_uf"),
    Column("operation", gettext_lazy("Operation"), display=True, sort="operation"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("total", gettext_lazy("Total"), sort="total", kind="money"),
]
INVOICE_EXPORT_COLUMNS = [
    Column("number", gettext_lazy("Number"), kind="number"),
    Column("series", gettext_lazy("Series"), kind="number"),
    Column("environment", gettext_lazy("Environment"), display=True),
    Column("key", gettext_lazy("Access key")),
    *INVOICE_COLUMNS[2:5],
    Column("recipient_document", gettext_lazy("CPF/CNPJ"), accessor=lambda i: format_document(i.recipient_document)),
    *INVOICE_COLUMNS[6:9],
    Column("status_code", gettext_lazy("SEFAZ code")),
    Column("status_message", gettext_lazy("SEFAZ message")),
    Column("protocol", gettext_lazy("Protocol")),
    Column("authorized_at", gettext_lazy("Authorized"), kind="datetime"),
    *(Column(name, capfirst(Invoice._meta.get_field(name).verbose_name), kind="money") for name in (
        "products_total", "discount_total", "freight_total", "icms_base", "icms_total", "st_total", "difal_total",
        "fcp_total", "ipi_total", "pis_total", "cofins_total", "ibs_total", "cbs_total", "total")),
]


@require("fiscal.view_invoice")
@require_GET
def invoice_list(request):
    filterset = InvoiceFilter(request.GET, queryset=Invoice.objects.select_related("order"))
    table = Table(request, filterset.qs, INVOICE_COLUMNS, default_sort="-created_at",
                  export_columns=INVOICE_EXPORT_COLUMNS)
    return table_response(request, "fiscal/invoice_list.html", table, filename="nfe", filter=filterset)


# The totals of the invoice page, by tax: (field, shown even when zero).
TOTALS = [("products_total", True), ("discount_total", False), ("freight_total", False), ("icms_base", False),
          ("icms_total", True), ("st_base", False), ("st_total", False), ("difal_total", False),
          ("fcp_total", False), ("ipi_total", False), ("pis_total", True), ("cofins_total", True),
          ("ibs_total", False), ("cbs_total", False)]


def _totals(invoice):
    return [(Invoice._meta.get_field(name).verbose_name, getattr(invoice, name)) for name, always in TOTALS
            if always or getattr(invoice, name)]


@require("fiscal.view_invoice")
@require_GET
def invoice_detail(request, pk):
    """The NF-e: what SEFAZ said (and what to fix), its totals, items, events and downloads, and
    the actions its status allows. While SEFAZ has not decided, its status block asks again
    (HTMX) and the page reloads once it has."""
    invoice = get_object_or_404(Invoice.objects.select_related("order", "refers_to", "created_by", "issued_by"),
                                pk=pk)
    template = "fiscal/invoice_detail.html"
    if request.htmx and not request.htmx.history_restore_request:
        if selectors.in_flight(invoice):
            return render(request, f"{template}#status", {"invoice": invoice})
        return HttpResponseClientRefresh()
    return render(request, template, {
        "invoice": invoice,
        "hint": hint(invoice.status_code) if invoice.status in (Status.REJECTED, Status.DENIED) else "",
        "totals": _totals(invoice),
        "items": invoice.items.all(),
        "events": events_of(invoice),
        "fiscal_events": invoice.events.select_related("created_by"),
        "returns": selectors.returns_of(invoice),
        "cancel_form": CancelForm(),
        "correction_form": CorrectionForm(),
        "void_form": VoidNumberForm(),
        "issued_by_me": invoice.issued_by_id == request.user.pk,
        "cancel_until": services.cancel_deadline(invoice) if invoice.status == Status.AUTHORIZED else None,
    })


def _told(request, invoice):
    """A message saying where an invoice just issued stands."""
    invoice.refresh_from_db()
    params = {"invoice": invoice, "code": invoice.status_code, "message": invoice.status_message}
    if invoice.status == Status.AUTHORIZED:
        messages.success(request, _("%(invoice)s authorized by SEFAZ.") % params)
    elif invoice.status in (Status.REJECTED, Status.DENIED):
        messages.error(request, _("%(invoice)s refused by SEFAZ: %(code)s %(message)s") % params)
    else:
        messages.info(request, _("%(invoice)s signed and sent to SEFAZ: the page updates when it answers.") % params)


def _refused(request, exc):
    """A FiscalError as messages: its reason, and what the official schema found wrong, if it did."""
    messages.error(request, str(exc))
    for error in exc.errors[:SCHEMA_ERRORS_SHOWN]:
        messages.error(request, error)


def _issue(request, invoice):
    try:
        services.invoice_issue(invoice=invoice, user=request.user)
    except services.FiscalError as exc:
        _refused(request, exc)
    else:
        _told(request, invoice)


@require("fiscal.issue_invoice")
@require_POST
def invoice_issue(request, pk):
    """Issue a draft, or issue again, under its number, an invoice SEFAZ rejected once its cause was fixed."""
    invoice = get_object_or_404(Invoice, pk=pk)
    _issue(request, invoice)
    return redirect_back(request, "fiscal:invoice_detail", pk=invoice.pk)


@require("fiscal.issue_invoice")
@require_POST
def invoice_check(request, pk):
    """Ask SEFAZ, by the key, what became of an invoice sent (after a timeout, a worker down)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        services.invoice_check(invoice=invoice)
    except services.FiscalError as exc:
        messages.error(request, str(exc))
    except ProviderError:
        messages.error(request, _("SEFAZ did not answer now; the invoice is asked about again by itself."))
    else:
        _told(request, invoice)
    return redirect_back(request, "fiscal:invoice_detail", pk=invoice.pk)


def _event(request, pk, form_class, service, done):
    """Call `service(invoice=…, user=…, **the form's cleaned data)` with the form posted from the
    invoice page and say where the request it signed (an event, a voiding) stands: `done` once SEFAZ
    registered it, SEFAZ's refusal, or that it waits for SEFAZ's answer."""
    invoice = get_object_or_404(Invoice, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            document = service(invoice=invoice, user=request.user, **form.cleaned_data)
        except services.FiscalError as exc:
            _refused(request, exc)
        else:
            document.refresh_from_db()
            if document.status == InvoiceEvent.Status.REGISTERED:
                messages.success(request, done % {"invoice": invoice})
            elif document.status == InvoiceEvent.Status.REJECTED:
                messages.error(request, _("SEFAZ refused it: %(code)s %(message)s") % {
                    "code": document.status_code, "message": document.status_message})
            else:
                messages.info(request, _("Signed and sent to SEFAZ; reload the page in a moment for its answer."))
    return redirect("fiscal:invoice_detail", pk=invoice.pk)


@require("fiscal.cancel_invoice")
@require_POST
def invoice_cancel(request, pk):
    """Cancel an authorized NF-e (within the legal window; never by who issued it)."""
    return _event(request, pk, CancelForm, services.invoice_cancel, _("%(invoice)s cancelled at SEFAZ."))


@require("fiscal.issue_invoice")
@require_POST
def invoice_correct(request, pk):
    """A correction letter (CC-e): what it says replaces the letters before it."""
    return _event(request, pk, CorrectionForm, services.invoice_correct,
                  _("Correction letter of %(invoice)s registered at SEFAZ."))


@require("fiscal.issue_invoice")
@require_POST
def invoice_void(request, pk):
    """Void the number of a rejected invoice that will not be issued."""
    return _event(request, pk, VoidNumberForm, services.invoice_void_number,
                  _("The number of %(invoice)s was voided at SEFAZ."))


@require("fiscal.issue_invoice")
def invoice_return(request, pk):
    """An entry NF-e for goods a customer sent back, referencing this one: the quantities of each
    item that came back, never more than is left to return."""
    original = get_object_or_404(Invoice.objects.select_related("order"), pk=pk)
    if original.status != Status.AUTHORIZED or original.direction != Invoice.Direction.OUTGOING:
        messages.error(request, _("Only an authorized exit NF-e takes a return."))
        return redirect(_invoice_url(original))
    form = ReturnForm(request.POST if request.method == "POST" else None,
                      returnable=selectors.returnable_items(original))
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.return_invoice(original=original, quantities=form.quantities, user=request.user)
        except services.FiscalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(invoice)s made: the return of %(original)s.") % {
                "invoice": entry, "original": original})
            return redirect(_invoice_url(entry))
    return render(request, "fiscal/invoice_return.html", {"invoice": original, "form": form})


def _xml_response(text: str, filename: str) -> HttpResponse:
    if not text:
        raise Http404("no such XML")
    response = HttpResponse(text.encode(), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require("fiscal.view_invoice")
@require_GET
def invoice_xml(request, pk):
    """The authorized XML (nfeProc: the signed NF-e with SEFAZ's protocol), or `?signed` the NF-e as signed and sent."""
    invoice = get_object_or_404(Invoice, pk=pk)
    if "signed" in request.GET:
        return _xml_response(invoice.xml, f"NFe{invoice.key}.xml")
    return _xml_response(invoice.authorized_xml, f"NFe{invoice.key}-procNFe.xml")


@require("fiscal.view_invoiceevent")
@require_GET
def event_xml(request, pk):
    event = get_object_or_404(InvoiceEvent.objects.select_related("invoice"), pk=pk)
    return _xml_response(event.registered_xml or event.xml,
                         f"{event.kind}-{event.invoice.key}-{event.sequence:02d}-procEventoNFe.xml")


@require("fiscal.view_voidedrange")
@require_GET
def voided_xml(request, pk):
    voided = get_object_or_404(VoidedRange, pk=pk)
    return _xml_response(voided.registered_xml or voided.xml,
                         f"inut-{voided.series}-{voided.first}-{voided.last}-procInutNFe.xml")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    """A PDF the browser opens (and prints) in place."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require("fiscal.view_invoice")
@require_GET
def invoice_danfe(request, pk):
    """The DANFE of an authorized NF-e (`?label`: the simplified label that may travel on the parcel)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        if "label" in request.GET:
            return _pdf(danfe_label(invoice), danfe_filename(invoice).replace("DANFE", "DANFE-etiqueta"))
        return _pdf(danfe_pdf(invoice), danfe_filename(invoice))
    except DanfeUnavailable as exc:
        raise Http404(str(exc)) from exc


@require("fiscal.view_invoice")
@require_GET
def danfe_print(request):
    """One PDF of the DANFEs of the invoices ticked on the list, to print at once."""
    ids = ticked_ids(request.GET.getlist("ids"), limit=BATCH_MAX)
    invoices = Invoice.objects.filter(pk__in=ids).order_by("series", "number")
    if not invoices:
        messages.error(request, _("Tick at least one authorized NF-e."))
        return redirect("fiscal:invoice_list")
    try:
        return _pdf(danfe_batch(invoices), "DANFEs.pdf")
    except DanfeUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("fiscal:invoice_list")


# The order page's panel ----------------------------------------------------------------------


def order_fiscal_panel(order) -> dict:
    """The order's NF-e (its sale's, and its returns') and what can be done next: issue one (the
    order ready to ship, or invoiced with its NF-e cancelled), issue again the one SEFAZ rejected
    once fixed, or wait while SEFAZ decides."""
    invoices = list(selectors.invoices_of_order(order))
    sale = selectors.open_invoice(order)
    to_issue = sale if sale is not None and sale.status in TO_ISSUE else None
    return {
        "invoices": invoices,
        "to_issue": to_issue,
        "issuable": sale is None and order.status in services.INVOICEABLE,
        "pending": any(selectors.in_flight(invoice) for invoice in invoices),
        "hint": hint(to_issue.status_code) if to_issue and to_issue.status == Status.REJECTED else "",
    }


@require("fiscal.view_invoice")
@require_GET
def order_panel(request, pk):
    """HTMX: the order page's NF-e panel, asked again while SEFAZ decides; the page reloads once it has."""
    order = get_object_or_404(Order, pk=pk)
    panel = order_fiscal_panel(order)
    if request.htmx and not panel["pending"]:
        return HttpResponseClientRefresh()
    return render(request, "fiscal/partials/order_panel.html", {"order": order, "panel": panel})


@require("fiscal.issue_invoice")
@require_POST
def order_issue(request, pk):
    """Issue the order's NF-e from its page: made from the order, signed and sent to SEFAZ."""
    order = get_object_or_404(Order, pk=pk)
    try:
        invoice = services.invoice_from_order(order=order, user=request.user)
    except services.FiscalError as exc:
        _refused(request, exc)
    else:
        _issue(request, invoice)
    return redirect("orders:order_detail", pk=order.pk)


def orders_bulk_issue(*, orders, user, data) -> BulkResult:
    """The order list's bulk operation: issue the NF-e of the ticked orders."""
    report = services.invoices_issue_for_orders(orders=orders, user=user)
    issued = len(report.issued)
    done = _("NF-e issued for %(count)d of the ticked orders.") % {"count": issued} if issued else ""
    return BulkResult(done, [f"#{order.number}: {reason}" for order, reason in report.refused])


# Settings ---------------------------------------------------------------------------------------


def _profile():
    return FiscalProfile.objects.select_related("city").filter(pk=1).first()


@require("fiscal.view_fiscalprofile")
@require_GET
def fiscal_settings(request):
    """The fiscal home: the profile and its certificate, the series, SEFAZ's status, and the way
    to the tax tables, the voided numbers and the books."""
    profile = _profile()
    return render(request, "fiscal/settings.html", {
        "profile": profile,
        "certificate_form": CertificateForm(),
        "certificate_days": (profile.certificate_expires_at - timezone.now()).days
        if profile and profile.certificate_expires_at else None,
        "warning_days": EXPIRY_WARNING.days,
        "series": Series.objects.all(),
        "sefaz": SefazStatus.objects.order_by("environment", "uf"),
        "contingency": selectors.contingency_hint(selectors.sefaz_status()),
    })


@require("fiscal.change_fiscalprofile")
def profile_edit(request):
    """The fiscal profile's form; HTMX: the city choice of the UF chosen."""
    profile = _profile() or FiscalProfile()
    if request.htmx and request.method == "GET":
        form = FiscalProfileForm(initial={"uf": request.GET.get("uf", "")})
        return render(request, "fiscal/profile_form.html#city", {"form": form})
    form = FiscalProfileForm(request.POST or None, instance=profile, initial={
        "cnpj": format_document(profile.cnpj), "cep": format_cep(profile.cep), "phone": format_phone(profile.phone)})
    if request.method == "POST" and form.is_valid():
        try:
            configuration.profile_save(profile=form.save(commit=False), user=request.user)
        except configuration.SettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Fiscal profile saved."))
            return redirect("fiscal:settings")
    return render(request, "fiscal/profile_form.html", {"form": form, "profile": profile})


@require("fiscal.change_fiscalprofile")
@require_POST
def certificate_upload(request):
    """The store's A1 certificate: checked, then kept encrypted; only what it says of itself is shown."""
    profile = _profile()
    form = CertificateForm(request.POST, request.FILES)
    if profile is None:
        messages.error(request, _("Save the fiscal profile first: the certificate must be the store's CNPJ's."))
    elif not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            certificate = profile_set_certificate(profile=profile, pfx=form.cleaned_data["pfx"],
                                                  password=form.cleaned_data["password"], user=request.user)
        except CertificateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Certificate of %(holder)s saved; it expires on %(date)s.") % {
                "holder": certificate.common_name or certificate.subject, "date": dt(certificate.not_after)})
    return redirect("fiscal:settings")


def _form_page(request, form, title, save, done):
    """A settings form on its own page; `save(form)` writes it (SettingsError: the form says why),
    then back to `done` (a URL name)."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except configuration.SettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect(done)
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": reverse(done)})


def _saved_series(request, form):
    return configuration.series_save(series=form.save(commit=False), user=request.user)


@require("fiscal.add_series")
def series_new(request):
    form = SeriesForm(request.POST or None, initial={"environment": getattr(_profile(), "environment", None)})
    return _form_page(request, form, _("New NF-e series"), lambda form: _saved_series(request, form),
                      "fiscal:settings")


@require("fiscal.change_series")
def series_edit(request, pk):
    series = get_object_or_404(Series, pk=pk)
    form = SeriesForm(request.POST or None, instance=series)
    return _form_page(request, form, _("Series %(series)s") % {"series": series},
                      lambda form: _saved_series(request, form), "fiscal:settings")


TAX_RULE_COLUMNS = [
    Column("cfop", gettext_lazy("CFOP"), sort="cfop", kind="code",
           link=lambda rule: reverse("fiscal:tax_rule_edit", args=[rule.pk])),
    Column("operation", gettext_lazy("Operation"), display=True, sort="operation"),
    Column("regime", gettext_lazy("Regime"), display=True, sort="regime"),
    Column("scope", gettext_lazy("Scope"), display=True, sort="scope"),
    Column("origin_uf", gettext_lazy("Origin UF")),
    Column("destination_uf", gettext_lazy("Destination UF")),
    Column("ncm_prefix", gettext_lazy("NCM"), kind="code"),
    Column("priority", gettext_lazy("Priority"), sort="priority", kind="number"),
    Column("icms_code", gettext_lazy("ICMS CST/CSOSN"), kind="code"),
    Column("icms_rate", gettext_lazy("ICMS (%)"), kind="number"),
    Column("pis_rate", gettext_lazy("PIS (%)"), kind="number"),
    Column("cofins_rate", gettext_lazy("COFINS (%)"), kind="number"),
    Column("ibscbs_class", gettext_lazy("cClassTrib"), kind="code"),
    Column("cbs_rate", gettext_lazy("CBS (%)"), kind="number"),
    Column("ibs_state_rate", gettext_lazy("IBS UF (%)"), kind="number"),
    Column("active", gettext_lazy("Active"), kind="bool"),
    Column("toggle", "", accessor=lambda rule: None, kind="template", template="fiscal/cells/tax_rule_toggle.html"),
]


@require("fiscal.view_taxrule")
@require_GET
def tax_rule_list(request):
    filterset = TaxRuleFilter(request.GET, queryset=TaxRule.objects.all())
    table = Table(request, filterset.qs, TAX_RULE_COLUMNS, default_sort="operation",
                  export_columns=[*TAX_RULE_COLUMNS[:-1], Column("notes", gettext_lazy("Notes"))])
    return table_response(request, "fiscal/tax_rule_list.html", table, filename="tax-rules", filter=filterset)


def _saved_rule(request, form):
    return configuration.tax_rule_save(rule=form.save(commit=False), user=request.user)


@require("fiscal.add_taxrule")
def tax_rule_new(request):
    form = TaxRuleForm(request.POST or None)
    return _form_page(request, form, _("New tax rule"), lambda form: _saved_rule(request, form),
                      "fiscal:tax_rule_list")


@require("fiscal.change_taxrule")
def tax_rule_edit(request, pk):
    rule = get_object_or_404(TaxRule, pk=pk)
    form = TaxRuleForm(request.POST or None, instance=rule)
    return _form_page(request, form, _("Tax rule: %(rule)s") % {"rule": rule},
                      lambda form: _saved_rule(request, form), "fiscal:tax_rule_list")


@require("fiscal.change_taxrule")
@require_POST
def tax_rule_toggle(request, pk):
    """Switch a rule off (it no longer applies to new invoices) or on again."""
    rule = get_object_or_404(TaxRule, pk=pk)
    rule = configuration.tax_rule_set_active(rule=rule, active=not rule.active, user=request.user)
    messages.success(request, _("Rule %(rule)s switched on.") % {"rule": rule} if rule.active
                     else _("Rule %(rule)s switched off.") % {"rule": rule})
    return redirect_back(request, "fiscal:tax_rule_list")


def _rates_page(request, formset):
    return render(request, "fiscal/state_rates.html", {"formset": formset})


@require("fiscal.view_statetaxrate")
@require_GET
def state_rates(request):
    """Each UF's internal ICMS rate and FCP, which DIFAL is computed from."""
    return _rates_page(request, StateTaxRateFormSet(queryset=StateTaxRate.objects.all()))


@require("fiscal.change_statetaxrate")
@require_POST
def state_rates_save(request):
    formset = StateTaxRateFormSet(request.POST, queryset=StateTaxRate.objects.all())
    if not formset.is_valid():
        return _rates_page(request, formset)
    changed = configuration.state_rates_save(rates=formset.save(commit=False), user=request.user)
    messages.success(request, ngettext("%(count)d state rate changed.", "%(count)d state rates changed.", changed)
                     % {"count": changed} if changed else _("No rate changed."))
    return redirect("fiscal:state_rates")


VOIDED_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("environment", gettext_lazy("Environment"), display=True),
    Column("series", gettext_lazy("Series"), sort="series", kind="number"),
    Column("first", gettext_lazy("From number"), sort="first", kind="number"),
    Column("last", gettext_lazy("To number"), kind="number"),
    Column("reason", gettext_lazy("Justification")),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("status_message", gettext_lazy("SEFAZ message")),
    Column("protocol", gettext_lazy("Protocol"), kind="code"),
    Column("created_by", gettext_lazy("By"), accessor="created_by.username"),
    Column("xml", "", accessor=lambda voided: None, kind="template", template="fiscal/cells/voided_xml.html"),
]


def _voided_page(request, form):
    filterset = VoidedRangeFilter(request.GET, queryset=VoidedRange.objects.select_related("created_by"))
    table = Table(request, filterset.qs, VOIDED_COLUMNS, default_sort="-created_at",
                  export_columns=VOIDED_COLUMNS[:-1])
    return table_response(request, "fiscal/voided_list.html", table, filename="voided-numbers", filter=filterset,
                          form=form)


def _void_form(data=None):
    profile = FiscalProfile.objects.filter(pk=1).only("environment").first()
    return VoidRangeForm(data, environment=profile.environment if profile else None)


@require("fiscal.view_voidedrange")
@require_GET
def voided_list(request):
    """The number ranges declared unused (inutilização), and the form to void more."""
    return _voided_page(request, _void_form())


@require("fiscal.issue_invoice")
@require_POST
def voided_new(request):
    form = _void_form(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            voided = services.numbers_void(environment=data["series"].environment, series=data["series"].number,
                                           first=data["first"], last=data["last"], reason=data["reason"],
                                           user=request.user)
        except services.FiscalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Numbers %(first)d to %(last)d of series %(series)d: %(status)s.") % {
                "first": voided.first, "last": voided.last, "series": voided.series,
                "status": voided.get_status_display()})
            return redirect("fiscal:voided_list")
    return _voided_page(request, form)


# Notices of the home page --------------------------------------------------------------------------


def certificate_notices():
    """No profile or certificate yet, or a certificate that expired or expires within 30 days."""
    profile = FiscalProfile.objects.filter(pk=1).only("certificate_expires_at").first()
    url, link = reverse("fiscal:settings"), _("Fiscal settings")
    if profile is None:
        yield Notice(_("No fiscal profile yet: NF-e cannot be issued until the store's CNPJ, address and A1 "
                       "certificate are set."), "warning", url, link)
    elif profile.certificate_expires_at is None:
        yield Notice(_("No A1 certificate yet: NF-e cannot be signed until the store's is uploaded."), "warning",
                     url, link)
    elif profile.certificate_expires_at <= timezone.now():
        yield Notice(_("The A1 certificate expired on %(date)s: no NF-e can be issued until the renewed one is "
                       "uploaded.") % {"date": dt(profile.certificate_expires_at)}, "danger", url, link)
    elif profile.certificate_expires_at <= timezone.now() + EXPIRY_WARNING:
        days = (profile.certificate_expires_at - timezone.now()).days
        yield Notice(_("The A1 certificate expires on %(date)s, in %(days)d days: renew it and upload the new "
                       "one.") % {"date": dt(profile.certificate_expires_at), "days": days}, "warning", url, link)


def sefaz_notices():
    """SEFAZ found down at its last check, for the store's UF and environment: contingency."""
    if text := selectors.contingency_hint(selectors.sefaz_status()):
        yield Notice(text, "danger", reverse("fiscal:settings"), _("SEFAZ status"))
