"""PagBank notifications, in the documented format and authenticity token, through the real endpoint."""

import hashlib
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backoffice.integrations.errors import ProviderError, WebhookRejected
from orders.models import Order
from payments.models import Payment, PaymentEvent, ProviderAccount, SettlementRule, WebhookEvent
from payments.providers.pagbank import PagBank, authenticity_token
from payments.providers.pagbank.sandbox import SAMPLES as CONTRACTS
from payments.providers.pagbank.sandbox import PagBankSandbox, sample_boleto_charge, sample_order, signed_headers
from payments.tasks import process_webhook
from tests.fake_server import serve

pytestmark = pytest.mark.django_db
TOKEN = "pagbank-account-token"
ORDER_ID = "ORDE_F87334AC-BB8B-42E2-AA85-8579F70AA328"  # the sample's order and charge
CHARGE_ID = "CHAR_F1F10115-09F4-4560-85F5-A828D9F96300"


@pytest.fixture
def fake(settings):
    server = serve(PagBankSandbox(token=TOKEN))
    settings.PAGBANK_API_URL = server.url
    yield server
    server.close()


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="pagbank", name="Loja", credentials={"access_token": TOKEN})


def cents(order):
    return int(order.total * 100)


def webhook_body(order, status="PAID") -> bytes:
    """The documented notification, byte for byte, for our order number and total."""
    text = (CONTRACTS / "orders_webhook_pix_paid.json").read_text()
    return (text.replace('"ex-00001"', f'"{order.number}"').replace(": 500", f": {cents(order)}")
            .replace('"status": "PAID"', f'"status": "{status}"').encode())


def notify(client, account, body: bytes, headers=None):
    return client.post(f"/payments/webhooks/pagbank/{account.pk}/", body, content_type="application/json",
                       headers=(headers if headers is not None else signed_headers(TOKEN, body)))


def process_all():
    for event in WebhookEvent.objects.filter(status="received"):
        process_webhook.apply(args=[event.pk])


def test_the_documented_signature_rule_is_what_verify_checks():
    assert 'token + "-" + payload' in (CONTRACTS / "NOTES.md").read_text()
    body = b'{"id":"CHAR_1"}'
    # sha256 of b'store-token-{"id":"CHAR_1"}', computed by hand.
    token = "4d7072a8b29f9e839724437c9ae788f5736306beaa4ab458e8e045ce41a52059"
    assert authenticity_token("store-token", body) == token
    store = ProviderAccount(credentials={"access_token": "store-token"})
    PagBank().verify(store, headers={"x-authenticity-token": token}, query={}, body=body)
    no_token = {"x-authenticity-token": authenticity_token("", body)}  # an account without its token
    for account, headers in [(store, {}), (ProviderAccount(), no_token)]:
        with pytest.raises(WebhookRejected):
            PagBank().verify(account, headers=headers, query={}, body=body)


def test_a_signed_pix_order_notification_records_the_payment_and_pays_the_order(client, account, fake, order):
    SettlementRule.objects.create(provider="pagbank", method="pix", fee_percent=Decimal("0.99"),
                                  fee_fixed=Decimal("0.50"), days_to_first=0)
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order))
    body = webhook_body(order)
    assert notify(client, account, body).status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.resource_id, event.body) == ("received", ORDER_ID, body.decode())  # stored first
    assert event.headers["x-authenticity-token"] == signed_headers(TOKEN, body)["x-authenticity-token"]
    process_all()
    payment = Payment.objects.get()
    assert (payment.provider, payment.provider_payment_id, payment.method, payment.status) == (
        "pagbank", CHARGE_ID, "pix", "approved")
    # No fee in PagBank's payload: 0.99% + R$0.50 of R$58.80 by the rule.
    assert (payment.gross, payment.fees, payment.net) == (Decimal("58.80"), Decimal("1.08"), Decimal("57.72"))
    assert (payment.payer_name, payment.payer_email, payment.payer_document) == (
        "Jose da Silva", "email@test.com", "12345678909")
    assert payment.paid_at == datetime(2020, 11, 21, 23, 30, 24, 352000, tzinfo=timezone(timedelta(hours=-3)))
    assert payment.order == order and payment.receivables.get().net == Decimal("57.72")
    assert [(m, p, h["authorization"]) for m, p, h, _ in fake.requests] == [
        ("GET", f"/orders/{ORDER_ID}", f"Bearer {TOKEN}")]
    order.refresh_from_db()
    assert order.paid_amount == Decimal("58.80") and order.status == "ready_to_ship"
    assert WebhookEvent.objects.get().status == "processed"


def test_the_body_is_not_trusted_what_the_api_says_is_recorded(client, account, fake, order):
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order), status="WAITING")
    assert notify(client, account, webhook_body(order, status="PAID")).status_code == 200
    process_all()
    assert (Payment.objects.get().status, Payment.objects.get().status_detail) == ("pending", "WAITING")
    assert Order.objects.get(pk=order.pk).paid_amount == 0


