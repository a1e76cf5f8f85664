"""What payments add to the order list's spreadsheet (registered in `PaymentsConfig.ready()`):
how each order was paid, what the providers kept as fees, what was refunded, and the net."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy

from backoffice.money import ZERO
from backoffice.tables import Column
from orders.exports import OrderExportPart

from .models import Payment


def _credited(order) -> list[Payment]:
    return order.credited_payments


def _methods(order) -> str:
    return ", ".join(dict.fromkeys(str(payment.get_method_display()) for payment in _credited(order)))


def _sum(field):
    return lambda order: sum((getattr(payment, field) for payment in _credited(order)), ZERO)


def _net(order):
    return sum((payment.net - payment.refunded for payment in _credited(order)), ZERO)


# The payments counted on the order's paid amount: the money that came in for it.
ORDER_EXPORT_PART = OrderExportPart(
    columns=(
        Column("payment_methods", gettext_lazy("Payment method"), accessor=_methods),
        Column("payment_fees", gettext_lazy("Fees"), accessor=_sum("fees"), kind="money"),
        Column("payment_refunded", gettext_lazy("Refunded"), accessor=_sum("refunded"), kind="money"),
        Column("payment_net", gettext_lazy("Net received"), accessor=_net, kind="money"),
    ),
    prefetch=Prefetch("payments", queryset=Payment.objects.filter(credited_to_order=True).order_by("pk"),
                      to_attr="credited_payments"),
    permission="payments.view_payment",
)
