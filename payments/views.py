"""Payment screens and the providers' webhook endpoints."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from backoffice.dates import PERIODS, month_after, month_before, period_bounds
from backoffice.exports import FORMATS, Sheet, export_response
from backoffice.http import flash_form_errors, redirect_back
from backoffice.integrations.errors import ProviderError, ReportPending
from backoffice.integrations.inbox import webhook_answer
from backoffice.money import format_money
from backoffice.params import query_date, query_month
from backoffice.roles import require
from backoffice.states import TransitionRefused, events_of
from backoffice.tables import Column, Table, table_response

from . import cashflow, selectors, services
from .filters import CashEntryFilter, PaymentFilter, ReceivableFilter, WebhookEventFilter
from .forms import CashEntryForm, ManualPaymentForm, RefundForm, ReleasesForm
from .models import CashEntry, Payment, ProviderAccount, Receivable, WebhookEvent
from .providers import PROVIDERS
from .providers import provider as payment_provider


@csrf_exempt
@login_not_required
@require_POST
def webhook(request, provider, account_id):
    """A provider's notification: authenticated the provider's way, stored, answered fast,
    processed by a task. The answer says nothing beyond accepted or why not."""
    if provider not in PROVIDERS:
        raise Http404("no such provider")
    account = get_object_or_404(ProviderAccount, pk=account_id, provider=provider, active=True)
    return webhook_answer(request, lambda **received: services.webhook_receive(account=account, **received))


# The URL walk test checks that this endpoint is reachable without a session and never answers 2xx
# to a request that the provider did not sign.
webhook.provider_signed = True


def _payment_url(payment):
    return reverse("payments:payment_detail", args=[payment.pk])


PAYMENT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("provider", gettext_lazy("Provider"), display=True, sort="provider"),
    Column("provider_payment_id", gettext_lazy("Provider id"), link=_payment_url),
    Column("order", gettext_lazy("Order"), accessor=lambda p: f"#{p.order.number}" if p.order_id else "",
           sort="order__number",
           link=lambda p: reverse("orders:order_detail", args=[p.order_id]) if p.order_id else ""),
    Column("method", gettext_lazy("Method"), display=True, sort="method"),
    Column("installments", gettext_lazy("Installments"), kind="number"),
    Column("payer_name", gettext_lazy("Payer"), sort="payer_name"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("gross", gettext_lazy("Gross"), sort="gross", kind="money"),
    Column("fees", gettext_lazy("Fees"), kind="money"),
    Column("net", gettext_lazy("Net"), sort="net", kind="money"),
    Column("release_date", gettext_lazy("Money release"), sort="release_date", kind="datetime"),
]


@require("payments.view_payment")
@require_GET
def payment_list(request):
    filterset = PaymentFilter(request.GET, queryset=selectors.payments())
    table = Table(request, filterset.qs, PAYMENT_COLUMNS, default_sort="-created_at")
    return table_response(request, "payments/payment_list.html", table, filename="payments", filter=filterset)


@require("payments.view_payment")
@require_GET
def payment_detail(request, pk):
    payment = get_object_or_404(selectors.payment_details(), pk=pk)
    return render(request, "payments/payment_detail.html", {
        "payment": payment, "events": events_of(payment), "provider_events": payment.provider_events.all(),
        "receivables": payment.receivables.all(),
    })


@require("payments.add_refund")
@require_POST
def payment_refund(request, pk):
    """Give money back from the payment page or its order's page (`next`)."""
    payment = get_object_or_404(Payment, pk=pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            services.payment_refund(payment=payment, user=request.user, **form.cleaned_data)
        except services.PaymentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Refund of %(amount)s recorded.") % {
                "amount": format_money(form.cleaned_data["amount"])})
    return redirect_back(request, "payments:payment_detail", pk=payment.pk)


