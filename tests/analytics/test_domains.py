"""The fiscal and logistics rollups: NF-e authorized and cancelled with their taxes, parcels shipped
and delivered (on time or late, in how many days), returns by reason — incremental, rebuilt, and
against the source tables."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from analytics import rollups, selectors
from analytics.models import DayFact
from analytics.selectors import Period, figure
from backoffice.states import transition
from fiscal.models import Invoice
from logistics.models import ReturnRequest, Shipment, TrackingStatus
from tests.fiscal.services_support import issuer, person  # noqa: F401 (fixtures)
from tests.logistics.conftest import (  # noqa: F401 (fixtures)
    authorized,
    carriers,
    consumer_order,
    fiscal_profile,
    make_paid_order,
    products,
    series,
    tax_tables,
)

pytestmark = pytest.mark.django_db


def facts() -> dict:
    return {(f.rollup, f.measure, f.day, f.d1, f.d2, f.d3): f.value for f in DayFact.objects.all()}


def rebuilt_equals_incremental():
    incremental = facts()
    DayFact.objects.all().delete()
    rollups.rebuild(start=timezone.localdate() - timedelta(days=10), end=timezone.localdate())
    return facts() == incremental


def test_nfe_authorized_then_cancelled_with_their_taxes(authorized):
    today = Period(timezone.localdate(), timezone.localdate())
    rollups.refresh()
    taxes = sum((getattr(authorized, name) for name in ("icms_total", "st_total", "difal_total", "fcp_total",
                                                        "ipi_total", "pis_total", "cofins_total", "ibs_total",
                                                        "cbs_total")), Decimal(0))
    assert figure("fiscal.authorized", today) == 1
    assert figure("fiscal.invoiced", today) == authorized.total > 0
    assert figure("fiscal.taxes", today) == taxes  # a Simples Nacional sale: its taxes as its NF-e says
    assert figure("fiscal.authorized", today, where={"uf": "SP"}) == 1
    transition(authorized, Invoice.Status.CANCELLED)
    rollups.refresh()
    assert (figure("fiscal.authorized", today), figure("fiscal.cancelled", today)) == (0, 1)
    assert figure("fiscal.taxes", today) == 0
    assert rebuilt_equals_incremental()


def test_parcels_shipped_and_delivered_on_time_or_late_and_returns_by_reason(consumer_order, carriers):
    now = timezone.now()
    today = timezone.localdate()
    made = []
    for code, service, cost, promised, days in [("A", "sedex", "21.50", 1, 1), ("B", "pac", "15.20", 5, 3),
                                                ("C", "pac", "15.20", 2, 4), ("D", "sedex", "21.50", None, 2)]:
        made.append((Shipment.objects.create(
            order=consumer_order, service=carriers[service], status=Shipment.Status.SHIPPED, tracking_code=code,
            cost=Decimal(cost), promised_on=(now - timedelta(days=days)).date() + timedelta(days=promised)
            if promised else None, tracking_status=TrackingStatus.IN_TRANSIT,
            shipped_at=now - timedelta(days=days)), days))
    rollups.refresh()
    week = Period(today - timedelta(days=7), today)
    assert figure("logistics.shipped", week) == 4
    assert figure("logistics.freight_cost", week) == Decimal("73.40")
    assert dict(selectors.series("logistics.shipped", week, by="carrier")) == {"Correios": 4}
    for shipment, _days in made:
        transition(shipment, Shipment.Status.DELIVERED, changes={"delivered_at": now})
    ReturnRequest.objects.create(order=consumer_order, reason=ReturnRequest.Reason.DEFECT)
    ReturnRequest.objects.create(order=consumer_order, reason=ReturnRequest.Reason.DEFECT)
    ReturnRequest.objects.create(order=consumer_order, reason=ReturnRequest.Reason.REGRET)
    rollups.refresh()
    today_only = Period(today, today)
    assert figure("logistics.delivered", today_only) == 4
    # A on time (promised after 1 day, took 1); B on time (5 for 3); C late (2 for 4); D had no promise.
    assert figure("logistics.on_time_rate", today_only) == Decimal(200) / 3
    assert figure("logistics.days_to_deliver", today_only) == Decimal("2.5")  # (1 + 3 + 4 + 2) / 4
    direct = Shipment.objects.aggregate(cost=Sum("cost"))["cost"]
    charged = consumer_order.shipping_total
    assert figure("logistics.freight_result", week) == charged - direct
    assert figure("logistics.returns", today_only) == 3
    assert dict(selectors.series("logistics.returns", today_only, by="reason")) == {"defect": 2, "regret": 1}
    assert rebuilt_equals_incremental()


def test_the_stock_on_hand_and_its_value_are_the_ledger_up_to_each_day(db, time_machine):
    from inventory import services as inventory
    from inventory.models import Warehouse
    from tests.factories import ProductFactory

    warehouse = Warehouse.objects.get(code="principal")
    shirt = ProductFactory(price=Decimal("50"), cost=Decimal("0"), reorder_point=5)
    today = timezone.localdate()
    time_machine.move_to(timezone.now() - timedelta(days=5), tick=False)
    inventory.stock_receive(product=shirt, warehouse=warehouse, quantity=10, unit_cost=Decimal("5.00"), user=None)
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)
    shirt.refresh_from_db()
    inventory.stock_receive(product=shirt, warehouse=warehouse, quantity=10, unit_cost=Decimal("8.00"), user=None)
    time_machine.move_to(timezone.now() + timedelta(days=3), tick=False)
    shirt.refresh_from_db()  # average cost R$ 6,50
    inventory.stock_write_off(product=shirt, warehouse=warehouse, quantity=16, user=None, reason="Avaria",
                              from_state="sellable")
    inventory.reorder_check(day=today)
    rollups.refresh()
    five_days_ago, three_days_ago = today - timedelta(days=5), today - timedelta(days=3)
    assert figure("inventory.units_on_hand", Period(five_days_ago, five_days_ago)) == 10
    assert figure("inventory.stock_value", Period(five_days_ago, three_days_ago)) == Decimal("130.00")
    # The write-off went at the average cost: 4 units of R$ 6,50 left.
    week = Period(today - timedelta(days=6), today)
    assert (figure("inventory.units_on_hand", week), figure("inventory.stock_value", week)) == (4, Decimal("26.00"))
    assert dict(selectors.series("inventory.units_on_hand", week)) == {
        day: (0 if day < five_days_ago else 10 if day < three_days_ago else 20 if day < today else 4)
        for day in week.each_day()}
    assert figure("inventory.stockouts", week) == 0 and figure("inventory.low_stock", week) == 1
    assert figure("inventory.days_of_cover", week) is None  # nothing sold: no pace to last at
    assert rebuilt_equals_incremental()


def test_an_orders_net_margin_is_known_once_paid_and_shipped_and_unknown_before(consumer_order, carriers, issuer):
    from inventory.models import Movement
    from orders import services as orders
    from payments.models import Payment

    today = Period(timezone.localdate(), timezone.localdate())
    rollups.refresh()
    assert figure("analytics.margin_unknown", today) == 1  # paid, not shipped yet
    assert figure("analytics.net_margin", today) == 0 and figure("analytics.net_margin_rate", today) is None
    order = orders.order_invoice(order=consumer_order, user=issuer)
    Shipment.objects.create(order=order, service=carriers["sedex"], status=Shipment.Status.SHIPPED,
                            tracking_code="AA123", cost=Decimal("21.50"), shipped_at=timezone.now())
    orders.order_ship(order=order, user=issuer)
    rollups.refresh()
    fees = Payment.objects.get(order=order).fees
    goods = sum(movement.quantity * movement.unit_cost for movement in Movement.objects.filter(
        kind=Movement.Kind.SALE, reference=order.reference))
    assert goods > 0
    expected = order.total - fees - Decimal("21.50") - goods
    assert figure("analytics.margin_unknown", today) == 0
    assert figure("analytics.net_margin", today) == expected
    assert figure("analytics.net_margin", today, where={"channel": "web"}) == expected
    assert figure("analytics.net_margin_rate", today) == expected * 100 / order.total
    assert rebuilt_equals_incremental()
