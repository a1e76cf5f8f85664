"""The payments' rollups and metrics (backoffice.metrics): payments by the day they were made, along
their method, provider and installments; the cash-flow register by its day."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, MONEY, PERCENT, Dimension, Metric, Rollup, choice_labels, percent

from . import providers
from .models import CashEntry, Payment

APPROVED = Q(status__in=[Payment.Status.APPROVED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED,
                         Payment.Status.IN_DISPUTE, Payment.Status.CHARGED_BACK])
REFUSED = Q(status=Payment.Status.REJECTED)

PAYMENTS = Rollup(
    "payments.payments", model="payments.Payment", moment="created_at",
    dimensions=(Dimension("method", _("Payment method"), "method", choice_labels(Payment.Method.choices)),
                Dimension("provider", _("Provider"), "provider", choice_labels(providers.choices)),
                Dimension("installments", _("Installments"), "installments")),
    measures={
        "payments": Count("pk"),
        "approved": Count("pk", filter=APPROVED),
        "approved_amount": Sum("gross", filter=APPROVED),
        "refused": Count("pk", filter=REFUSED),
        "fees": Sum("fees", filter=APPROVED),
        "refunded": Sum("refunded"),
    },
    watches={"payments.Payment": "pk"},
)
REALIZED = Q(status=CashEntry.Status.REALIZED)
CASH = Rollup(
    "payments.cash", model="payments.CashEntry", moment="date", day_only=True,
    dimensions=(Dimension("category", _("Category"), "category", choice_labels(CashEntry.Category.choices)),),
    measures={"cash_in": Sum("amount", filter=REALIZED & Q(direction=CashEntry.Direction.IN)),
              "cash_out": Sum("amount", filter=REALIZED & Q(direction=CashEntry.Direction.OUT))},
    watches={"payments.CashEntry": "pk"},
)


def net(values):
    cash_in, cash_out = values.values()
    return cash_in - cash_out


METRICS = (
    PAYMENTS, CASH,
    Metric("payments.payments", _("Payments made"), COUNT, ("payments.payments:payments",)),
    Metric("payments.approved", _("Payments approved"), COUNT, ("payments.payments:approved",)),
    Metric("payments.approved_amount", _("Amount approved"), MONEY, ("payments.payments:approved_amount",)),
    Metric("payments.approval_rate", _("Approval rate"), PERCENT,
           ("payments.payments:approved", "payments.payments:payments"), percent),
    Metric("payments.refused", _("Payments refused"), COUNT, ("payments.payments:refused",),
           higher_is_better=False),
    Metric("payments.fees", _("Provider fees"), MONEY, ("payments.payments:fees",), higher_is_better=False),
    Metric("payments.refunded", _("Refunded"), MONEY, ("payments.payments:refunded",), higher_is_better=False,
           description=_("What was given back of the payments made in the period.")),
    Metric("payments.cash_in", _("Cash in"), MONEY, ("payments.cash:cash_in",)),
    Metric("payments.cash_out", _("Cash out"), MONEY, ("payments.cash:cash_out",), higher_is_better=False),
    Metric("payments.cash_net", _("Net cash flow"), MONEY, ("payments.cash:cash_in", "payments.cash:cash_out"), net),
)
