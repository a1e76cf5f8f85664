"""Many buyers reserving the last units of the same SKUs at once, through `stock_reserve`,
against the bare minimum that could do it: the same baskets as conditional `UPDATE`s of the
stock levels in one transaction each. Both run `--buyers` processes (as web workers are) on a
fresh set of products with `--units` units each, until the stock is gone or `--seconds` have
passed. The checks: no level has more units reserved than it has sellable, and each level's
`reserved` equals the sum of its active reservations (a failed check fails the bench)."""

import multiprocessing
import random
import time
import uuid
from decimal import Decimal

from bench.core import Measure, Result, scenario

BUDGET_PER_SECOND = 500
BUDGET_RATIO = 0.5  # of the bare UPDATE's rate in the same run
SKUS = 20


def create_stock(*, units: int):
    """Fresh products for this run, each with `units` received through the service."""
    from inventory.models import Product, Warehouse
    from inventory.services import stock_receive

    run = f"BENCHSTOCK-{uuid.uuid4().hex[:8].upper()}"
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "pk").first()
    products = Product.objects.bulk_create(
        Product(sku=f"{run}-{i:04d}", name=f"Bench product {i}", ncm="61091000", price=Decimal("10.00"),
                cost=Decimal("5.00"))
        for i in range(1, SKUS + 1)
    )
    for product in products:
        stock_receive(product=product, warehouse=warehouse, quantity=units, unit_cost=Decimal("5.00"), user=None,
                      supplier="bench", reference=run)
    return run, {p.pk: p.sku for p in products}


def reserve_through_service(run, number, attempt, basket, sold_out, products):
    """One basket through `stock_reserve`; True when reserved."""
    from inventory.services import InsufficientStock, ReservationLine, stock_reserve

    lines = [ReservationLine(line=str(i), product_id=pk, quantity=quantity)
             for i, (pk, quantity) in enumerate(basket, start=1)]
    try:
        stock_reserve(reference=f"{run}:{number}:{attempt}", lines=lines)
    except InsufficientStock as refusal:
        gone = {s.sku for s in refusal.shortages if s.available == 0}
        sold_out.update(pk for pk, _ in basket if products[pk] in gone)
        return False
    return True


def reserve_bare(run, number, attempt, basket, sold_out, products):
    """The same basket as conditional UPDATEs of the levels, all or nothing."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for pk, quantity in sorted(basket):
            cursor.execute(
                "UPDATE inventory_stocklevel SET reserved = reserved + %s WHERE product_id = %s"
                " AND on_hand - damaged - quality_control - safety - reserved >= %s", [quantity, pk, quantity])
            if cursor.rowcount != 1:
                sold_out.add(pk)
                transaction.set_rollback(True)
                return False
    return True


def buyer(reserve, number, *, run, products, start_line, seconds, seed, results):
    """One buyer process: random 1–3 line baskets (1–2 units a line) until the stock is gone or
    time is up; puts its counts on `results`."""
    from django.db import connection

    rnd = random.Random(seed)
    sold_out = set()
    reservations = refused = 0
    last_success = None
    errors, latencies = [], []
    try:
        connection.ensure_connection()
        start_line.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            # Like a storefront, a buyer stops offering SKUs it saw sold out.
            offered = [pk for pk in products if pk not in sold_out]
            if not offered:
                break
            basket = [(pk, rnd.randint(1, 2)) for pk in rnd.sample(offered, min(len(offered), rnd.randint(1, 3)))]
            began = time.perf_counter()
            try:
                reserved = reserve(run, number, reservations + refused, basket, sold_out, products)
            except Exception as error:  # noqa: BLE001 - a bench reports every failure
                errors.append(repr(error))
                continue
            latencies.append(time.perf_counter() - began)
            if reserved:
                reservations += 1
                last_success = time.perf_counter()
            else:
                refused += 1
    finally:
        connection.close()
        results.put({"reservations": reservations, "refused": refused, "errors": errors, "latencies": latencies,
                     "last_success": last_success})


def run_buyers(reserve, label, *, run, products, buyers, seconds) -> tuple[Measure, int, list[str]]:
    """`buyers` processes (forked after Django is set up, each opening its own connection):
    the measure, the baskets reserved and the first errors."""
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    start_line = context.Barrier(buyers + 1)
    results = context.Queue()
    processes = [context.Process(target=buyer, args=(reserve, n), kwargs={
        "run": run, "products": products, "start_line": start_line, "seconds": seconds, "seed": n,
        "results": results}) for n in range(1, buyers + 1)]
    for process in processes:
        process.start()
    start_line.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    # The rate is taken while there is stock to reserve: until the last successful reservation.
    selling = max((o["last_success"] for o in outcomes if o["last_success"]), default=began) - began
    reservations = sum(o["reservations"] for o in outcomes)
    measure = Measure(label, samples=[t for o in outcomes for t in o["latencies"]],
                      per_second=reservations / selling if selling else 0.0, unit="reservations/s",
                      errors=sum(len(o["errors"]) for o in outcomes))
    return measure, reservations, [e for o in outcomes for e in o["errors"]][:3]


def check(product_ids):
    """(oversold levels, levels whose `reserved` differs from their active reservations)."""
    from django.db.models import Q, Sum

    from inventory.models import Reservation, StockLevel

    levels = list(StockLevel.objects.filter(product_id__in=product_ids).annotate(
        active=Sum("reservations__quantity", filter=Q(reservations__status=Reservation.Status.ACTIVE))))
    oversold = [lv for lv in levels if lv.reserved > lv.on_hand - lv.damaged - lv.quality_control - lv.safety]
    mismatched = [lv for lv in levels if lv.reserved != (lv.active or 0)]
    return oversold, mismatched


@scenario("stock reservations")
def stock_reservations(bench):
    run, products = create_stock(units=bench.units)
    measure, reservations, errors = run_buyers(reserve_through_service, f"stock_reserve, {bench.buyers} buyers",
                                               run=run, products=products, buyers=bench.buyers, seconds=bench.seconds)
    oversold, mismatched = check(products)
    bare_run, bare_products = create_stock(units=bench.units)
    anchor, _, bare_errors = run_buyers(reserve_bare, "bare conditional UPDATE", run=bare_run, products=bare_products,
                        buyers=bench.buyers, seconds=bench.seconds)
    bare_oversold, _ = check(bare_products)
    notes = [f"{SKUS} SKUs × {bench.units} units; {reservations} baskets reserved; "
             f"oversold levels {len(oversold)} (bare: {len(bare_oversold)}); levels whose reserved differs from "
             f"their reservations: {len(mismatched)}"]
    notes += [f"error: {e}" for e in errors + bare_errors]
    failed = bool(oversold or mismatched)
    if failed:
        bench.failures.append("stock reservations: oversold or mismatched levels")
    result = Result("stock reservations", measure, anchor, notes=notes, by_rate=True,
                    budget=f"≥ {BUDGET_PER_SECOND}/s and ≥ {BUDGET_RATIO}× the anchor, 0 oversold")
    result.met = (not failed and measure.per_second >= BUDGET_PER_SECOND
                  and (result.rate_ratio() or 0) >= BUDGET_RATIO)
    return [result]
