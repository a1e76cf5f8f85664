"""The store website's tracking endpoint: valid events stored as sent (no query string, the referring
host only), everything else — oversized, malformed, a bot's, too many, from an origin not listed —
refused with a 4xx and nothing stored; and the demo's traffic, shaped as a funnel."""

import io
import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from faker import Faker

from analytics import demo, tracking
from analytics.models import SiteEvent, StaleDay
from analytics.rollups import SAO_PAULO, day_of, today
from analytics.selectors import Period, figure
from orders.models import Channel, Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/analytics/collect/"
BROWSER = ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.6778.39 Mobile Safari/537.36")
SESSION = "V1StGXR8_Z5jdHi6B-myT2"


@pytest.fixture(autouse=True)
def _no_requests_counted():
    """Each test starts with no requests counted (the limiter keeps its counts in the cache)."""
    cache.clear()


def event(**changes):
    return {"kind": "page_view", "session": SESSION, "path": "/", **changes}


def send(client, data, *, content_type="text/plain", user_agent=BROWSER, **headers):
    """POST `data` (JSON unless bytes or str) as the script's sendBeacon does."""
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    if user_agent is not None:
        headers["HTTP_USER_AGENT"] = user_agent
    # The content type given even to an empty body (which the test client would send without one).
    return client.post(URL, body, content_type=content_type, CONTENT_TYPE=content_type, **headers)


def refused(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert SiteEvent.objects.count() == 0
    return response.content.decode()


def test_the_endpoint_is_named_collect_under_analytics():
    assert reverse("analytics:collect") == URL


def test_an_event_is_stored_as_sent_without_its_query_string_and_with_the_referring_host_only(client):
    response = send(client, event(kind="product_view", path="/produto/camiseta-azul?email=maria@example.com#top",
                                  sku="CAM-AZUL-M", referrer="https://www.google.com/search?q=camiseta+azul"))
    assert (response.status_code, response.content) == (204, b"")
    assert "no-store" in response["Cache-Control"]
    [stored] = SiteEvent.objects.all()
    assert (stored.session, stored.kind, stored.path, stored.sku, stored.referrer) == (
        SESSION, "product_view", "/produto/camiseta-azul", "CAM-AZUL-M", "www.google.com")
    assert StaleDay.objects.filter(rollup="analytics.site", day=today()).exists()


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/json"])
def test_a_batch_is_stored_in_one_go(client, content_type):
    batch = [event(), event(kind="add_to_cart", path="/produto/bone", sku="BONE-1"),
             event(kind="checkout_start", path="/checkout", referrer="l.instagram.com")]
    assert send(client, batch, content_type=content_type).status_code == 204
    stored = SiteEvent.objects.order_by("pk")
    assert [(e.kind, e.path, e.sku, e.referrer) for e in stored] == [
        ("page_view", "/", "", ""), ("add_to_cart", "/produto/bone", "BONE-1", ""),
        ("checkout_start", "/checkout", "", "l.instagram.com")]
    assert len({e.at for e in stored}) == 1  # the server's clock, once


@pytest.mark.parametrize("referrer,host", [
    ("https://WWW.Bing.com:443/search?q=x", "www.bing.com"),
    ("https://user:secret@example.com.br/path", "example.com.br"),
    ("m.facebook.com", "m.facebook.com"),
    ("android-app://com.google.android.gm/", "com.google.android.gm"),
])
def test_the_referrer_is_reduced_to_its_host(client, referrer, host):
    assert send(client, event(referrer=referrer)).status_code == 204
    assert SiteEvent.objects.get().referrer == host


def test_a_body_past_the_limit_is_refused(client, settings):
    settings.ANALYTICS_COLLECT_MAX_BYTES = 200
    body = json.dumps([event()] * 5)
    assert len(body) > 200
    refused(send(client, body), 413)


class Endless(io.RawIOBase):
    """A request body of `size` bytes made as it is read, counting what was read."""

    def __init__(self, size):
        self.left, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "declared small"])
def test_a_10_mb_body_is_refused_after_reading_no_more_than_the_limit(client, settings, declared):
    body = Endless(10 * 1024 * 1024)
    limit = settings.ANALYTICS_COLLECT_MAX_BYTES
    # As declared, or a Content-Length that says less than is sent: read no further than either.
    length = body.left if declared else limit + 100
    response = client.post(URL, content_type="text/plain", HTTP_USER_AGENT=BROWSER,
                           **{"wsgi.input": body, "CONTENT_LENGTH": str(length)})
    refused(response, 413)
    assert body.read_bytes <= limit + 1


