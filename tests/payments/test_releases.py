"""The providers' statements of what they released: Mercado Pago's release report (the
documented CSV; generated on request, asynchronously) and PayPal's Transaction Search,
each from its API faked on a local port, and the finance page that shows them."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from backoffice.integrations.errors import ReportPending
from payments.models import ProviderAccount
from payments.providers.mercadopago import MercadoPago, release_rows
from payments.providers.mercadopago.sandbox import SAMPLES, sample_payment
from payments.providers.paypal import PayPal
from payments.providers.paypal.sandbox import PayPalSandbox, refunded_event, sample_capture
from payments.services import payment_apply
from tests.fake_server import serve

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_documented_release_report_reads_as_movements_of_the_balance():
    rows = release_rows((SAMPLES / "release_report_sample.csv").read_text())
    # The initial balance line is not a movement; a withdrawal takes money out, fees are kept.
    assert [(r.kind, r.gross, r.fee, r.net, r.description) for r in rows] == [
        ("withdrawal", D("-813360.45"), D("3.00"), D("-813363.45"), ""),
        ("payment", D("269.00"), D("43.04"), D("225.96"), "account_money"),
        ("payment", D("148.00"), D("23.68"), D("124.32"), "visa"),
        ("payment", D("1099.00"), D("278.86"), D("820.14"), "visa"),
        ("payment", D("850.00"), D("0.00"), D("850.00"), "account_money"),
    ]
    assert rows[0].date == datetime.fromisoformat("2018-04-17T15:07:53-04:00")


@pytest.fixture
def mp_account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                          credentials={"access_token": "APP_USR-token"})


def test_mercado_pago_releases_come_from_the_report_of_the_period_asked_for_once(mp_account, mercadopago_api, order):
    released = timezone.make_aware(datetime(2026, 3, 10, 12))
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number),
                                                           money_release_date=released.isoformat())
    mercadopago_api.payments["1"] = sample_payment(id=1, money_release_date="2026-04-20T12:00:00.000-04:00")
    client = MercadoPago()
    with pytest.raises(ReportPending):
        client.releases(mp_account, date(2026, 3, 1), date(2026, 3, 31))
    method, path, headers, body = mercadopago_api.requests[-1]
    assert (method, path, json.loads(body)) == ("POST", "/v1/account/release_report", {
        "begin_date": "2026-03-01T03:00:00Z", "end_date": "2026-04-01T02:59:59Z"})  # São Paulo's days
    assert headers["authorization"] == "Bearer APP_USR-token"

    rows = client.releases(mp_account, date(2026, 3, 1), date(2026, 3, 31))
    assert [(r.kind, r.provider_payment_id, r.external_reference, r.gross, r.fee, r.net) for r in rows] == [
        ("payment", "20359978", str(order.number), D("58.80"), D("2.64"), D("56.16"))]
    assert [m for m, *_ in mercadopago_api.requests].count("POST") == 1  # the ready report is not asked again


@pytest.fixture
def paypal_api(settings):
    cache.clear()
    server = serve(PayPalSandbox(client=("AZ-client-id", "EL-app-secret")))
    settings.PAYPAL_API_URL = server.url
    yield server
    server.close()
    cache.clear()


def test_paypal_releases_come_from_transaction_search_31_days_at_a_time(paypal_api, order):
    account = ProviderAccount.objects.create(provider="paypal", name="Loja",
                                             credentials={"client_id": "AZ-client-id",
                                                          "client_secret": "EL-app-secret", "webhook_id": "WH"})
    capture = paypal_api.add_capture(sample_capture("27M47624FP291604U", order.number,
                                                    create_time="2026-02-20T15:00:00Z"))
    order_id = capture["supplementary_data"]["related_ids"]["order_id"]
    refund = refunded_event("27M47624FP291604U")["resource"]
    refund.update(create_time="2026-03-15T10:00:00Z", amount={"currency_code": "BRL", "value": "1.00"})
    paypal_api.orders[order_id]["purchase_units"][0]["payments"]["refunds"].append(refund)

    rows = PayPal().releases(account, date(2026, 2, 1), date(2026, 3, 20))
    assert [(r.kind, r.provider_payment_id, r.external_reference, r.gross, r.fee, r.net) for r in rows] == [
        ("payment", "27M47624FP291604U", str(order.number), D("2.51"), D("0.37"), D("2.14")),
        ("refund", "27M47624FP291604U", "", D("-1.00"), D("0.00"), D("-1.00")),
    ]
    searches = [parse_qs(urlsplit(path).query) for method, path, *_ in paypal_api.requests
                if path.startswith("/v1/reporting/transactions")]
    assert [(q["start_date"][0], q["end_date"][0]) for q in searches] == [
        ("2026-02-01T00:00:00-0300", "2026-03-03T23:59:59-0300"),
        ("2026-03-04T00:00:00-0300", "2026-03-20T23:59:59-0300")]
    assert all(q["fields"] == ["transaction_info"] for q in searches)


def test_finance_sees_the_releases_beside_our_payments_and_exports_them(client_as, mp_account, mercadopago_api, order):
    today = timezone.localdate()
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number),
                                                           money_release_date=timezone.now().isoformat())
    payment = payment_apply(account=mp_account, data=MercadoPago().normalize(mercadopago_api.payments["20359978"]))
    client = client_as("finance")
    query = {"account": mp_account.pk, "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    first = client.get("/payments/releases/", query).content.decode()
    assert 'data-testid="releases-error"' in first and "alguns minutos" in first  # the report is being made

    page = client.get("/payments/releases/", query).content.decode()
    assert f'href="/payments/{payment.pk}/"' in page and f"#{order.number}" in page
    assert "R$\xa056,16" in page  # the net released
    export = client.get("/payments/releases/", {**query, "export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].split(";")[2:] == ["20359978", str(order.number), str(order.number), "58,80", "2,64", "56,16"]


def test_the_period_is_checked_and_providers_without_a_statement_are_not_offered(client_as, mp_account):
    ProviderAccount.objects.create(provider="pagbank", name="PagBank", credentials={"access_token": "t"})
    client = client_as("finance")
    page = client.get("/payments/releases/")
    assert [a.provider for a in page.context["form"].fields["account"].queryset] == ["mercadopago"]
    wrong = client.get("/payments/releases/", {"account": mp_account.pk, "start": "2026-03-01", "end": "2026-01-01"})
    assert wrong.context["form"].errors and not wrong.context["rows"]
    assert client_as("staff").get("/payments/releases/").status_code == 403
