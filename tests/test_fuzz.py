"""A bounded fuzz: a fixed matrix of hostile values over the query parameters of every URL
(as an admin) and over every public POST endpoint. Whatever the value, the answer is never
a 5xx: a form error, a 4xx with a reason, or a sensible page."""

import json
from decimal import Decimal
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from backoffice.api import api_token_create
from inventory import services as inventory
from inventory.models import Warehouse
from orders.models import OrderInbox
from orders.survey import survey_token
from payments.models import ProviderAccount
from payments.providers.mercadopago import sandbox as mercadopago
from payments.providers.pagbank import sandbox as pagbank
from payments.providers.paypal import sandbox as paypal
from tests.backoffice.test_url_permissions import URLS
from tests.factories import ProductFactory
from tests.orders.test_survey import delivered  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00", "a\x00b",
    "\ud800", "x\udfffy",  # lone surrogates: sent as %ED%A0%80 and %ED%BF%BF
    "\\ud800",  # the JSON escape of one, as text
    "9999-12-31", "0001-01-01", "99999-01-01", "2026-02-30", "1-1", "9999-12", "0-0",
    "-1", "0", "-99999999999999999999", "99999999999999999999", "1e3", "NaN", "١٢٣",  # Arabic-Indic digits
    "x" * 5000, "[" * 1000, "%", "' OR 1=1 --", " ",
]
# Read by every list screen's table and the admin's change lists, whatever their filters.
ALWAYS = ("page", "per_page", "sort", "export", "q", "o", "p", "_to_field", "_popup")
SKIPPED = {"logout", "admin:logout"}  # logging out would end the walk


@pytest.fixture(autouse=True)
def each_request_alone(client):
    """A 500 is a failure listed with the others, not the end of the test; and each request
    runs in a savepoint, as in production each runs in its own transaction: a database
    error in one does not fail the ones after it."""
    client.raise_request_exception = False
    request = client.request

    def isolated(**environ):
        with transaction.atomic():
            return request(**environ)

    client.request = isolated


def _answer(response):
    """What a failure is listed with: the status and the exception the view raised."""
    return response.status_code, type(response.exc_info[1]).__name__ if response.exc_info else ""


def _query(params: dict) -> str:
    return "&".join(f"{quote(key)}={quote(value, safe='', errors='surrogatepass')}" for key, value in params.items())


