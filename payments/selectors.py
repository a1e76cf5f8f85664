"""The payments screens' queries: payments, webhook events, receivables of a month, cash
entries of a period, and a provider's releases beside our payments."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from backoffice.dates import period_bounds
from backoffice.money import ZERO

from .models import CashEntry, Payment, ProviderAccount, Receivable, WebhookEvent


def payments() -> QuerySet:
    return Payment.objects.select_related("order")


def payment_details() -> QuerySet:
    """Payments with what their page shows beside them."""
    return Payment.objects.select_related("order", "account", "recorded_by", "approved_by")


def webhook_events() -> QuerySet:
    return WebhookEvent.objects.select_related("account")


def cash_entries(start: date, end: date) -> QuerySet:
    return CashEntry.objects.filter(date__range=(start, end))


@dataclass
class ReceivablesMonth:
    month: date  # its first day
    receivables: QuerySet
    weeks: list  # weeks of (day, {status: (net total, count)}), None for the days of other months
    expected: Decimal  # the net still expected in the month


def receivables_month(day: date) -> ReceivablesMonth:
    """The receivables due in `day`'s month, as a calendar of day totals per status."""
    month, last = period_bounds("month", day)
    in_month = Receivable.objects.filter(due_date__range=(month, last))
    totals = {}
    for row in in_month.values("due_date", "status").annotate(total=Sum("net"), count=Count("pk")):
        totals.setdefault(row["due_date"], {})[row["status"]] = (row["total"], row["count"])
    weeks = [[(day, totals.get(day, {})) if day.month == month.month else None for day in week]
             for week in calendar.Calendar().monthdatescalendar(month.year, month.month)]
    expected = sum((sums[Receivable.Status.EXPECTED][0] for sums in totals.values()
                    if Receivable.Status.EXPECTED in sums), ZERO)
    return ReceivablesMonth(month=month, receivables=in_month.select_related("payment"), weeks=weeks,
                            expected=expected)


def releases_matched(account: ProviderAccount, releases: list) -> tuple[list, dict]:
    """A provider's release rows, each beside our payment of the same provider id (or None),
    and the rows' gross, fee and net totals."""
    ours = Payment.objects.filter(provider=account.provider,
                                  provider_payment_id__in={r.provider_payment_id for r in releases}
                                  ).select_related("order")
    by_id = {p.provider_payment_id: p for p in ours}
    rows = [(release, by_id.get(release.provider_payment_id)) for release in releases]
    totals = {name: sum((getattr(release, name) for release in releases), ZERO) for name in ("gross", "fee", "net")}
    return rows, totals
