"""Many buyers, the last units: on PostgreSQL, nobody gets a unit that is not there."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from inventory import services
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_drift

BUYERS = 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_buyers_never_oversell_the_last_units(stocked, main_warehouse, second_warehouse):
    products = [stocked(3), stocked(2), stocked(4)]
    services.stock_receive(product=products[0], warehouse=second_warehouse, quantity=2, unit_cost=products[0].cost, user=None)
    received = 3 + 2 + 4 + 2
    start = threading.Barrier(BUYERS)
    outcomes, negative_seen = [], []

    def buyer(number):
        rng = random.Random(number)
        try:
            start.wait()
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
                if StockLevel.objects.filter(on_hand__lt=0).exists() or any(
                    level.available < 0 for level in StockLevel.objects.all()
                ):
                    negative_seen.append(number)
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reserved = Reservation.objects.filter(status="active").aggregate(total=Sum("quantity"))["total"] or 0
    assert negative_seen == []
    assert len(outcomes) == BUYERS * 6
    assert sum(outcomes) == reserved <= received
    # The buyers took everything but, at most, one unit per level that only 2-unit lines wanted.
    assert reserved >= received - StockLevel.objects.count()
    for level in StockLevel.objects.all():
        assert level.available >= 0 and level.reserved <= level.on_hand
    assert ledger_drift() == []
