"""`make bench`: seed PostgreSQL with a store of `--orders` orders (once; later runs reuse it),
start gunicorn and measure each scenario beside its anchor, print one table and write it as
JSON to bench/results/. See bench/README.md."""

import importlib
import os
import platform
import sys
import time
from types import SimpleNamespace

from bench import core

# A later app adds its module here (marketplace import, reconciliation, NF-e …).
SCENARIO_MODULES = ["bench.scenarios.orders", "bench.scenarios.stock", "bench.scenarios.webhooks",
                    "bench.scenarios.intake", "bench.scenarios.nfe", "bench.scenarios.dashboard"]


def parse_args(argv=None):
    parser = core.arguments("python -m bench", __doc__, web_workers=2)
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--requests", type=int, default=400, help="page requests per list/detail measure")
    parser.add_argument("--buyers", type=int, default=16, help="concurrent buyers for the stock scenario")
    parser.add_argument("--units", type=int, default=500, help="units per SKU for the stock scenario")
    parser.add_argument("--seconds", type=float, default=20, help="at most this long per stock measure")
    parser.add_argument("--webhooks", type=int, default=400, help="notifications for the webhook scenario")
    parser.add_argument("--intake-orders", type=int, default=2000, help="orders posted in the intake scenario")
    parser.add_argument("--clients", type=int, default=16, help="concurrent API clients for the intake scenario")
    parser.add_argument("--nfe", type=int, default=300, help="NF-e made in the nfe scenario")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    port = core.free_port()
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    core.setup_django()
    core.require_postgresql()
    for module in SCENARIO_MODULES:
        importlib.import_module(module)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(core.SCENARIOS)
    unknown = set(chosen) - set(core.SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(sorted(unknown))}; known: {', '.join(core.SCENARIOS)}")

    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.seed import seeded_orders

    began = time.perf_counter()
    seeding = core.prepare_store(args.orders)
    user, _ = get_user_model().objects.get_or_create(username="bench",
                                                     defaults={"is_staff": True, "is_superuser": True})
    connection.close()
    web, url = core.start_web(args.web_workers, port)
    bench = SimpleNamespace(url=url, cookie=core.session_cookie(user), requests=args.requests, buyers=args.buyers,
                            units=args.units, seconds=args.seconds, webhooks=args.webhooks,
                            intake_orders=args.intake_orders, clients=args.clients, nfe=args.nfe, rss={},
                            failures=[])
    results = []
    try:
        for name in chosen:
            print(f"measuring {name} …", flush=True)
            results += core.SCENARIOS[name](bench)
    finally:
        bench.rss[f"gunicorn worker (one of {args.web_workers})"] = web.peak_rss_mib()
        web.stop()
    rss = [core.Result(f"peak RSS: {label}", core.Measure(f"{mib:.0f} MiB")) for label, mib in bench.rss.items()]
    print()
    print(core.table(results + rss))
    path = core.write_json(results + rss, {
        "orders": seeded_orders(), "seeding_seconds": seeding, "total_seconds": round(time.perf_counter() - began),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "args": vars(args),
        "peak_rss_mib": bench.rss, "failures": bench.failures,
    })
    print(f"\nwritten to {path.relative_to(core.ROOT)} in {time.perf_counter() - began:.0f} s")
    for failure in bench.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
