"""`make load`: staff browsing and working (order list, filters, an order's page, marking
orders delivered) and a provider delivering signed payment notifications, against gunicorn
with `--web-workers` workers and a Celery worker on the bench store (PostgreSQL, Redis), in
stages of more and more simulated users. Each stage is bounded in time and in requests.
Prints each stage's requests/s, latencies and errors, and the highest rate served with
p95 ≤ 300 ms; writes it as JSON to bench/results/."""

import csv
import json
import os
import subprocess
import sys
import time

from bench import core

P95_BUDGET_MS = 300


def parse_args(argv=None):
    parser = core.arguments("python -m bench.load", __doc__, web_workers=3)
    parser.add_argument("--stages", default="10,20,40,80", help="simulated users of each stage (default 10,20,40,80)")
    parser.add_argument("--stage-seconds", type=int, default=30, help="length of each stage (default 30)")
    parser.add_argument("--max-requests", type=int, default=20000, help="at most this many requests a stage")
    return parser.parse_args(argv)


def prepare(stages):
    """The staff session, the orders to open, and for each stage its own shipped orders to
    deliver and notifications to send (no stage repeats another's work)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from bench.scenarios.webhooks import bench_account, notifications
    from orders.models import Order, Status

    user, created = get_user_model().objects.get_or_create(username="load-staff")
    if created:
        user.groups.add(Group.objects.get(name="staff"))
    highest = Order.objects.order_by("-pk").values_list("pk", flat=True).first()
    order_pks = list(range(max(1, highest - 200_000), highest + 1, 97))
    per_stage = 400
    shipped = list(Order.objects.filter(status=Status.SHIPPED).order_by("-pk").values_list("pk", flat=True)
                   [:per_stage * len(stages)])
    account = bench_account()
    batches = []
    for n, _users in enumerate(stages):
        path = core.LOGS / f"load-notifications-{n}.json"
        path.write_text(json.dumps([{"path": note.path, "headers": note.headers, "body": note.body.decode()}
                                    for note in notifications(account, per_stage // 4)]))
        batches.append({"LOAD_SHIPPED_PKS": json.dumps(shipped[n * per_stage:(n + 1) * per_stage]),
                        "LOAD_NOTIFICATIONS": str(path)})
    return core.session_cookie(user), json.dumps(order_pks), batches


def run_stage(url, users, seconds, env) -> dict:
    prefix = core.LOGS / f"load-{users}"
    with open(f"{prefix}.log", "w") as log:
        subprocess.run([sys.executable, "-m", "locust", "-f", str(core.ROOT / "bench" / "locustfile.py"), "--headless",
                        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--host", url,
                        "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
                       env={**os.environ, **env}, check=False, stdout=log, stderr=subprocess.STDOUT)
    with open(f"{prefix}_stats.csv") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return {"users": users, "requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
            "per_second": float(total["Requests/s"]), "p50_ms": float(total["50%"]),
            "p95_ms": float(total["95%"]), "p99_ms": float(total["99%"])}


def main(argv=None):
    args = parse_args(argv)
    stages = [int(users) for users in args.stages.split(",")]
    port = core.free_port()
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    core.setup_django()
    core.require_postgresql()
    core.prepare_store(args.orders)
    cookie, order_pks, batches = prepare(stages)
    from django.db import connection

    connection.close()
    # Every stage's notifications are signed before the first stage: the signed times must stay
    # within the webhook tolerance for the whole run.
    web, url = core.start_web(args.web_workers, port, env={
        "PAYMENTS_WEBHOOK_TOLERANCE_SECONDS": str(600 + len(stages) * args.stage_seconds * 2)})
    worker = core.start_worker(url)
    # Each gunicorn worker loads its code and templates before the first stage is timed.
    core.browse(url, cookie, ["/orders/", "/orders/?status=paid", f"/orders/{json.loads(order_pks)[0]}/"]
                * args.web_workers * 2, "warm-up")
    outcomes = []
    try:
        for users, batch in zip(stages, batches):
            print(f"stage: {users} users for {args.stage_seconds} s …", flush=True)
            outcomes.append(run_stage(url, users, args.stage_seconds, {
                "LOAD_COOKIE": cookie, "LOAD_ORDER_PKS": order_pks, "LOAD_MAX_REQUESTS": str(args.max_requests),
                **batch}))
    finally:
        rss = {"gunicorn worker": web.peak_rss_mib(), "celery worker": worker.peak_rss_mib()}
        worker.stop()
        web.stop()

    print(f"\n{'users':>5}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  errors")
    for o in outcomes:
        print(f"{o['users']:>5}  {o['requests']:>8}  {o['per_second']:>7.1f}  {o['p50_ms']:>7.0f}  {o['p95_ms']:>7.0f}"
              f"  {o['p99_ms']:>7.0f}  {o['errors']}")
    within = [o for o in outcomes if o["p95_ms"] <= P95_BUDGET_MS]
    best = max(within, key=lambda o: o["per_second"], default=None)
    errors = sum(o["errors"] for o in outcomes)
    print(f"\nserved at p95 ≤ {P95_BUDGET_MS} ms: "
          + (f"{best['per_second']:.1f} requests/s ({best['users']} users)" if best else "no stage")
          + f"; errors: {errors}; peak RSS: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in rss.items()))
    core.RESULTS.mkdir(exist_ok=True)
    path = core.RESULTS / time.strftime("load-%Y-%m-%dT%H%M%SZ.json", time.gmtime())
    path.write_text(json.dumps({"args": vars(args), "stages": outcomes, "best_within_p95": best, "errors": errors,
                                "peak_rss_mib": rss}, indent=2))
    print(f"written to {path.relative_to(core.ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
