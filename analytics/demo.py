"""The demo store's website traffic, and at the end of the seeding the dashboards' figures of the whole
history.

The traffic is what the tracking script would have sent over the last 60 days. A
day has as many sessions as its web store orders (the week's around it, for a smooth trend) make at
about 1.2 % conversion, fewer on Saturdays, most in the day and evening; a session lands directly or
from a search engine or a social network, reads one to eight pages, and part of the sessions go down
the funnel: a product viewed (about 40 %), added to the cart (8 %), the checkout begun (3 %: more than
half of them give up before the order).

Idempotent: when the database already has site events, or has no orders, nothing is seeded."""

import random
from base64 import urlsafe_b64encode
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from backoffice.demo import demo_seeder
from inventory.models import Product
from orders.models import Channel, Order

from .models import SiteEvent
from .rollups import SAO_PAULO, day_of, rebuild, today

# The kinds as plain strings, as the rows are written without the ORM.
Kind = SiteEvent.Kind
PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT_START = (
    Kind.PAGE_VIEW.value, Kind.PRODUCT_VIEW.value, Kind.ADD_TO_CART.value, Kind.CHECKOUT_START.value)

DAYS = 60
CONVERSION = 0.012  # web store orders per session
QUIET_DAY = 1  # the orders a day's traffic is drawn for, at least: a day without orders has visitors too
WEEKDAY = (1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 1.1)  # Monday first
HOUR_WEIGHTS = (1.5, 0.8, 0.4, 0.3, 0.3, 0.4, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 4.5, 5, 5.5, 6.5, 7.5, 8, 6.5, 3.5)
PAGES, PAGE_WEIGHTS = range(1, 9), (34, 20, 14, 10, 8, 6, 5, 3)
# Of all sessions: the funnel's steps, each within the one before.
PRODUCT_SHARE, CART_SHARE, CHECKOUT_SHARE = 0.40, 0.08, 0.03
LANDING_ON_PRODUCT = 0.35  # of the sessions that view a product: from a search result or an ad
REFERRERS = {"": 32, "www.google.com": 34, "l.instagram.com": 10, "m.facebook.com": 5, "lm.facebook.com": 2,
             "www.bing.com": 3, "duckduckgo.com": 1, "br.search.yahoo.com": 1, "www.youtube.com": 2,
             "br.pinterest.com": 1, "t.co": 1, "chatgpt.com": 2, "www.buscape.com.br": 3, "www.zoom.com.br": 3}
PAGES_BROWSED = ("/", "/", "/", "/novidades", "/ofertas", "/busca", "/categoria/vestuario", "/categoria/calcados",
                 "/categoria/acessorios", "/categoria/casa", "/trocas-e-devolucoes", "/frete-e-prazos", "/contato")
BATCH = 5000
SECOND = timedelta(seconds=1)
COLUMNS = ("session", "kind", "path", "sku", "referrer", "at")


@demo_seeder(order=60)
def seed_site_traffic(*, faker, log, **kwargs):
    """The site events of the last DAYS days (see the module docstring)."""
    if SiteEvent.objects.exists():
        log("site events already there: no traffic seeded")
        return
    end = timezone.now() - timedelta(minutes=1)  # as the orders' history: every event in the past
    today = day_of(end)
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    placed = Counter(day_of(moment) for moment in Order.objects.filter(
        channel=Channel.WEB, placed_at__gte=datetime.combine(days[0] - timedelta(days=3), time(), tzinfo=SAO_PAULO))
        .values_list("placed_at", flat=True))
    if not placed:
        log("no web store orders of late: no site traffic seeded")
        return
    rnd = random.Random(faker.random.getrandbits(64))
    visitors = _Visitors(rnd, products=[(product.sku, f"/produto/{slugify((product.parent or product).name)}")
                                        for product in Product.objects.filter(active=True, variants__isnull=True)
                                        .select_related("parent").order_by("sku")])
    for day in days:
        # The week around the day, of the days that are over (today's orders are still coming).
        week = [placed[each] for shift in range(-3, 4) if (each := day + timedelta(days=shift)) < today]
        sessions = max(sum(week) / len(week), QUIET_DAY) / CONVERSION * WEEKDAY[day.weekday()]
        start = datetime.combine(day, time(), tzinfo=SAO_PAULO).astimezone(UTC)
        _insert([row for _ in range(round(sessions * rnd.uniform(0.9, 1.1))) for row in visitors.session(start, end)])
    steps = visitors.steps
    log(f"{steps['sessions']} site sessions over {DAYS} days, {steps['events']} events: {steps['product']} viewed a "
        f"product, {steps['cart']} added to the cart, {steps['checkout']} began the checkout")


