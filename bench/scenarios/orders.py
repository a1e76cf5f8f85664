"""The order list (filters and pagination) against Django admin's changelist of the same model
with the same filter and page, and the order page against the admin's change page."""

import random
from urllib.parse import quote

from bench.core import Result, browse, scenario

# The same question asked of both lists: (our query string, the admin's).
FILTERS = [
    ("", ""),
    ("page=40", "p=40"),
    ("status=delivered", "status__exact=delivered"),
    ("status=awaiting_payment&page=3", "status__exact=awaiting_payment&p=3"),
    ("channel=mercadolivre", "channel__exact=mercadolivre"),
    ("channel=shopee&page=10", "channel__exact=shopee&p=10"),
    ("ship_uf=SP", "ship_uf__exact=SP"),
    ("status=shipped&channel=web", "status__exact=shipped&channel__exact=web"),
]
LIST_BUDGET_MS = 100


@scenario("order list")
def order_list(bench):
    rounds = bench.requests // len(FILTERS)
    ours = [f"/orders/?{query}" for _ in range(rounds) for query, _admin in FILTERS]
    admin = [f"/admin/orders/order/?{query}" for _ in range(rounds) for _ours, query in FILTERS]
    # Warm both (templates, connections) before measuring.
    browse(bench.url, bench.cookie, ours[:len(FILTERS)] + admin[:len(FILTERS)], "warm-up")
    measure = browse(bench.url, bench.cookie, ours, "/orders/")
    anchor = browse(bench.url, bench.cookie, admin, "admin changelist")
    p95 = measure.summary().get("p95_ms", float("inf"))
    return [Result("order list", measure, anchor, budget=f"p95 ≤ {LIST_BUDGET_MS} ms, < admin",
                   met=bool(measure.samples) and p95 <= LIST_BUDGET_MS and anchor.samples != []
                   and p95 < anchor.summary()["p95_ms"] and not measure.errors,
                   notes=[f"{len(FILTERS)} filter/page combinations, each asked {rounds}×"])]


@scenario("order list search")
def order_search(bench):
    from bench.seed import FIRST_NAMES, LAST_NAMES

    rnd = random.Random(1)
    paths = [f"/orders/?q={quote(rnd.choice(LAST_NAMES if i % 2 else FIRST_NAMES))}"
             for i in range(bench.requests // 4)]
    browse(bench.url, bench.cookie, paths[:3], "warm-up")
    measure = browse(bench.url, bench.cookie, paths, "/orders/?q=<name>")
    return [Result("order list search", measure, budget="", notes=["customer name, no anchor (the admin "
                                                                   "searches number and external id only)"])]


@scenario("order detail")
def order_detail(bench):
    from orders.models import Order

    highest = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rnd = random.Random(2)
    pks = [rnd.randint(1, highest) for _ in range(bench.requests // 2)]
    pks = list(Order.objects.filter(pk__in=pks).values_list("pk", flat=True))
    browse(bench.url, bench.cookie, [f"/orders/{pk}/" for pk in pks[:5]] +
           [f"/admin/orders/order/{pk}/change/" for pk in pks[:5]], "warm-up")
    measure = browse(bench.url, bench.cookie, [f"/orders/{pk}/" for pk in pks], "/orders/<pk>/")
    anchor = browse(bench.url, bench.cookie, [f"/admin/orders/order/{pk}/change/" for pk in pks],
                    "admin change page")
    return [Result("order detail", measure, anchor, notes=["random orders, items, timeline and panels"])]
