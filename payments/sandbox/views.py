"""Sandbox mode's endpoints: the providers' APIs as the clients call them, and the order
page's "pay in the sandbox" button. Both answer 404 unless PAYMENTS_SANDBOX is on."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.http import flash_form_errors
from backoffice.integrations.sandbox import api_view
from backoffice.roles import require
from orders.models import Order

from ..forms import SandboxPayForm
from ..providers import PROVIDERS
from ..services import PaymentError
from . import sandbox_pay


def _sandbox_on():
    if not settings.PAYMENTS_SANDBOX:
        raise Http404("sandbox mode is off")


# A provider's API call, answered by its sandbox (which checks the account's credentials as the
# provider does).
api = api_view(PROVIDERS, setting="PAYMENTS_SANDBOX")


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
