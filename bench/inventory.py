"""Many buyers reserving the same SKUs at once: is stock ever oversold, and how fast does it go?

    createdb -h 127.0.0.1 -U postgres loja_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loja_bench .venv/bin/python bench/inventory.py \
        [--buyers 16] [--skus 20] [--units 500] [--seconds 30]

Migrates the database, creates a fresh set of products (SKU prefix unique to the run) with
`--units` units each received into the first warehouse, then starts `--buyers` processes
(as web workers are) that call `stock_reserve` with random 1-3 line orders (1-2 units a line) until the stock is gone or
`--seconds` have passed. Prints the rates and checks the result: no level may have more units
reserved than it has sellable, and each level's `reserved` must equal the sum of its active
reservations. Exits 1 when a check fails; the design's budget (>= 500 reservations/s) is only
reported.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_PER_SECOND = 500


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=16, help="concurrent buyer processes (default 16)")
    parser.add_argument("--skus", type=int, default=20, help="products to fight over (default 20)")
    parser.add_argument("--units", type=int, default=500, help="units received per product (default 500)")
    parser.add_argument("--seconds", type=float, default=30, help="stop after this long at most (default 30)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the buyers' orders")
    args = parser.parse_args(argv)
    for name in ("buyers", "skus", "units"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be 1 or more")
    return args


def setup_django():
    # Run as a script, bench/ is first on the path and this file would shadow the inventory app.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    # Production settings: no query log kept per connection, as DEBUG would.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    import django

    django.setup()


def require_postgresql():
    from django.conf import settings
    from django.db import OperationalError, connection

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print(
            "bench/inventory.py measures concurrent reservations and needs PostgreSQL (SQLite takes one writer "
            "at a time).\nSet DATABASE_URL, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres loja_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/loja_bench .venv/bin/python bench/inventory.py",
            file=sys.stderr,
        )
        sys.exit(2)
    try:
        connection.ensure_connection()
    except OperationalError as error:
        name = settings.DATABASES["default"]["NAME"]
        print(
            f"Cannot connect to the database {name!r}: {error}\n"
            f"Create it first, e.g. `createdb -h 127.0.0.1 -U postgres {name}`.",
            file=sys.stderr,
        )
        sys.exit(2)


def create_stock(*, skus, units):
    """Fresh products for this run, each with `units` received through the service."""
    from inventory.models import Product, Warehouse
    from inventory.services import stock_receive

    run = f"BENCH-{uuid.uuid4().hex[:8].upper()}"
    warehouse = Warehouse.objects.filter(active=True).order_by("priority", "pk").first()
    products = Product.objects.bulk_create(
        Product(sku=f"{run}-{i:04d}", name=f"Bench product {i}", ncm="61091000", price=Decimal("10.00"),
                cost=Decimal("5.00"))
        for i in range(1, skus + 1)
    )
    for product in products:
        stock_receive(product=product, warehouse=warehouse, quantity=units, unit_cost=Decimal("5.00"), user=None,
                      supplier="bench", reference=run)
    return run, warehouse, {p.sku: p.pk for p in products}


def buyer(number, *, run, skus, start_line, deadline_after, seed, results):
    """One buyer process: orders random 1-3 line baskets until the stock is gone or time is up,
    then puts its counts on `results`."""
    from django.db import connection

    from inventory.services import InsufficientStock, ReservationLine, stock_reserve

    rnd = random.Random(seed)
    sold_out = set()
    attempts = reservations = refused = units = 0
    last_success = None
    errors, latencies = [], []
    try:
        connection.ensure_connection()
        start_line.wait()
        deadline = time.perf_counter() + deadline_after
        while time.perf_counter() < deadline:
            # Like a storefront, a buyer stops offering SKUs it saw sold out.
            offered = [pk for pk in skus.values() if pk not in sold_out]
            if not offered:
                break
            chosen = rnd.sample(offered, min(len(offered), rnd.randint(1, 3)))
            lines = [
                ReservationLine(line=str(i), product_id=pk, quantity=rnd.randint(1, 2))
                for i, pk in enumerate(chosen, start=1)
            ]
            attempts += 1
            began = time.perf_counter()
            try:
                taken = stock_reserve(reference=f"{run}:{number}:{attempts}", lines=lines)
            except InsufficientStock as refusal:
                latencies.append(time.perf_counter() - began)
                refused += 1
                sold_out.update(skus[s.sku] for s in refusal.shortages if s.available == 0)
                continue
            except Exception as error:  # noqa: BLE001 - a bench reports every failure
                errors.append(repr(error))
                continue
            last_success = time.perf_counter()
            latencies.append(last_success - began)
            reservations += 1
            units += sum(r.quantity for r in taken)
    finally:
        connection.close()
        results.put({
            "attempts": attempts, "reservations": reservations, "refused": refused, "units": units,
            "errors": errors, "latencies": latencies, "finished_at": time.perf_counter(), "last_success": last_success,
        })


def check(run, product_ids):
    """(levels, oversold levels, levels whose `reserved` differs from their active reservations,
    units reserved in the database)."""
    from django.db.models import Q, Sum

    from inventory.models import Reservation, StockLevel

    levels = list(
        StockLevel.objects.filter(product_id__in=product_ids).annotate(
            active=Sum("reservations__quantity", filter=Q(reservations__status=Reservation.Status.ACTIVE))
        )
    )
    oversold = [lv for lv in levels if lv.reserved > lv.on_hand - lv.damaged - lv.quality_control - lv.safety]
    mismatched = [lv for lv in levels if lv.reserved != (lv.active or 0)]
    reserved_units = Reservation.objects.filter(
        reference__startswith=f"{run}:", status=Reservation.Status.ACTIVE
    ).aggregate(total=Sum("quantity"))["total"] or 0
    return levels, oversold, mismatched, reserved_units


def main(argv=None):
    args = parse_args(argv)
    setup_django()
    require_postgresql()

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    run, warehouse, skus = create_stock(skus=args.skus, units=args.units)
    connection.close()
    received = args.skus * args.units
    print(f"run {run}: {args.skus} SKUs × {args.units} units in {warehouse.code}, {args.buyers} buyers, "
          f"at most {args.seconds:g} s")

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    # Forked after Django is set up and its connection closed: each buyer opens its own.
    context = multiprocessing.get_context("fork")
    start_line = context.Barrier(args.buyers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=buyer, args=(n,), kwargs={
            "run": run, "skus": skus, "start_line": start_line, "deadline_after": args.seconds,
            "seed": seed + n, "results": results})
        for n in range(1, args.buyers + 1)
    ]
    for process in processes:
        process.start()
    start_line.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(o["finished_at"] for o in outcomes) - began
    # The rate is taken while there is stock to reserve: until the last successful reservation.
    selling = max((o["last_success"] for o in outcomes if o["last_success"]), default=began) - began

    attempts = sum(o["attempts"] for o in outcomes)
    reservations = sum(o["reservations"] for o in outcomes)
    refused = sum(o["refused"] for o in outcomes)
    errors = [e for o in outcomes for e in o["errors"]]
    units = sum(o["units"] for o in outcomes)
    latencies = sorted(t for o in outcomes for t in o["latencies"])
    levels, oversold, mismatched, reserved_in_db = check(run, list(skus.values()))
    connection.close()

    def ms(q):
        return f"{latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000:.1f} ms" if latencies else "-"

    rate = reservations / selling if selling else 0.0
    rows = [
        ("buyers", args.buyers),
        ("seed", seed),
        ("attempts", attempts),
        ("successful reservations", reservations),
        ("refused (InsufficientStock)", refused),
        ("errors", len(errors)),
        ("elapsed (until every buyer stopped)", f"{elapsed:.2f} s"),
        ("selling time (until the last reservation)", f"{selling:.2f} s"),
        ("reservations/s (while selling)", f"{rate:.0f}"),
        ("attempts/s", f"{attempts / elapsed if elapsed else 0:.0f}"),
        ("latency p50 / p95 / p99", f"{ms(0.50)} / {ms(0.95)} / {ms(0.99)}"),
        ("units reserved / received", f"{units} / {received}"),
        ("units reserved (database)", reserved_in_db),
        ("sold out", "yes" if units == received else "no"),
        ("oversold levels", len(oversold)),
        ("levels whose reserved != active reservations", len(mismatched)),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for error in errors[:5]:
        print(f"  error: {error}")

    failed = bool(oversold or mismatched or reserved_in_db != units or units > received)
    print(f"budget (>= {BUDGET_PER_SECOND} reservations/s, 0 oversold): "
          f"{'met' if rate >= BUDGET_PER_SECOND and not failed else 'NOT met'}")
    if failed:
        print("FAILED: the stock checks above do not hold", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