@pytest.mark.parametrize("body,reason", [
    ("{", "not JSON"),
    ('{"kind": "page_view"', "not JSON"),
    ("", "not JSON"),
    (b"\xff\xfe{}", "not JSON"),
    ("[" * 100_000 + "]" * 100_000, "body too large"),
    ("[" * 5000 + "]" * 5000, "not JSON"),
    ('{"kind": "page_view", "session": "V1StGXR8_Z5jdHi6B-myT2", "path": "/\x00"}', "not JSON"),
    (json.dumps(event(path="/\x00")), "bad path"),
    (json.dumps(event(sku="CAM\x00")), "bad sku"),
    ('{"kind": "page_view", "session": "V1StGXR8_Z5jdHi6B-myT2", "path": "/\\ud800"}', "bad path"),
    (json.dumps(event(path="/a\nb")), "bad path"),
    ("null", "an event is a JSON object"),
    ("5", "an event is a JSON object"),
    (json.dumps([event(), [event()]]), "an event is a JSON object"),
    (json.dumps([]), "send 1 to 20 events"),
    (json.dumps([event()] * 21), "send 1 to 20 events"),
    (json.dumps(event(kind="purchase")), "unknown kind"),
    (json.dumps(event(kind=["page_view"])), "bad kind"),
    (json.dumps(event(session=12345678901234567890)), "bad session"),
    (json.dumps(event(path=None)), "bad path"),
    (json.dumps(event(sku=5)), "bad sku"),
    (json.dumps(event(referrer={"host": "x"})), "bad referrer"),
    (json.dumps({"kind": "page_view", "path": "/"}), "bad session"),
    (json.dumps(event(session="short")), "bad session"),
    (json.dumps(event(session="x" * 33)), "bad session"),
    (json.dumps(event(session="V1StGXR8 Z5jdHi6B+myT2")), "bad session"),
    (json.dumps(event(path="produto/x")), "bad path"),
    (json.dumps(event(path="/" + "a" * 300)), "bad path"),
    (json.dumps(event(sku="S" * 61)), "bad sku"),
    (json.dumps(event(referrer="https://[::1")), "bad referrer"),
    (json.dumps(event(referrer="https://" + "a" * 100 + ".com/")), "bad referrer"),
    (json.dumps(event(referrer="not a host")), "bad referrer"),
    (json.dumps(event(email="maria@example.com")), "unknown field"),
], ids=lambda value: value[:40] if isinstance(value, str) else None)
def test_malformed_events_are_refused_and_none_is_stored(client, body, reason):
    assert refused(send(client, body), 413 if reason == "body too large" else 400) == reason


def test_one_bad_event_refuses_the_whole_batch(client):
    refused(send(client, [event(), event(kind="purchase")]), 400)


@pytest.mark.parametrize("user_agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) "
    "Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 "
    "Safari/537.36",
    "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Wget/1.21.4",
    "",
    "   ",
    None,
    "Mozilla/5.0 " + "a" * 600,
], ids=lambda agent: "missing" if agent is None else (agent.strip()[:30] or "empty"))
def test_bots_and_clients_without_a_user_agent_are_refused(client, user_agent):
    refused(send(client, event(), user_agent=user_agent), 403)


@pytest.mark.parametrize("user_agent", [
    BROWSER,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 340.0.0.22.109",
])
def test_browsers_are_counted(client, user_agent):
    assert send(client, event(), user_agent=user_agent).status_code == 204


@pytest.mark.parametrize("method", ["get", "put", "delete", "options"])
def test_only_post_is_allowed(client, method):
    assert getattr(client, method)(URL, HTTP_USER_AGENT=BROWSER).status_code == 405
    assert SiteEvent.objects.count() == 0


def test_a_form_post_is_refused(client):
    refused(client.post(URL, {"kind": "page_view"}, HTTP_USER_AGENT=BROWSER), 415)


def test_past_the_limit_an_address_gets_429_with_retry_after_and_nothing_stored(client, settings):
    settings.ANALYTICS_COLLECT_PER_ADDRESS = 3
    settings.ANALYTICS_COLLECT_WINDOW_SECONDS = 60
    assert send(client, event(), user_agent="curl/8.5.0").status_code == 403  # refused ones count too
    assert [send(client, event()).status_code for _ in range(2)] == [204, 204]
    response = send(client, event())
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 61
    assert SiteEvent.objects.count() == 2
    # Another address is counted on its own.
    assert send(client, event(), REMOTE_ADDR="203.0.113.9").status_code == 204


def test_the_window_over_the_address_is_counted_again(client, settings):
    settings.ANALYTICS_COLLECT_PER_ADDRESS = 1
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, 10, tzinfo=SAO_PAULO), tick=False) as traveller:
        assert send(client, event()).status_code == 204
        wait = int(send(client, event())["Retry-After"])
        traveller.shift(timedelta(seconds=wait))
        assert send(client, event()).status_code == 204


def test_with_origins_listed_only_theirs_are_stored_and_answered_for_cors(client, settings):
    settings.ANALYTICS_SITE_ORIGINS = ["https://www.loja.example"]
    response = send(client, event(), HTTP_ORIGIN="https://www.loja.example")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://www.loja.example"
    assert "Origin" in response["Vary"]
    for origin in ("https://evil.example", "null"):
        refused_response = send(client, event(kind="checkout_start"), HTTP_ORIGIN=origin)
        assert refused_response.status_code == 403
        assert not refused_response.has_header("Access-Control-Allow-Origin")
    assert send(client, event(kind="checkout_start")).status_code == 403  # no Origin at all
    assert list(SiteEvent.objects.values_list("kind", flat=True)) == ["page_view"]


