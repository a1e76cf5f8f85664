"""The cash-flow register: what came in and went out, by category, and what is expected.
Settled receivables bring their gross in and their fee out; refunds and chargebacks shrink
what is still to be released or take money out; finance enters everything else. All sums are Decimal."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backoffice.audit import audit_record
from backoffice.money import ZERO
from backoffice.states import transition

from .models import CashEntry, Payment, Receivable

Category = CashEntry.Category
In, Out = CashEntry.Direction.IN, CashEntry.Direction.OUT


# The categories of money coming in; every other category is money going out.
INFLOWS = frozenset({Category.SALES, Category.OTHER_INCOME})


def direction_of(category: str) -> str:
    """Which way a category's money goes."""
    return In if category in INFLOWS else Out


def cash_entry_book(*, category: str, **fields) -> CashEntry:
    """Every cash entry is created here: its category decides its direction."""
    return CashEntry.objects.create(category=category, direction=direction_of(category), **fields)


def _total(queryset, name="amount") -> Decimal:
    return queryset.aggregate(total=Sum(name))["total"] or ZERO


def receivables_settle(*, today: date | None = None) -> int:
    """The provider released what was due: each receivable due by `today` is settled, its
    gross booked in and its fee out on its due date. Returns how many were settled."""
    today = today or timezone.localdate()
    settled = 0
    due = Receivable.objects.filter(status=Receivable.Status.EXPECTED, due_date__lte=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            # Locked: a refund shrinking it meanwhile (payment_money_back) changes what is booked.
            receivable = Receivable.objects.select_for_update().select_related("payment").get(pk=pk)
            if receivable.status != Receivable.Status.EXPECTED:
                continue
            transition(receivable, Receivable.Status.SETTLED, params={"net": str(receivable.net)})
            text = f"{receivable.payment} {receivable.number}/{receivable.payment.installments}"
            cash_entry_book(date=receivable.due_date, category=Category.SALES, amount=receivable.gross,
                            description=text, payment=receivable.payment, receivable=receivable)
            if receivable.fee:
                cash_entry_book(date=receivable.due_date, category=Category.PROVIDER_FEES, amount=receivable.fee,
                                description=text, payment=receivable.payment, receivable=receivable)
            settled += 1
    return settled


def payment_money_back(payment: Payment) -> None:
    """Account, once, for the money a refund or chargeback gives back: first out of what the
    provider has not released yet (the last installments shrink or are cancelled), the rest
    out of the cash. Call inside the payment's lock."""
    given_back = payment.gross if payment.status == Payment.Status.CHARGED_BACK else payment.refunded
    receivables = list(payment.receivables.select_for_update().order_by("-number"))
    held_back = payment.gross - sum(r.gross for r in receivables) if receivables else ZERO
    booked = _total(payment.cash_entries.filter(category__in=[Category.REFUNDS, Category.CHARGEBACKS]))
    missing = given_back - held_back - booked
    for receivable in receivables:
        if missing <= 0:
            return
        if receivable.status != Receivable.Status.EXPECTED:
            continue
        take = min(missing, receivable.gross)
        receivable.gross -= take
        receivable.net = max(receivable.net - take, ZERO)
        receivable.fee = receivable.gross - receivable.net
        receivable.save(update_fields=["gross", "net", "fee"])
        if not receivable.gross:
            transition(receivable, Receivable.Status.CANCELLED, code="receivable.given_back",
                       params={"amount": str(take)})
        missing -= take
    if missing > 0:
        category = Category.CHARGEBACKS if payment.status == Payment.Status.CHARGED_BACK else Category.REFUNDS
        cash_entry_book(date=timezone.localdate(), category=category, amount=missing, description=str(payment),
                        payment=payment)


def cash_entry_create(*, user, **fields) -> CashEntry:
    entry = cash_entry_book(created_by=user, **fields)
    audit_record(actor=user, action="cash.entry", obj=entry,
                 after={"amount": str(entry.amount), "category": entry.category, "status": entry.status})
    return entry


def cash_entry_realize(*, entry: CashEntry, on: date, user) -> CashEntry:
    """A scheduled entry happened (paid or received) on `on` (one already done is left as it is)."""
    with transaction.atomic():
        transition(entry, CashEntry.Status.REALIZED, actor=user, changes={"date": on},
                   params={"date": on.isoformat(), "scheduled": entry.date.isoformat()})
    return entry


@dataclass
class CashPeriod:
    start: date
    end: date
    opening: Decimal
    inflow: Decimal
    outflow: Decimal
    closing: Decimal
    by_category: list = field(default_factory=list)  # (category label, in, out)
    days: list = field(default_factory=list)  # (date, in, out, closing balance)
    expected_in: Decimal = ZERO  # open receivables and scheduled receipts in the period
    scheduled_out: Decimal = ZERO
    forecast_closing: Decimal = ZERO


def cash_period(start: date, end: date) -> CashPeriod:
    """Realized money from `start` to `end` (inclusive): opening + in − out = closing; and
    the forecast adding what is still expected or scheduled in the period."""
    realized = CashEntry.objects.filter(status=CashEntry.Status.REALIZED)
    before = realized.filter(date__lt=start)
    opening = _total(before.filter(direction=In)) - _total(before.filter(direction=Out))
    rows = (realized.filter(date__range=(start, end)).values("date", "category", "direction")
            .annotate(total=Sum("amount")).order_by("date"))
    categories: dict[str, list[Decimal]] = {}
    per_day: dict[date, list[Decimal]] = {}
    for row in rows:
        slot = 0 if row["direction"] == In else 1
        categories.setdefault(row["category"], [ZERO, ZERO])[slot] += row["total"]
        per_day.setdefault(row["date"], [ZERO, ZERO])[slot] += row["total"]
    inflow = sum((got for got, _ in per_day.values()), ZERO)
    outflow = sum((spent for _, spent in per_day.values()), ZERO)
    closing = opening + inflow - outflow
    days, balance, day = [], opening, start
    while day <= end:
        got, spent = per_day.get(day, [ZERO, ZERO])
        balance += got - spent
        days.append((day, got, spent, balance))
        day += timedelta(days=1)
    scheduled = CashEntry.objects.filter(status=CashEntry.Status.SCHEDULED, date__range=(start, end))
    expected = Receivable.objects.filter(status=Receivable.Status.EXPECTED, due_date__range=(start, end))
    expected_in = _total(expected, "net") + _total(scheduled.filter(direction=In))
    scheduled_out = _total(scheduled.filter(direction=Out))
    labels = dict(Category.choices)
    return CashPeriod(
        start=start, end=end, opening=opening, inflow=inflow, outflow=outflow, closing=closing,
        by_category=[(labels[c], got, spent) for c, (got, spent) in sorted(categories.items())], days=days,
        expected_in=expected_in, scheduled_out=scheduled_out, forecast_closing=closing + expected_in - scheduled_out,
    )


def overdue_scheduled():
    """Scheduled entries whose date has passed: finance should mark them done or move them."""
    return CashEntry.objects.filter(status=CashEntry.Status.SCHEDULED, date__lt=timezone.localdate())


def cash_chart(days, width=700, height=160) -> dict:
    """SVG geometry of a period's `days` (date, in, out, balance): a bar in and a bar out per
    day, and the balance line."""
    top = max([max(got, spent) for _, got, spent, _ in days] + [1])
    balances = [balance for *_, balance in days]
    low, high = min(balances + [0]), max(balances + [0])
    span = (high - low) or 1
    step = width / len(days)
    bars, points = [], []
    for i, (day, got, spent, balance) in enumerate(days):
        x = i * step
        for offset, value, tone in ((0.1, got, "in"), (0.5, spent, "out")):
            bar = float(value / top) * (height - 10)
            bars.append({"x": round(x + step * offset, 1), "y": round(height - bar, 1), "w": round(step * 0.4, 1),
                         "h": round(bar, 1), "tone": tone, "day": day, "value": value})
        points.append(f"{round(x + step / 2, 1)},{round(float((high - balance) / span) * (height - 10) + 5, 1)}")
    return {"width": width, "height": height, "bars": bars, "points": " ".join(points)}
