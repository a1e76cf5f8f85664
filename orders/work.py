"""What waits for staff in the order pipeline, counted for the home page (backoffice.worklist)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.worklist import WorkCount

from .filters import HELD, IN_QUEUE
from .models import Order, Status


def order_work() -> list[WorkCount]:
    """The orders to validate, those held out of stock and those ready to ship, in one query,
    each linked to the order list filtered to them."""
    # Only the pipeline's waiting statuses are read (through the status index), not every order.
    counts = Order.objects.filter(status__in=[Status.NEW, Status.PAID, Status.READY_TO_SHIP]).aggregate(
        to_validate=Count("pk", filter=IN_QUEUE), held=Count("pk", filter=HELD),
        ready=Count("pk", filter=Q(status=Status.READY_TO_SHIP)),
    )
    url = reverse("orders:order_list")
    return [
        WorkCount(_("Orders to validate"), counts["to_validate"], f"{url}?queue=true"),
        WorkCount(_("Orders held out of stock"), counts["held"], f"{url}?held=true"),
        WorkCount(_("Orders ready to ship"), counts["ready"], f"{url}?status={Status.READY_TO_SHIP.value}", "info"),
    ]