def test_without_origins_listed_any_origin_is_stored(client):
    response = send(client, event(), HTTP_ORIGIN="https://qualquer.example")
    assert (response.status_code, response["Access-Control-Allow-Origin"]) == (204, "https://qualquer.example")
    assert not send(client, event()).has_header("Access-Control-Allow-Origin")  # same origin: nothing to allow
    assert SiteEvent.objects.count() == 2


# -- the demo's traffic ---------------------------------------------------------------------------------------------

@pytest.fixture
def orders_placed(customer):
    """A web store order a day for the demo's days and the three before (the week around its first
    days), and a marketplace's, which the site's traffic does not bring."""
    number = 0
    for back in range(demo.DAYS + 3):
        for hour, channel in ((11, Channel.WEB), (20, Channel.MERCADOLIVRE)):
            number += 1
            Order.objects.create(number=number, customer=customer, ship_recipient=customer.name, ship_uf="SP",
                                 channel=channel, placed_at=datetime.combine(
                                     today() - timedelta(days=back), datetime.min.time(), tzinfo=SAO_PAULO)
                                 + timedelta(hours=hour))
    return 1


def seed(seed=2026):
    faker, lines = Faker("pt_BR"), []
    faker.seed_instance(seed)
    demo.seed_site_traffic(faker=faker, orders=0, log=lines.append)
    return lines


def test_the_demo_traffic_is_a_funnel_of_sessions_consistent_with_the_orders(orders_placed):
    products = {ProductFactory().sku for _ in range(12)}
    now = datetime.now(SAO_PAULO)
    seed()
    events = SiteEvent.objects.all()
    funnel = events.aggregate(
        sessions=Count("session", distinct=True),
        product=Count("session", distinct=True, filter=Q(kind="product_view")),
        cart=Count("session", distinct=True, filter=Q(kind="add_to_cart")),
        checkout=Count("session", distinct=True, filter=Q(kind="checkout_start")))
    assert funnel["sessions"] > funnel["product"] > funnel["cart"] > funnel["checkout"] > 0
    assert 0.3 < funnel["product"] / funnel["sessions"] < 0.5
    assert 0.015 < funnel["checkout"] / funnel["sessions"] < 0.05
    # As the script sends them: valid ids, the referrer on a session's first event only, paths without
    # query strings, the products' SKUs.
    started = {}
    for session, referrer, at in events.order_by("at", "pk").values_list("session", "referrer", "at"):
        assert referrer == "" or session not in started
        started.setdefault(session, at.astimezone(SAO_PAULO).date())
    assert all(tracking.SESSION.fullmatch(session) for session in started)
    assert not events.filter(path__contains="?").exists()
    assert set(events.exclude(sku="").values_list("sku", flat=True)) <= products
    assert not events.filter(kind__in=["product_view", "add_to_cart"], sku="").exists()
    # Every day of the last DAYS (today's may not have begun), each complete one's sessions placing
    # about 1.2 % of its web store orders.
    per_day = Counter(started.values())
    assert set(per_day) <= {today() - timedelta(days=back) for back in range(demo.DAYS)}
    assert len(per_day) >= demo.DAYS - 1
    assert all(0.008 < orders_placed / per_day[day] < 0.02 for day in per_day if day < today())
    assert max(events.values_list("at", flat=True)) <= now
    # The last seeder computes the figures of every day (the seeding marks none stale): the sessions of
    # each day, a session past midnight on both.
    demo.seed_figures(log=lambda line: None)
    sessions_by_day = {(day_of(at), session) for session, at in events.values_list("session", "at")}
    assert figure("analytics.sessions", Period(today() - timedelta(days=demo.DAYS - 1), today())) == \
        len(sessions_by_day)


def test_the_demo_traffic_is_the_same_for_the_same_seed_and_seeded_once(orders_placed):
    ProductFactory()

    def rows():
        return list(SiteEvent.objects.order_by("at", "pk").values_list("session", "kind", "path", "sku", "referrer",
                                                                       "at"))

    with time_machine.travel(datetime.now(SAO_PAULO), tick=False):
        seed()
        first = rows()
        assert seed() == ["site events already there: no traffic seeded"]
        assert rows() == first
        SiteEvent.objects.all().delete()
        seed()
        assert rows() == first


def test_no_traffic_is_seeded_for_a_store_without_web_store_orders(customer):
    Order.objects.create(number=1, customer=customer, channel=Channel.MERCADOLIVRE)
    assert seed() == ["no web store orders of late: no site traffic seeded"]
    assert not SiteEvent.objects.exists()
