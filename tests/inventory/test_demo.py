import io
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from stdnum import ean

from backoffice.models import AuditEvent
from inventory import selectors
from inventory.models import Movement, Product, Reservation, State, StockLevel, Warehouse

pytestmark = pytest.mark.django_db

COLUMNS = {State.DAMAGED: "damaged", State.QUALITY_CONTROL: "quality_control", State.SAFETY: "safety"}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo store, seeded once for this module inside a transaction that is rolled back
    at its end (each test still runs in its own savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--orders", "0", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def ledger_drift():
    """Every level compared with what the ledger and the active reservations say it must hold."""
    expected = defaultdict(lambda: defaultdict(int))
    for product, warehouse, quantity, source, target in Movement.objects.values_list(
        "product_id", "warehouse_id", "quantity", "from_state", "to_state"
    ):
        totals = expected[product, warehouse]
        if source == State.OUTSIDE:
            totals["on_hand"] += quantity
        if target == State.OUTSIDE:
            totals["on_hand"] -= quantity
        if target in COLUMNS:
            totals[COLUMNS[target]] += quantity
        if source in COLUMNS:
            totals[COLUMNS[source]] -= quantity
    reserved = dict(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE)
        .values("level_id").annotate(total=Sum("quantity")).values_list("level_id", "total")
    )
    drift = []
    for level in StockLevel.objects.all():
        want = expected.pop((level.product_id, level.warehouse_id), {})
        for column in ("on_hand", *COLUMNS.values()):
            if getattr(level, column) != want.get(column, 0):
                drift.append((level.pk, column, getattr(level, column), want.get(column, 0)))
        if level.reserved != reserved.get(level.pk, 0):
            drift.append((level.pk, "reserved", level.reserved, reserved.get(level.pk, 0)))
    drift.extend(("no level", key, None, dict(totals)) for key, totals in expected.items())
    return drift


def test_it_seeds_about_two_hundred_products_with_valid_gtins_and_ncms(seeded):
    products = list(Product.objects.all())
    assert 180 <= len(products) <= 230
    gtins = [p.gtin for p in products if p.gtin]
    assert len(gtins) >= 180
    assert all(ean.is_valid(gtin) and len(gtin) == 13 and gtin.startswith("789") for gtin in gtins)
    assert len(set(gtins)) == len(gtins)
    assert all(len(p.ncm) == 8 and p.ncm.isdigit() for p in products)
    assert all(p.cest == "" or (len(p.cest) == 7 and p.cest.isdigit()) for p in products)
    assert all(p.cost < p.price for p in products)
    assert {p.origin for p in products} >= {0, 1, 2}


def test_some_products_are_variants_of_a_parent(seeded):
    variants = Product.objects.filter(parent__isnull=False)
    assert variants.count() >= 30
    assert all(v.variant_label for v in variants)
    assert Product.objects.filter(sku="CAM-0001-AZ-M", variant_label="Azul / M", parent__sku="CAM-0001").exists()


def test_both_warehouses_hold_stock(seeded):
    assert set(Warehouse.objects.values_list("code", flat=True)) == {"principal", "sp-cd2"}
    for warehouse in Warehouse.objects.all():
        assert warehouse.levels.filter(on_hand__gt=0).count() >= 50


def test_the_history_has_every_kind_of_movement_and_some_reservations_are_still_active(seeded):
    kinds = set(Movement.objects.values_list("kind", flat=True))
    assert kinds == set(Movement.Kind.values)
    statuses = set(Reservation.objects.values_list("status", flat=True))
    assert statuses == set(Reservation.Status.values)
    assert StockLevel.objects.filter(quality_control__gt=0).exists()
    assert StockLevel.objects.filter(safety__gt=0).exists()


def test_some_products_are_at_or_under_their_reorder_point_and_a_few_have_no_stock(seeded):
    stocked = list(selectors.products().filter(variants__isnull=True))  # parents group variants, hold no stock
    low = [p for p in stocked if p.low]
    assert len(low) >= 5
    assert sum(1 for p in stocked if p.on_hand_total == 0) >= 3


def test_every_level_matches_its_ledger_and_its_active_reservations(seeded):
    assert StockLevel.objects.count() > 200
    assert ledger_drift() == []


def test_a_second_run_creates_nothing(seeded):
    counts = (Product.objects.count(), Movement.objects.count(), Reservation.objects.count(), Warehouse.objects.count())
    call_command("seed_demo", "--orders", "0", stdout=io.StringIO())
    assert (
        Product.objects.count(), Movement.objects.count(), Reservation.objects.count(), Warehouse.objects.count()
    ) == counts


def test_the_stock_history_happened_in_the_months_before_the_orders_in_the_order_it_is_written(seeded):
    now = timezone.now()
    moments = list(Movement.objects.order_by("pk").values_list("created_at", flat=True))
    assert moments == sorted(moments)
    assert now - timedelta(days=130) < moments[0] and moments[-1] < now - timedelta(days=90)
    assert (moments[-1] - moments[0]).days >= 30
    registered = AuditEvent.objects.filter(action="product.create").values_list("created_at", flat=True)
    assert registered and all(at < moments[0] for at in registered)
    assert all(r.created_at < now - timedelta(days=90) for r in Reservation.objects.all())
