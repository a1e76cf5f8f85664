"""Payment screens and the providers' webhook endpoints."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from backoffice.roles import require
from backoffice.tables import Column, Table, table_response

from . import services
from .filters import PaymentFilter, WebhookEventFilter
from .models import Payment, ProviderAccount, WebhookEvent
from .providers import WebhookMalformed, WebhookRejected


@csrf_exempt
@login_not_required
@require_POST
def webhook(request, provider, account_id):
    """A provider's notification: authenticated the provider's way, stored, answered fast,
    processed by a task. The answer says nothing beyond accepted or why not."""
    account = get_object_or_404(ProviderAccount, pk=account_id, provider=provider, active=True)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        services.webhook_receive(account=account, headers=headers, query=request.GET.dict(), body=request.body)
    except WebhookRejected:
        return JsonResponse({"error": "signature"}, status=401)
    except WebhookMalformed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(status=200)


# The URL walk test checks that this endpoint is reachable without a session and never answers 2xx
# to a request that the provider did not sign.
webhook.provider_signed = True


def _payment_url(payment):
    return reverse("payments:payment_detail", args=[payment.pk])


PAYMENT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("provider", gettext_lazy("Provider"), accessor="get_provider_display", sort="provider"),
    Column("provider_payment_id", gettext_lazy("Provider id"), link=_payment_url),
    Column("order", gettext_lazy("Order"), accessor=lambda p: f"#{p.order.number}" if p.order_id else "",
           sort="order__number"),
    Column("method", gettext_lazy("Method"), accessor="get_method_display", sort="method"),
    Column("installments", gettext_lazy("Installments"), kind="number"),
    Column("payer_name", gettext_lazy("Payer"), sort="payer_name"),
    Column("status", gettext_lazy("Status"), accessor="get_status_display", sort="status", kind="badge"),
    Column("gross", gettext_lazy("Gross"), sort="gross", kind="money"),
    Column("fees", gettext_lazy("Fees"), kind="money"),
    Column("net", gettext_lazy("Net"), sort="net", kind="money"),
    Column("release_date", gettext_lazy("Money release"), sort="release_date", kind="datetime"),
]


@require("payments.view_payment")
@require_GET
def payment_list(request):
    filterset = PaymentFilter(request.GET, queryset=Payment.objects.select_related("order"))
    table = Table(request, filterset.qs, PAYMENT_COLUMNS, default_sort="-created_at")
    return table_response(request, "payments/payment_list.html", table, filename="payments", filter=filterset)


@require("payments.view_payment")
@require_GET
def payment_detail(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("order", "account"), pk=pk)
    return render(request, "payments/payment_detail.html", {
        "payment": payment, "events": payment.events.all(), "receivables": payment.receivables.all(),
    })


WEBHOOK_COLUMNS = [
    Column("received_at", gettext_lazy("Received"), sort="received_at", kind="datetime"),
    Column("account", gettext_lazy("Account"), accessor=lambda e: str(e.account)),
    Column("resource_id", gettext_lazy("Resource")),
    Column("status", gettext_lazy("Status"), accessor="get_status_display", sort="status", kind="badge"),
    Column("error", gettext_lazy("Error")),
    Column("replay", "", accessor=lambda e: None, kind="template", template="payments/cells/replay.html"),
]


@require("payments.view_webhookevent")
@require_GET
def webhook_list(request):
    filterset = WebhookEventFilter(request.GET, queryset=WebhookEvent.objects.select_related("account"))
    table = Table(request, filterset.qs, WEBHOOK_COLUMNS, default_sort="-received_at",
                  export_columns=WEBHOOK_COLUMNS[:-1])
    return table_response(request, "payments/webhook_list.html", table, filename="webhooks", filter=filterset)


@require("payments.replay_webhookevent")
@require_POST
def webhook_replay(request, pk):
    event = get_object_or_404(WebhookEvent, pk=pk)
    if event.status != WebhookEvent.Status.FAILED:
        messages.error(request, _("Only failed events are replayed."))
    else:
        services.webhook_replay(event=event, user=request.user)
        messages.success(request, _("The event was queued again."))
    return redirect("payments:webhook_list")
