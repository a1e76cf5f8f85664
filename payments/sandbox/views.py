"""Sandbox mode's endpoints: the providers' APIs as the clients call them, and the order
page's "pay in the sandbox" button. Both answer 404 unless PAYMENTS_SANDBOX is on."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from backoffice.http import flash_form_errors
from backoffice.integrations.sandbox import encoded
from backoffice.roles import require
from orders.models import Order

from ..forms import SandboxPayForm
from ..providers import PROVIDERS, sandbox
from ..services import PaymentError
from . import sandbox_pay


def _sandbox_on():
    if not settings.PAYMENTS_SANDBOX:
        raise Http404("sandbox mode is off")


@csrf_exempt
@login_not_required
def api(request, provider, path):
    """A provider's API call, answered by its sandbox (which checks the account's credentials
    as the provider does)."""
    _sandbox_on()
    if provider not in PROVIDERS.sandboxed():
        raise Http404("no such provider")
    full_path = f"/{path}" + (f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else "")
    status, document = sandbox(provider).handle(request.method, full_path, dict(request.headers), request.body)
    content_type, payload = encoded(document)
    return HttpResponse(payload, status=status, content_type=content_type)


# Public like the providers' own APIs, and like them closed to callers without the account's
# credentials (the URL walk test expects 401/404).
api.provider_signed = True


@require("orders.register_payment")
@require_POST
def pay(request, pk):
    _sandbox_on()
    order = get_object_or_404(Order, pk=pk)
    form = SandboxPayForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("orders:order_detail", pk=order.pk)
    account = form.cleaned_data["account"]
    try:
        sandbox_pay(account=account, order=order, installments=form.cleaned_data["installments"])
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(account)s (sandbox) sent its notification: the order is credited as soon as "
                                    "it is processed.") % {"account": account})
    return redirect("orders:order_detail", pk=order.pk)


def order_panel(order) -> dict:
    """The order page's sandbox section, while sandbox mode is on, money is due and some provider
    account exists: a form when the customer can pay the order now (Order.payable), else why not yet."""
    form = SandboxPayForm()
    if not (settings.PAYMENTS_SANDBOX and order.payment_due and form.fields["account"].queryset.exists()):
        return {}
    if not order.payable:
        return {"not_payable_yet": order.not_payable_yet}
    return {"form": form, "left": order.payment_due}