@pytest.mark.parametrize("sign", [
    lambda body: {},
    lambda body: signed_headers("another-token", body),
    lambda body: signed_headers(TOKEN, body.replace(b'"PAID"', b'"WAITING"')),  # body changed after signing
    lambda body: signed_headers(TOKEN, json.dumps(json.loads(body)).encode()),  # not over the raw bytes
    lambda body: signed_headers(TOKEN, body.replace(ORDER_ID.encode(), b"ORDE_OTHER")),  # signed for another order
])
def test_a_bad_authenticity_token_is_refused_kept_short_and_changes_nothing(client, account, fake, order, sign):
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order))
    body = webhook_body(order)
    assert len(body) > 2048
    assert notify(client, account, body, headers=sign(body)).status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and event.body == body[:2048].decode()
    assert (event.body_size, event.body_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    process_all()
    assert not fake.requests and not Payment.objects.exists() and Order.objects.get(pk=order.pk).paid_amount == 0


def test_the_legacy_form_notification_carries_no_token_and_is_refused(client, account, fake):
    body = (CONTRACTS / "legacy_notification_form_post.txt").read_text().split("\n\n")[1].splitlines()[0]
    response = client.post(f"/payments/webhooks/pagbank/{account.pk}/", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401 and WebhookEvent.objects.get().status == "rejected"


def test_the_same_notification_five_times_makes_one_payment_and_pays_the_order_once(client, account, fake, order):
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order))
    for _ in range(5):
        assert notify(client, account, webhook_body(order)).status_code == 200
    process_all()
    assert Payment.objects.count() == 1 and PaymentEvent.objects.count() == 5
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_late_waiting_never_overwrites_paid_and_cancellations_refund(client, account, fake, order):
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order))
    notify(client, account, webhook_body(order))
    process_all()
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order), status="WAITING")
    notify(client, account, webhook_body(order, status="WAITING"))
    process_all()
    assert Payment.objects.get().status == "approved"
    assert PaymentEvent.objects.filter(applied=False).get().status == "pending"
    fake.orders[ORDER_ID] = sample_order(str(order.number), cents(order))
    charge = fake.orders[ORDER_ID]["charges"][0]
    for refunded, status in [(1000, "partially_refunded"), (cents(order), "refunded")]:
        charge["status"], charge["amount"]["summary"]["refunded"] = "CANCELED", refunded
        notify(client, account, webhook_body(order, status="CANCELED"))
        process_all()
        payment = Payment.objects.get()
        assert (payment.status, payment.refunded) == (status, Decimal(refunded) / 100)
    assert payment.receivables.get().status == "cancelled"
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")  # credited once


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"ORDE_1"', b'{"id": 5}', b'{"charges": []}', b"\xff\xfe",
    b'{"id": "ORDE_../../charges/CHAR_1", "charges": [{}]}',  # never a path into the API
])
def test_malformed_notifications_get_a_400_and_are_kept_as_rejected(client, account, fake, body):
    response = notify(client, account, body)
    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and event.body == body.decode(errors="replace")
    process_all()
    assert not fake.requests


@pytest.mark.parametrize("body, reason", [
    (b'{"id": "CHEC_5C3B0AE6-3F1C-4F5A-8F2B-9B0F5A1B2C3D", "status": "ACTIVE"}', "CHEC_"),
    (b'{"id": "ORDE_F87334AC-BB8B-42E2-AA85-8579F70AA328", "charges": [], "qr_codes": [{}]}', "without charges"),
])
def test_an_authentic_notification_about_something_else_is_kept_as_ignored(client, account, fake, body, reason):
    assert notify(client, account, body).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "ignored" and reason in event.error
    process_all()
    assert not fake.requests and not Payment.objects.exists()


def test_a_boleto_charge_notification_is_a_pending_boleto_then_paid(client, account, fake, order):
    charge = sample_boleto_charge(str(order.number), cents(order))
    fake.charges[charge["id"]] = charge
    assert notify(client, account, json.dumps(charge).encode()).status_code == 200
    process_all()
    payment = Payment.objects.get()
    assert (payment.provider_payment_id, payment.method, payment.status, payment.gross) == (
        "CHAR_354828dd-786b-4cca-8ce4-6f7a1f3f2a1a", "boleto", "pending", Decimal("58.80"))
    assert (payment.payer_name, payment.payer_document, payment.order) == ("Jose da Silva", "90792099028", order)
    assert fake.requests[-1][:2] == ("GET", f"/charges/{charge['id']}")
    assert Order.objects.get(pk=order.pk).paid_amount == 0
    charge.update(status="PAID", paid_at="2020-05-07T10:00:00.000-03:00")
    charge["amount"]["summary"]["paid"] = cents(order)
    notify(client, account, json.dumps(charge).encode())
    process_all()
    assert Payment.objects.get().status == "approved"
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")


