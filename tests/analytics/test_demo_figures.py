"""With the demo store: the dashboards show figures for every area that has landed — sales, payments
and cash, NPS, stock, NF-e, logistics, the website, the margin — each non-trivial and equal to a
direct query of the source tables."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from analytics.models import SiteEvent
from analytics.rollups import day_of
from analytics.selectors import Period, figure
from fiscal.models import Invoice
from inventory.models import Movement, State
from logistics.models import ReturnRequest, Shipment
from orders.models import Order, Status, SurveyAnswer
from payments.models import CashEntry, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo store with 150 orders, seeded once for this module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--orders", "150", stdout=io.StringIO())
        yield Period(timezone.localdate() - timedelta(days=120), timezone.localdate())
        transaction.set_rollback(True)


def within(period: Period, field: str) -> Q:
    start, end = (timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
                  for day in (period.start, period.end + timedelta(days=1)))
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def test_every_area_shows_figures_equal_to_its_source_tables(demo):
    period = demo
    sold = Order.objects.filter(within(period, "placed_at")).exclude(status=Status.CANCELLED)
    approved = Payment.objects.filter(within(period, "created_at"), status__in=[
        "approved", "partially_refunded", "refunded", "in_dispute", "charged_back"])
    realized = CashEntry.objects.filter(status="realized", date__gte=period.start, date__lte=period.end)
    answers = SurveyAnswer.objects.filter(within(period, "answered_at"))
    ledger = Movement.objects.all()
    stock_in = ledger.filter(from_state=State.OUTSIDE).aggregate(units=Sum("quantity"))["units"] or 0
    stock_out = ledger.filter(to_state=State.OUTSIDE).aggregate(units=Sum("quantity"))["units"] or 0
    # In Decimal here (SQLite multiplies decimals as floats).
    value = sum((row.quantity * row.unit_cost * (1 if row.from_state == State.OUTSIDE else -1)
                 for row in ledger.filter(Q(from_state=State.OUTSIDE) | Q(to_state=State.OUTSIDE))), Decimal(0))
    promoters, detractors = answers.filter(score__gte=9).count(), answers.filter(score__lte=6).count()
    sessions = {(day_of(at), session) for session, at in
                SiteEvent.objects.filter(within(period, "at")).values_list("session", "at")}
    direct = {
        "orders.gmv": sold.aggregate(total=Sum("total"))["total"],
        "orders.sold": sold.count(),
        "payments.approved_amount": approved.aggregate(total=Sum("gross"))["total"],
        "payments.cash_in": realized.filter(direction="in").aggregate(total=Sum("amount"))["total"],
        "payments.cash_out": realized.filter(direction="out").aggregate(total=Sum("amount"))["total"],
        "orders.nps": Decimal((promoters - detractors) * 100) / answers.count(),
        "inventory.units_on_hand": stock_in - stock_out,
        "inventory.stock_value": value,
        "fiscal.authorized": Invoice.objects.filter(within(period, "created_at"), status="authorized").count(),
        "logistics.shipped": Shipment.objects.filter(within(period, "shipped_at")).count(),
        "logistics.delivered": Shipment.objects.filter(within(period, "delivered_at")).count(),
        "logistics.returns": ReturnRequest.objects.filter(within(period, "created_at")).count(),
        "analytics.sessions": len(sessions),
    }
    shown = {name: figure(name, period) for name in direct}
    assert shown == direct
    assert all(shown[name] for name in direct), {name: shown[name] for name in direct if not shown[name]}
    # The margin: each order's, computed here, for those whose costs are all known; the others unknown.
    margin, unknown = Decimal(0), 0
    for order in sold:
        fees = [payment.fees for payment in approved.model.objects.filter(order=order, status__in=[
            "approved", "partially_refunded", "refunded", "in_dispute", "charged_back"])]
        parcels = [parcel.cost for parcel in order.shipments.exclude(status="cancelled")]
        units = [unit.quantity * unit.unit_cost for unit in ledger.filter(kind="sale", reference=order.reference)]
        if fees and parcels and units and order.channel in ("web", "manual", "phone"):
            margin += order.total - sum(fees) - sum(parcels) - sum(units)
        else:
            unknown += 1
    assert (figure("analytics.net_margin", period), figure("analytics.margin_unknown", period)) == (margin, unknown)
    assert margin and unknown
