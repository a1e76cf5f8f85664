"""Many buyers, the last units, counts meanwhile: on PostgreSQL, nobody gets a unit that is
not there and every count holds."""

import random

import pytest
from django.db.models import Sum

from inventory import services
from inventory.models import Movement, Reservation, StockLevel
from inventory.selectors import ledger_drift
from tests.concurrency import at_once, raised

BUYERS = 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_buyers_never_oversell_the_last_units(stocked, main_warehouse, second_warehouse):
    products = [stocked(3), stocked(2), stocked(4)]
    services.stock_receive(product=products[0], warehouse=second_warehouse, quantity=2, unit_cost=products[0].cost,
                           user=None)
    received = 3 + 2 + 4 + 2
    outcomes = []

    def buyer(number):
        rng = random.Random(number)
        for attempt in range(6):
            lines = [
                services.ReservationLine(str(i), product.pk, rng.randint(1, 2))
                for i, product in enumerate(rng.sample(products, rng.randint(1, 3)))
            ]
            try:
                services.stock_reserve(reference=f"buyer{number}:{attempt}", lines=lines)
                outcomes.append(sum(line.quantity for line in lines))
            except services.InsufficientStock:
                outcomes.append(0)

    assert raised(at_once(buyer, BUYERS)) == []

    reserved = Reservation.objects.filter(status="active").aggregate(total=Sum("quantity"))["total"] or 0
    # (Negative levels cannot even be written: the check constraints refuse them.)
    assert len(outcomes) == BUYERS * 6
    assert sum(outcomes) == reserved <= received
    # The buyers took everything but, at most, one unit per level that only 2-unit lines wanted.
    assert reserved >= received - StockLevel.objects.count()
    assert ledger_drift() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_order_reserved_by_sixteen_tries_at_once_is_reserved_once(stocked, main_warehouse, second_warehouse):
    # Its lines split across both warehouses: each try waits for the one before, then sees its lines reserved.
    products = [stocked(3), stocked(5)]
    services.stock_receive(product=products[0], warehouse=second_warehouse, quantity=4, unit_cost=products[0].cost,
                           user=None)
    lines = [services.ReservationLine("1", products[0].pk, 5), services.ReservationLine("2", products[1].pk, 2)]
    results = at_once(lambda n: services.stock_reserve(reference="order:7", lines=lines), BUYERS)
    assert raised(results) == []
    assert {tuple(sorted((r.line, r.level_id, r.quantity) for r in result)) for result in results} == {
        tuple(sorted((r.line, r.level_id, r.quantity) for r in Reservation.objects.filter(reference="order:7")))}
    assert Reservation.objects.filter(reference="order:7").count() == 3
    assert StockLevel.objects.aggregate(total=Sum("reserved"))["total"] == 7
    assert ledger_drift() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reserving_shipping_cancelling_receiving_and_transferring_at_once_neither_deadlock_nor_drift(
    stocked, main_warehouse, second_warehouse
):
    products = [stocked(200) for _ in range(3)]
    for product in products:
        services.stock_receive(product=product, warehouse=second_warehouse, quantity=200, unit_cost=product.cost,
                               user=None)

    def worker(number):
        rng = random.Random(number)
        for step in range(8):
            product = rng.choice(products)
            action = (number + step) % 4
            if action == 0:
                reference = f"w{number}:{step}"
                lines = [services.ReservationLine(str(i), p.pk, 1) for i, p in enumerate(rng.sample(products, 2))]
                services.stock_reserve(reference=reference, lines=lines)
                (services.stock_consume if rng.random() < 0.5 else services.stock_release)(reference=reference)
            elif action == 1:
                services.stock_receive(product=product, warehouse=main_warehouse, quantity=2,
                                       unit_cost=product.cost, user=None)
            elif action == 2:
                source, destination = rng.sample([main_warehouse, second_warehouse], 2)
                services.stock_transfer(product=product, source=source, destination=destination, quantity=1,
                                        user=None)
            else:
                # The same order tried twice at once reserves it once.
                services.stock_reserve(reference="retried-order",
                                       lines=[services.ReservationLine("1", product.pk, 1)])

    assert raised(at_once(worker, BUYERS)) == []
    assert Reservation.objects.filter(reference="retried-order", status="active").count() == 1
    assert ledger_drift() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_counts_racing_each_other_and_shipments_leave_exactly_the_counted_units_at_their_place_in_the_ledger(
    stocked, main_warehouse
):
    product = stocked(100)
    counters, counts, sales = 4, 5, 3

    def worker(number):
        rng = random.Random(number)
        for step in range(counts if number < counters else sales):
            if number < counters:
                # At least the 12 units the sellers may hold reserved: every count can be applied.
                counted = rng.randint(40, 90)
                services.stock_adjust(product=product, warehouse=main_warehouse, counted=counted, user=None,
                                      reference=f"count:{counted}")
            else:
                reference = f"sale{number}:{step}"
                services.stock_reserve(reference=reference, lines=[services.ReservationLine("1", product.pk, 1)])
                services.stock_consume(reference=reference)

    assert raised(at_once(worker, BUYERS)) == []
    # Replayed in ledger order (each row was written under its level's lock), every count
    # leaves on hand what was counted, as when the counts and sales run one after another.
    on_hand, replayed_counts = 0, 0
    for movement in Movement.objects.filter(product=product).order_by("pk"):
        on_hand += movement.quantity if movement.from_state == "outside" else -movement.quantity
        if movement.kind == Movement.Kind.ADJUSTMENT:
            assert on_hand == int(movement.reference.removeprefix("count:")), movement
            replayed_counts += 1
    assert replayed_counts >= 1
    assert Movement.objects.filter(product=product, kind=Movement.Kind.SALE).count() == (BUYERS - counters) * sales
    assert StockLevel.objects.get(product=product).on_hand == on_hand
    assert ledger_drift() == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_to_change_or_delete_ledger_rows(stocked):
    from django.db import DatabaseError, transaction

    stocked(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Movement.objects.update(quantity=5)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Movement.objects.all().delete()