@pytest.mark.parametrize("charges, error", [([], "has no charge"), (None, "HTTP 404")])
def test_when_the_api_fails_the_event_is_kept_as_failed_to_replay(client, account, fake, order, charges, error):
    if charges is not None:  # else the fake does not know the order
        fake.orders[ORDER_ID] = dict(sample_order(str(order.number), cents(order)), charges=charges)
    notify(client, account, webhook_body(order))
    with pytest.raises(Exception):  # the task's retry of the ProviderError
        process_webhook.apply(args=[WebhookEvent.objects.get().pk], throw=True)
    event = WebhookEvent.objects.get()
    assert event.status == "failed" and ORDER_ID in event.error and error in event.error
    assert not Payment.objects.exists()


def test_of_an_orders_charges_the_one_that_took_the_money_is_the_payment(account, fake):
    order = sample_order("1", 500)
    paid = order["charges"][0]
    declined = dict(paid, id="CHAR_DECLINED", status="DECLINED",
                    amount={"value": 500, "summary": {"total": 500, "paid": 0, "refunded": 0}})
    fake.orders[ORDER_ID] = dict(order, charges=[declined, paid, dict(declined, id="CHAR_LATER")])
    assert PagBank().fetch_payment(account, ORDER_ID).provider_payment_id == CHARGE_ID
    fake.orders[ORDER_ID]["charges"] = [declined, dict(declined, id="CHAR_LATER", status="WAITING")]
    assert PagBank().fetch_payment(account, ORDER_ID).provider_payment_id == "CHAR_LATER"


@pytest.mark.parametrize("status, refunded, expected", [
    ("PAID", 0, "approved"), ("AUTHORIZED", 0, "authorized"), ("WAITING", 0, "pending"), ("IN_ANALYSIS", 0, "pending"),
    ("DECLINED", 0, "rejected"), ("CANCELED", 0, "cancelled"), ("CANCELED", 500, "refunded"),
    ("CANCELED", 200, "partially_refunded"), ("PAID", 200, "partially_refunded"),
])
def test_pagbank_statuses_in_our_terms(status, refunded, expected):
    order = sample_order("1", 500)
    charge = order["charges"][0]
    charge["status"], charge["amount"]["summary"]["refunded"] = status, refunded
    data = PagBank().normalize(charge, order)
    assert (data.status, data.refunded, data.gross) == (expected, Decimal(refunded) / 100, Decimal("5.00"))


def test_cards_bring_brand_and_installments_and_a_pix_order_is_known_by_its_qr_code():
    order = sample_order("1", 500)
    charge = order["charges"][0]
    charge["payment_method"] = {"type": "CREDIT_CARD", "installments": 3, "capture": True,
                                "card": {"brand": "mastercard", "last_digits": "0003"}}
    assert [getattr(PagBank().normalize(charge, order), name) for name in ("method", "brand", "installments")] == [
        "credit_card", "mastercard", 3]
    charge["payment_method"] = {"type": "DEBIT_CARD", "card": {"brand": "visa"}}
    assert PagBank().normalize(charge, order).method == "debit_card"
    del charge["payment_method"]
    for key in ("qr_codes", "qr_code"):  # the API's key and the docs' webhook key
        assert PagBank().normalize(charge, {"charges": [charge], key: [{"id": "QRCO_1"}]}).method == "pix"
    assert PagBank().normalize(charge, {"charges": [charge]}).method == "wallet"


def test_a_refund_cancels_centavos_of_the_charge_and_a_refusal_is_a_provider_error(account, fake):
    fake.orders[ORDER_ID] = sample_order("1", 5880)
    assert PagBank().refund(account, CHARGE_ID, Decimal("10.50")) == CHARGE_ID
    method, path, headers, body = fake.requests[-1]
    assert (method, path, headers["authorization"], json.loads(body)) == (
        "POST", f"/charges/{CHARGE_ID}/cancel", f"Bearer {TOKEN}", {"amount": {"value": 1050}})
    charge = fake.orders[ORDER_ID]["charges"][0]
    assert (charge["status"], charge["amount"]["summary"]["refunded"]) == ("CANCELED", 1050)
    after = PagBank().fetch_payment(account, ORDER_ID)
    assert (after.status, after.refunded) == ("partially_refunded", Decimal("10.50"))
    with pytest.raises(ProviderError, match="40002"):
        PagBank().refund(account, CHARGE_ID, Decimal("48.31"))  # one centavo more than is left
    assert charge["amount"]["summary"]["refunded"] == 1050
    with pytest.raises(ProviderError, match="401"):
        PagBank().refund(ProviderAccount(credentials={"access_token": "wrong"}), CHARGE_ID, Decimal("1.00"))
