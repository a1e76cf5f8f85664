"""Read queries on NF-e that the services and the screens share: an order's invoices and its open
one, what is still returnable of a sale and its returns, the numbers being voided, SEFAZ's last
known status."""

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from .models import FiscalProfile, Invoice, InvoiceItem, SefazStatus, VoidedRange
from .taxes import DEAD

Status = Invoice.Status
# A sale's NF-e the order still has: being written, on its way, rejected (to fix and issue again) or
# authorized. Denied, cancelled and voided ones leave room for another.
OPEN = (Status.DRAFT, Status.SIGNED, Status.SENT, Status.AUTHORIZED, Status.REJECTED)
IN_FLIGHT = (Status.SIGNED, Status.SENT)


def invoices_of_order(order) -> QuerySet[Invoice]:
    """Every NF-e of the order — its sales and the returns against them — newest first."""
    return Invoice.objects.filter(order=order).select_related("refers_to").order_by("-created_at", "-pk")


def open_invoice(order) -> Invoice | None:
    """The order's NF-e of sale that is not over (see OPEN), or None."""
    return (Invoice.objects.filter(order=order, direction=Invoice.Direction.OUTGOING, purpose=Invoice.Purpose.NORMAL,
                                   status__in=OPEN).order_by("-created_at", "-pk").first())


def in_flight(invoice: Invoice) -> bool:
    """Whether SEFAZ's answer to the invoice is still awaited."""
    return invoice.status in IN_FLIGHT


def returned_quantities(original: Invoice) -> dict[int, Decimal]:
    """How much of each item (by pk) of the sale `original` earlier returns gave back, or hold (a
    return cancelled, denied or voided gives nothing back; a rejected one still holds its quantities)."""
    rows = (InvoiceItem.objects.filter(returns_item__invoice=original).exclude(invoice__status__in=DEAD)
            .values("returns_item").annotate(returned=Sum("quantity")))
    return {row["returns_item"]: row["returned"] for row in rows}


def returnable_items(original: Invoice) -> list[tuple[InvoiceItem, Decimal, Decimal]]:
    """Each item of the sale `original` with what came back so far and what may still come back."""
    returned = returned_quantities(original)
    return [(item, returned.get(item.pk, Decimal(0)), item.quantity - returned.get(item.pk, Decimal(0)))
            for item in original.items.order_by("position")]


def voided_overlapping(*, environment: int, series: int, first: int, last: int) -> QuerySet[VoidedRange]:
    """The voided ranges (registered, or waiting for SEFAZ) that share a number with `first`–`last`."""
    return VoidedRange.objects.filter(environment=environment, series=series, first__lte=last, last__gte=first,
                                      status__in=(VoidedRange.Status.SIGNED, VoidedRange.Status.REGISTERED))


def number_being_voided(invoice: Invoice) -> bool:
    """Whether the invoice's number is in a range voided, or waiting for SEFAZ to void it."""
    return voided_overlapping(environment=invoice.environment, series=invoice.series, first=invoice.number,
                              last=invoice.number).exists()


def returns_of(original: Invoice) -> QuerySet[Invoice]:
    """The return NF-e against the sale `original`, newest first."""
    return original.referenced_by.filter(purpose=Invoice.Purpose.RETURN).order_by("-created_at", "-pk")


def sefaz_status() -> SefazStatus | None:
    """The last status check of the profile's UF in its environment (None before the first, or
    without a profile)."""
    profile = FiscalProfile.objects.select_related("city").filter(pk=1).first()
    if profile is None:
        return None
    return SefazStatus.objects.filter(uf=profile.uf, environment=profile.environment).first()


def contingency_hint(status: SefazStatus | None) -> str:
    """What staff should know when SEFAZ's service is down (empty while it is up, or unknown)."""
    if status is None or status.up:
        return ""
    return _("SEFAZ %(uf)s is not authorizing NF-e now (%(message)s). Invoices wait signed and are sent again "
             "automatically; if the outage lasts, ask the accountant about issuing in contingency (SVC).") % {
        "uf": status.uf, "message": status.status_message or _("no answer")}

