"""The order list (filters and pagination) against Django admin's changelist of the same model
with the same filter and page, its search (names with and without accents, e-mails, SKUs), and
the order page against the admin's change page."""

import random
import unicodedata
from urllib.parse import quote

from bench.core import Measure, Result, browse, scenario

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


SEARCH_BUDGET_MS = LIST_BUDGET_MS


def _search_terms(rnd, count: int) -> dict[str, list[str]]:
    """`count` searches of each kind staff type: a name as written (with its accents), the same
    name typed without them, a customer's e-mail, a product's SKU (the orders containing it)."""
    from django.db.models import Max, Min

    from bench.seed import FIRST_NAMES, LAST_NAMES, PRODUCTS
    from orders.models import Customer

    def unaccented(text):
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

    accented = [name for name in FIRST_NAMES + LAST_NAMES if unaccented(name) != name]
    names = [rnd.choice(accented) + rnd.choice(["", " " + rnd.choice(LAST_NAMES)]) for _ in range(count)]
    seeded = Customer.objects.filter(email__startswith="cliente", email__endswith="@example.com").aggregate(
        first=Min("pk"), last=Max("pk"))
    return {
        "accented name": names,
        "unaccented name": [unaccented(name).lower() for name in names],
        "e-mail": [f"cliente{rnd.randint(seeded['first'], seeded['last'])}@example.com" for _ in range(count)],
        "SKU": [f"BENCH-{rnd.randrange(PRODUCTS):04d}" for _ in range(count)],
    }


@scenario("order list search")
def order_search(bench):
    terms = _search_terms(random.Random(1), bench.requests // 8)
    paths = {kind: [f"/orders/?q={quote(term)}" for term in typed] for kind, typed in terms.items()}
    kinds = {path: kind for kind, typed in paths.items() for path in typed}
    mixed = [path for group in zip(*paths.values()) for path in group]
    browse(bench.url, bench.cookie, [typed[0] for typed in paths.values()] + ["/orders/"], "warm-up")
    measure = browse(bench.url, bench.cookie, mixed, "/orders/?q=<each kind in turn>")
    anchor = browse(bench.url, bench.cookie, ["/orders/"] * len(mixed), "/orders/ unsearched")
    p95 = measure.summary().get("p95_ms", float("inf"))
    results = [Result("order list search", measure, anchor, budget=f"p95 ≤ {SEARCH_BUDGET_MS} ms",
                      met=bool(measure.samples) and p95 <= SEARCH_BUDGET_MS and not measure.errors,
                      notes=["an accented name, the same unaccented, an e-mail, a SKU, in turn; the anchor is "
                             "the first page unsearched"])]
    # Each kind's latencies, out of the same requests (browse keeps the 200s' in order).
    if not measure.errors:
        for kind in paths:
            samples = [seconds for path, seconds in zip(mixed, measure.samples) if kinds[path] == kind]
            results.append(Result(f"order list search: {kind}", Measure(f"/orders/?q=<{kind}>", samples)))
    return results


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