@require("orders.register_payment")
def payment_new(request):
    """Register money received outside a provider's API (Pix, transfer, boleto), from this
    page or the order page's panel (`next`)."""
    form = ManualPaymentForm(request.POST or None, initial={"order": request.GET.get("order")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record_manual(
                account=data["account"], order_number=data["order"], method=data["method"], amount=data["amount"],
                paid_on=data["paid_on"], reference=data["reference"], payer_name=data["payer_name"], user=request.user)
        except services.PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            if payment.awaiting_approval:
                messages.warning(request, _("Payment recorded, waiting for approval: it is more than its order is due "
                                            "(or it has no order), so it counts once someone else approves it."))
            else:
                messages.success(request, _("Payment recorded."))
            if request.user.has_perm("payments.view_payment"):
                return redirect_back(request, "payments:payment_detail", pk=payment.pk)
            return redirect_back(request, "payments:payment_new")
    if request.method == "POST" and request.POST.get("next"):
        flash_form_errors(request, form)  # posted from the order page's panel: back there with the reasons
        return redirect_back(request, "payments:payment_new")
    if not ProviderAccount.objects.filter(provider="manual", active=True).exists():
        messages.warning(request, _("Create a \"manual\" provider account first (Admin › Provider accounts)."))
    return render(request, "form_page.html", {"form": form, "title": _("Record a payment received"),
                                              "cancel_url": reverse("payments:payment_list")})


def _decide(request, pk, decide, done):
    payment = get_object_or_404(Payment, pk=pk)
    try:
        decide(payment=payment, user=request.user)
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect_back(request, "payments:payment_detail", pk=payment.pk)


@require("payments.approve_payment")
@require_POST
def payment_approve(request, pk):
    """Allow a payment registered by hand above its order's due (not one's own)."""
    return _decide(request, pk, services.payment_approve, _("Payment approved: the order is credited."))


@require("payments.approve_payment")
@require_POST
def payment_decline(request, pk):
    return _decide(request, pk, services.payment_decline, _("Payment declined: no money counts."))


def order_manual_payment_panel(order) -> dict:
    """The order page's form to register money received by hand, while the order waits for it."""
    form = ManualPaymentForm(initial={"order": order.number})
    if not (order.payment_due and form.fields["account"].queryset.exists()):
        return {}
    form.fields["order"].widget = forms.HiddenInput()
    return {"form": form, "left": order.total - order.paid_amount}


WEBHOOK_COLUMNS = [
    Column("received_at", gettext_lazy("Received"), sort="received_at", kind="datetime"),
    Column("account", gettext_lazy("Account"), accessor=lambda e: str(e.account)),
    Column("resource_id", gettext_lazy("Resource")),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("error", gettext_lazy("Error")),
    Column("replay", "", accessor=lambda e: None, kind="template", template="payments/cells/replay.html"),
]


@require("payments.view_webhookevent")
@require_GET
def webhook_list(request):
    filterset = WebhookEventFilter(request.GET, queryset=selectors.webhook_events())
    table = Table(request, filterset.qs, WEBHOOK_COLUMNS, default_sort="-received_at",
                  export_columns=WEBHOOK_COLUMNS[:-1])
    return table_response(request, "payments/webhook_list.html", table, filename="webhooks", filter=filterset)


@require("payments.replay_webhookevent")
@require_POST
def webhook_replay(request, pk):
    event = get_object_or_404(WebhookEvent, pk=pk)
    if event.status != WebhookEvent.Status.FAILED:
        messages.error(request, _("Only failed events are replayed."))
        return redirect("payments:webhook_list")
    try:
        services.webhook_replay(event=event, user=request.user)
    except TransitionRefused as exc:  # processed meanwhile (a retry of its task)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event was queued again."))
    return redirect("payments:webhook_list")


RECEIVABLE_COLUMNS = [
    Column("due_date", gettext_lazy("Expected on"), sort="due_date", kind="datetime"),
    Column("payment", gettext_lazy("Payment"), accessor=lambda r: str(r.payment),
           link=lambda r: _payment_url(r.payment)),
    Column("number", gettext_lazy("Installment"), accessor=lambda r: f"{r.number}/{r.payment.installments}"),
    Column("method", gettext_lazy("Method"), accessor=lambda r: r.payment.get_method_display()),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("gross", gettext_lazy("Gross"), sort="gross", kind="money"),
    Column("fee", gettext_lazy("Fee"), kind="money"),
    Column("net", gettext_lazy("Net"), sort="net", kind="money"),
]


@require("payments.view_receivable")
@require_GET
def receivable_calendar(request):
    """The month's expected settlements, day by day, and the list of them."""
    due = selectors.receivables_month(query_month(request, "month"))
    month = due.month
    filterset = ReceivableFilter(request.GET, queryset=due.receivables)
    if filterset.is_valid() and filterset.form.cleaned_data["overdue"]:
        # The overdue ones of every month: the provider owes them still, whenever they were due.
        filterset = ReceivableFilter(request.GET, queryset=Receivable.objects.select_related("payment"))
    table = Table(request, filterset.qs, RECEIVABLE_COLUMNS, default_sort="due_date")
    return table_response(
        request, "payments/receivable_calendar.html", table, filename="receivables", filter=filterset,
        keep={"month": f"{month:%Y-%m}"}, month=month, weekdays=WEEKDAYS_ABBR.values(), weeks=due.weeks,
        previous=month_before(month), following=month_after(month), month_total=due.expected,
    )


CASH_COLUMNS = [
    Column("date", gettext_lazy("Date"), sort="date", kind="datetime"),
    Column("category", gettext_lazy("Category"), display=True, sort="category"),
    Column("description", gettext_lazy("Description")),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("in", gettext_lazy("In"), accessor=lambda e: e.amount if e.direction == CashEntry.Direction.IN else None,
           kind="money"),
    Column("out", gettext_lazy("Out"), accessor=lambda e: e.amount if e.direction == CashEntry.Direction.OUT else None,
           kind="money"),
    Column("realize", "", accessor=lambda e: None, kind="template", template="payments/cells/realize.html"),
]


@require("payments.view_cashentry")
@require_GET
def cash_flow(request):
    """A day, week or month of the register: opening + in − out = closing, the forecast, a
    chart of the days and the entries."""
    kind = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    start, end = period_bounds(kind, query_date(request, "date"))
    period = cashflow.cash_period(start, end)
    filterset = CashEntryFilter(request.GET, queryset=selectors.cash_entries(start, end))
    table = Table(request, filterset.qs, CASH_COLUMNS, default_sort="date", export_columns=CASH_COLUMNS[:-1])
    return table_response(
        request, "payments/cash_flow.html", table, filename=f"cash-flow-{start}-{end}", filter=filterset,
        keep={"period": kind, "date": start.isoformat()}, period=period, kind=kind, kinds=PERIODS.items(),
        previous=start - timedelta(days=1), following=end + timedelta(days=1), chart=cashflow.cash_chart(period.days),
        overdue=cashflow.overdue_scheduled().count(),
    )


@require("payments.add_cashentry")
def cash_entry_new(request):
    form = CashEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        entry = cashflow.cash_entry_create(user=request.user, **form.cleaned_data)
        messages.success(request, _("Entry saved."))
        return redirect(f"{reverse('payments:cash_flow')}?date={entry.date.isoformat()}")
    return render(request, "form_page.html", {"form": form, "title": _("New cash-flow entry"),
                                              "cancel_url": reverse("payments:cash_flow")})


@require("payments.change_cashentry")
@require_POST
def cash_entry_realize(request, pk):
    entry = get_object_or_404(CashEntry, pk=pk)
    cashflow.cash_entry_realize(entry=entry, on=timezone.localdate(), user=request.user)
    messages.success(request, _("Marked as done today."))
    return redirect(f"{reverse('payments:cash_flow')}?date={timezone.localdate().isoformat()}")


@require("payments.view_receivable")
@require_GET
def releases(request):
    """What a provider says it released (or took) in a period, beside our payments."""
    today = timezone.localdate()
    form = ReleasesForm(request.GET if "account" in request.GET else None,
                        initial={"start": today - timedelta(days=6), "end": today})
    rows, error, totals = [], "", {}
    if form.is_bound and form.is_valid():
        account, start, end = (form.cleaned_data[name] for name in ("account", "start", "end"))
        try:
            rows = payment_provider(account.provider).releases(account, start, end)
        except ReportPending:
            error = _("%(provider)s is preparing this statement: open it again in a few minutes.") % {
                "provider": account.get_provider_display()}
        except ProviderError as exc:
            error = _("%(provider)s did not answer: %(error)s") % {"provider": account.get_provider_display(),
                                                                 "error": exc}
        rows, totals = selectors.releases_matched(account, rows)
        if request.GET.get("export") in FORMATS:
            name = f"releases-{account.provider}-{start}-{end}"
            return export_response(Sheet(
                title=name,
                header=[_("Date"), _("Kind"), _("Provider id"), _("Reference"), _("Order"), _("Gross"), _("Fee"),
                        _("Net")],
                rows=([r.date, r.kind, r.provider_payment_id, r.external_reference,
                       p.order.number if p and p.order_id else "", r.gross, r.fee, r.net] for r, p in rows),
                kinds=["datetime", "text", "text", "text", "number", "money", "money", "money"]),
                fmt=request.GET["export"], filename=name)
    return render(request, "payments/releases.html", {"form": form, "rows": rows, "error": error, "totals": totals})
