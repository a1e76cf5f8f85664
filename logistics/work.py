"""What waits in logistics, counted for the home page (backoffice.worklist): the late parcels, for
staff, and the returns inspected and waiting for finance's refund."""

from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.worklist import WorkCount

from .models import ReturnRequest
from .promises import watch_counts


def late_work() -> list[WorkCount]:
    """The parcels past the date promised to the customer (the late list's "late" ones)."""
    return [WorkCount(_("Late parcels"), watch_counts()["late"], f"{reverse('logistics:late')}?watch=late",
                      "danger")]


def refund_work() -> list[WorkCount]:
    """The returns whose goods came back and were inspected: finance refunds and closes them. A
    refund has no pending state of its own (payments.Refund is money already given back): these are
    the refunds still to make."""
    status = ReturnRequest.Status.INSPECTED
    count = ReturnRequest.objects.filter(status=status).count()
    return [WorkCount(_("Refunds pending"), count, f"{reverse('logistics:return_list')}?status={status.value}",
                      detail=_("Returns inspected, to refund and close"))]