def _insert(rows: list[tuple]) -> None:
    """Rows of COLUMNS into SiteEvent's table as they are: the ORM's bulk_create spends longer preparing
    each row's values than the database takes to write it, and the demo writes some 60,000 of them."""
    table, ops = SiteEvent._meta.db_table, connection.ops
    names = ", ".join(ops.quote_name(SiteEvent._meta.get_field(name).column) for name in COLUMNS)
    sql = f"INSERT INTO {ops.quote_name(table)} ({names}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    with connection.cursor() as cursor:
        for first in range(0, len(rows), BATCH):
            cursor.executemany(sql, [(*row[:-1], ops.adapt_datetimefield_value(row[-1]))
                                     for row in rows[first:first + BATCH]])


class _Visitors:
    def __init__(self, rnd, *, products):
        self.rnd, self.products = rnd, products
        self.referrers, self.referrer_weights = list(REFERRERS), list(accumulate(REFERRERS.values()))
        self.page_weights, self.hour_weights = list(accumulate(PAGE_WEIGHTS)), list(accumulate(HOUR_WEIGHTS))
        self.steps = Counter()

    def session(self, day_start, end) -> list[tuple]:
        """One session's events as rows of COLUMNS, from a moment of the day that begins at `day_start`:
        those before `end`."""
        rnd = self.rnd
        pages = rnd.choices(PAGES, cum_weights=self.page_weights)[0]
        draw = rnd.random()
        viewed = rnd.sample(self.products, min(len(self.products), rnd.randint(1, pages))) \
            if draw < PRODUCT_SHARE else []
        steps = [[(PAGE_VIEW, rnd.choice(PAGES_BROWSED), "")] for _ in range(pages - len(viewed))]
        products = [[(PAGE_VIEW, path, ""), (PRODUCT_VIEW, path, sku)] for sku, path in viewed]
        steps = products[:1] + steps + products[1:] if rnd.random() < LANDING_ON_PRODUCT else steps + products
        if viewed and draw < CART_SHARE:
            sku, path = viewed[-1]
            steps.append([(ADD_TO_CART, path, sku), (PAGE_VIEW, "/carrinho", "")])
            if draw < CHECKOUT_SHARE:
                steps.append([(PAGE_VIEW, "/checkout", ""), (CHECKOUT_START, "/checkout", "")])
        # The script's id: 22 characters of the URL-safe base64 alphabet.
        session = urlsafe_b64encode(rnd.randbytes(16)).decode()[:22]
        referrer = rnd.choices(self.referrers, cum_weights=self.referrer_weights)[0]
        at = day_start + timedelta(hours=rnd.choices(range(24), cum_weights=self.hour_weights)[0],
                                   seconds=rnd.uniform(0, 3600))
        events = []
        for page in steps:
            if at > end:
                break
            # The page's view, then what the page tells as it loads, a second later.
            events.extend((session, kind, path, sku, "" if events or n else referrer, at + n * SECOND)
                          for n, (kind, path, sku) in enumerate(page))
            at += timedelta(seconds=rnd.uniform(8, 150))  # reading it
        if events:
            self._count(events)
        return events

    def _count(self, events):
        kinds = {kind for _session, kind, *_rest in events}
        self.steps.update(sessions=1, events=len(events), product=PRODUCT_VIEW in kinds,
                          cart=ADD_TO_CART in kinds, checkout=CHECKOUT_START in kinds)


@demo_seeder(order=99)
def seed_figures(*, log, **kwargs):
    """The dashboards' figures of the whole history, once everything else is seeded (the seeding marks
    nothing stale as it goes: backoffice.demo.seeding)."""
    log(f"{rebuild(start=None, end=today())} days of figures computed")