def _read_parameters(client, url) -> set[str]:
    """The query parameters the view at `url` reads (recorded on Django's QueryDict), asked
    again with each found one set until no new one appears (a filter read only once
    another is set)."""
    seen, found = set(), set(ALWAYS)
    originals = {name: getattr(MultiValueDict, name) for name in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(name):
        def read(self, key, *args):
            if isinstance(self, QueryDict):  # not the URL resolver's MultiValueDict
                seen.add(key)
            return originals[name](self, key, *args)
        return read

    with mock.patch.multiple(MultiValueDict, **{name: recording(name) for name in originals}):
        while True:
            client.get(f"{url}?{_query(dict.fromkeys(found, '1'))}")
            new = seen - found
            if not new:
                return found
            found |= new


@pytest.fixture
def admin_client(client, role_user):
    # No password: hashing one would cost more than the walk of a page.
    client.force_login(role_user("admin", is_staff=True, is_superuser=True, password=None))
    return client


GET_URLS = [(name, url) for name, url, _ in URLS if name not in SKIPPED]


@pytest.mark.parametrize("name,url", GET_URLS, ids=[url for _, url in GET_URLS])
def test_no_hostile_query_parameter_gets_a_5xx(admin_client, name, url):
    parameters = sorted(_read_parameters(admin_client, url))
    failures = []
    for value in HOSTILE:
        response = admin_client.get(f"{url}?{_query(dict.fromkeys(parameters, value))}")
        if response.status_code >= 500:
            failures.append((value[:20], *_answer(response)))
    assert not failures, f"{url} with {parameters}:\n" + "\n".join(map(repr, failures))


def test_the_walk_reads_the_filters_of_the_list_screens(admin_client):
    assert {"date", "period", "status", "category"} <= _read_parameters(admin_client, "/payments/cash-flow/")
    assert {"placed_at_after", "placed_at_before"} <= _read_parameters(admin_client, "/orders/")


# -- public POST endpoints -------------------------------------------------------------

def _bodies():
    """Hostile request bodies: raw bytes, and JSON documents carrying each hostile value."""
    yield b"\x00"
    yield b'{"a": "\x00"}'
    yield b'{"a": "\\u0000"}'
    yield b'{"a": "\\ud800"}'
    yield b'{"a": "\xed\xa0\x80"}'
    yield b"[" * 100_000
    yield b'{"a": ' * 100_000
    yield b"x" * 5 * 1024 * 1024
    yield b'{"id": 1e999999}'
    for value in HOSTILE:
        yield json.dumps({"id": value, "type": value, "action": value, "data": {"id": value},
                          "event_type": value, "resource": {"id": value}, "charges": [{"id": value}]},
                         ensure_ascii=False).encode(errors="surrogatepass")


BODIES = list(_bodies())


@pytest.fixture
def accounts(db):
    paypal.install_certificate()
    return {
        "mercadopago": ProviderAccount.objects.create(provider="mercadopago", name="MP",
                                                      credentials={"access_token": "APP_USR-token",
                                                                   "webhook_secret": "store-webhook-secret"}),
        "pagbank": ProviderAccount.objects.create(provider="pagbank", name="PB",
                                                  credentials={"access_token": "pagbank-token"}),
        "paypal": ProviderAccount.objects.create(provider="paypal", name="PP",
                                                 credentials={"client_id": "AZ", "client_secret": "EL",
                                                              "webhook_id": "1JE4291016473214C"}),
    }


def _signed(provider, account, body, data_id):
    """The headers of a delivery signed now with the account's secret, as the provider signs."""
    now = timezone.now()
    if provider == "mercadopago":  # over the id as the server reads it: a lone surrogate's bytes replaced
        return mercadopago.signed_headers(account.credential("webhook_secret"),
                                          data_id.encode(errors="surrogatepass").decode(errors="replace"),
                                          ts=str(int(now.timestamp())))
    if provider == "pagbank":
        return pagbank.signed_headers(account.credential("access_token"), body)
    return paypal.signed_headers(body, account.credential("webhook_id"),
                                 transmission_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"))


@pytest.mark.parametrize("provider", ["mercadopago", "pagbank", "paypal"])
def test_no_hostile_webhook_gets_a_5xx_signed_or_not(client, accounts, provider, settings):
    settings.PAYMENTS_WEBHOOK_REJECTED_LIMIT = 10**6  # every case reaches the checks, none stops at the 429
    account = accounts[provider]
    failures, accepted = [], 0
    for body in BODIES:
        for signed in (False, True):
            query = _query({"data.id": "1", "type": "payment"})
            headers = _signed(provider, account, body, "1") if signed else {}
            response = client.post(f"{account.webhook_path()}?{query}", body, content_type="application/json",
                                   headers=headers)
            accepted += signed and response.status_code != 401
            if response.status_code >= 500:
                failures.append((body[:20], signed, *_answer(response)))
    assert accepted, "no signed delivery got past the signature: the fuzz would only knock at the door"
    for value in HOSTILE:
        query = _query({"data.id": value, "type": value, "id": value, "topic": value})
        response = client.post(f"{account.webhook_path()}?{query}", b"{}", content_type="application/json",
                               headers=_signed(provider, account, b"{}", value))
        if response.status_code >= 500:
            failures.append((f"?data.id={value[:20]}", True, *_answer(response)))
    assert not failures, "\n".join(map(repr, failures))


ORDER = {
    "channel": "web", "external_id": "LOJA-1", "shipping": "12.50", "notes": "",
    "customer": {"document": "390.533.447-05", "name": "Maria da Silva", "email": "maria@example.com",
                 "phone": "11999990000"},
    "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1000", "district": "Bela Vista",
                "city_ibge": "3550308"},
    "items": [{"sku": "FUZZ-1", "quantity": 1, "unit_price": "10.00", "discount": "0"}],
}


def _order_documents():
    """The valid order with each field in turn replaced by each hostile value, named."""
    paths = [(key,) for key in ORDER if key not in ("customer", "address", "items")]
    paths += [(section, key) for section in ("customer", "address") for key in ORDER[section]]
    paths += [("items", 0, key) for key in ORDER["items"][0]]
    for path in paths:
        for value in HOSTILE:
            document = json.loads(json.dumps(ORDER))
            target = document
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            yield ".".join(map(str, path)) + f"={value[:20]!r}", json.dumps(document, ensure_ascii=False).encode(
                errors="surrogatepass")


def test_no_hostile_order_posted_to_the_api_gets_a_5xx_and_every_answer_is_json(client, run_queued_tasks):
    """…nor ends failed (a bug) when its task processes it."""
    product = ProductFactory(sku="FUZZ-1")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("1"), user=None)
    key = api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])[1]
    failures = []
    for case, body in [*((body[:20], body) for body in BODIES), *_order_documents()]:
        with run_queued_tasks():
            response = client.post("/api/orders/", body, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Token {key}")
        if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
            failures.append((case, *_answer(response), response["Content-Type"]))
        elif response.status_code == 202:
            entry = OrderInbox.objects.get(pk=response.json()["inbox"])
            if entry.status not in (OrderInbox.Status.ACCEPTED, OrderInbox.Status.REJECTED):
                failures.append((case, entry.status, entry.errors))
    assert not failures, "\n".join(map(repr, failures))


def test_no_hostile_survey_answer_gets_a_5xx(client, delivered):
    order = delivered
    url = f"/orders/survey/{survey_token(order)}/"
    failures = []
    for value in HOSTILE:
        for data in ({"score": value}, {"score": "5", "comment": value}):
            response = client.post(url, _query(data), content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                failures.append((data, *_answer(response)))
        response = client.get(f"/orders/survey/{quote(value, safe='', errors='surrogatepass')}/")
        if response.status_code >= 500:
            failures.append(("token", value[:20], *_answer(response)))
    assert not failures, "\n".join(map(repr, failures))


def test_no_hostile_login_or_health_probe_gets_a_5xx(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a login hashes even unknown users
    failures = []
    for value in HOSTILE:
        response = client.post("/login/", _query({"username": value, "password": value, "next": value}),
                               content_type="application/x-www-form-urlencoded")
        if response.status_code >= 500:
            failures.append(("login", value[:20], *_answer(response)))
    for value in HOSTILE:
        url = f"/healthz?{_query({'x': value})}"
        body = value.encode(errors="surrogatepass")
        for response in (client.get(url), client.post(url, body, content_type="application/json")):
            if response.status_code >= 500:
                failures.append(("healthz", response.request["REQUEST_METHOD"], value[:20], *_answer(response)))
    assert not failures, "\n".join(map(repr, failures))
