"""Mercado Pago notifications, in the documented format and signature, through the real endpoint."""

import json
import time
from decimal import Decimal

import pytest

from orders.models import Order
from payments.models import Payment, PaymentEvent, ProviderAccount, WebhookEvent
from payments.providers.mercadopago import signature_manifest
from payments.providers.mercadopago.sandbox import SAMPLES as CONTRACTS
from payments.providers.mercadopago.sandbox import sample_payment, signed_headers
from payments.tasks import process_webhook

pytestmark = pytest.mark.django_db
SECRET = "store-webhook-secret"


@pytest.fixture
def fake(mercadopago_api):
    return mercadopago_api


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                          credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})


def notify(client, account, data_id, headers=None, body=None):
    document = json.loads((CONTRACTS / "webhook_notification_payment.json").read_text())
    document["data"]["id"] = data_id
    payload = body if body is not None else json.dumps(document)
    return client.post(
        f"/payments/webhooks/mercadopago/{account.pk}/?data.id={data_id}&type=payment", payload,
        content_type="application/json", headers=(headers if headers is not None else signed_headers(SECRET, data_id)),
    )


def process_all():
    for event in WebhookEvent.objects.filter(status="received"):
        process_webhook.apply(args=[event.pk])


def test_the_documented_signature_example_is_the_manifest_we_sign():
    text = (CONTRACTS / "webhook_signature_example.txt").read_text()
    assert "id:[data.id_url];request-id:[x-request-id_header];ts:[ts_header];" in text
    assert signature_manifest("999999999", "req-1", "1704908010") == "id:999999999;request-id:req-1;ts:1704908010;"


def test_a_signed_notification_creates_the_payment_and_the_order_is_paid(client, account, fake, order):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    response = notify(client, account, "20359978")
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "received" and event.resource_id == "20359978"  # stored before processing
    process_all()
    payment = Payment.objects.get()
    assert ((payment.status, payment.gross, payment.net, payment.fees)
            == ("approved", Decimal("58.80"), Decimal("56.16"), Decimal("2.64")))
    assert (payment.method, payment.brand, payment.payer_document) == ("credit_card", "visa", "19119119100")
    assert [(m, p, h["authorization"]) for m, p, h, _ in fake.requests] == [
        ("GET", "/v1/payments/20359978", "Bearer APP_USR-token")]
    order.refresh_from_db()
    assert order.paid_amount == Decimal("58.80") and order.status == "ready_to_ship"
    assert WebhookEvent.objects.get().status == "processed"


@pytest.mark.parametrize("headers", [
    {},
    {"x-signature": "ts=1704908010,v1=0000", "x-request-id": "r"},
    signed_headers("another-secret", "20359978"),
    signed_headers(SECRET, "99"),  # signed for another payment
])
def test_a_bad_signature_is_refused_and_changes_nothing(client, account, fake, order, headers):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    response = notify(client, account, "20359978", headers=headers)
    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == "rejected"
    process_all()
    assert not Payment.objects.exists() and Order.objects.get(pk=order.pk).paid_amount == 0


def test_the_same_event_five_times_makes_one_payment_and_pays_the_order_once(client, account, fake, order):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    for _ in range(5):
        assert notify(client, account, "20359978").status_code == 200
    process_all()
    assert Payment.objects.count() == 1
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")


def test_a_late_pending_never_overwrites_approved_and_a_refund_after_approval_refunds(client, account, fake, order):
    from payments.providers.mercadopago import MercadoPago
    from payments.services import payment_apply

    approved = MercadoPago().normalize(sample_payment(external_reference=str(order.number)))
    pending = MercadoPago().normalize(sample_payment(status="pending", status_detail="pending_waiting_payment"))
    refunded = MercadoPago().normalize(sample_payment(status="refunded", transaction_amount_refunded=58.8))
    payment_apply(account=account, data=approved)
    payment_apply(account=account, data=pending)
    assert Payment.objects.get().status == "approved"
    assert PaymentEvent.objects.filter(applied=False).count() == 1
    payment_apply(account=account, data=refunded)
    assert (Payment.objects.get().status, Payment.objects.get().refunded) == ("refunded", Decimal("58.80"))
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")  # credited once


@pytest.mark.parametrize("body", ["{not json", "[]", "\"payment\""])
def test_malformed_notifications_get_a_400_and_are_kept_as_rejected(client, account, fake, body):
    response = notify(client, account, "20359978", body=body)
    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and event.body == body


def test_a_notification_about_something_else_is_kept_as_ignored_and_answered_200(client, account, fake):
    body = json.dumps({"type": "merchant_order", "data": {"id": "1"}})
    assert notify(client, account, "1", body=body).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "ignored" and "merchant_order" in event.error
    process_all()
    assert not fake.requests and not Payment.objects.exists()


def test_when_the_provider_api_fails_the_event_is_kept_as_failed_to_replay(client, account, fake, order):
    notify(client, account, "404404")  # the fake does not know this payment
    with pytest.raises(Exception):
        process_webhook.apply(args=[WebhookEvent.objects.get().pk], throw=True)
    event = WebhookEvent.objects.get()
    assert event.status == "failed" and "404404" in event.error
    assert not Payment.objects.exists()


def test_an_unknown_account_is_a_404(client):
    assert client.post("/payments/webhooks/mercadopago/999/", "{}", content_type="application/json").status_code == 404


def test_the_payment_processed_is_the_one_signed_and_a_body_naming_another_is_refused(client, account, fake, order):
    # The probe: signed for data.id=10415622959 in the query, a body saying 78886020091.
    fake.payments["78886020091"] = sample_payment(id=78886020091, external_reference=str(order.number))
    body = json.loads((CONTRACTS / "webhook_notification_payment.json").read_text())
    body["data"]["id"] = "78886020091"
    response = client.post(f"/payments/webhooks/mercadopago/{account.pk}/?data.id=10415622959&type=payment",
                           json.dumps(body), content_type="application/json",
                           headers=signed_headers(SECRET, "10415622959"))
    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert (event.status, event.resource_id) == ("rejected", "") and "not the signed one" in event.error
    process_all()
    assert not fake.requests and not Payment.objects.exists() and Order.objects.get(pk=order.pk).paid_amount == 0


def test_without_data_id_in_the_query_the_signature_covers_no_payment_and_is_refused(client, account, fake, order):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    body = json.loads((CONTRACTS / "webhook_notification_payment.json").read_text())
    body["data"]["id"] = "20359978"
    # Signed as the docs say when the URL has no data.id: the manifest leaves the id out.
    response = client.post(f"/payments/webhooks/mercadopago/{account.pk}/?type=payment", json.dumps(body),
                           content_type="application/json", headers=signed_headers(SECRET, ""))
    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == "rejected"
    process_all()
    assert not fake.requests and not Payment.objects.exists()


@pytest.mark.parametrize("ts", [
    lambda now: "1577836800",  # 2020-01-01: a captured notification replayed years later
    lambda now: "1704908010",  # the docs' example
    lambda now: str(now - 6 * 60),
    lambda now: str(now + 6 * 60),  # ahead of now beyond the window
    lambda now: str((now + 3600) * 1000),  # in milliseconds, an hour ahead
    lambda now: "17049o8010",
])
def test_a_signed_notification_whose_ts_is_out_of_the_window_is_refused(client, account, fake, order, ts):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    response = notify(client, account, "20359978", headers=signed_headers(SECRET, "20359978", ts=ts(int(time.time()))))
    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and "ts" in event.error
    process_all()
    assert not fake.requests and not Payment.objects.exists()


@pytest.mark.parametrize("ts", [
    lambda now: str(now - 4 * 60),
    lambda now: str(now + 4 * 60),  # the provider's clock a little ahead of ours
    lambda now: str(now * 1000),  # milliseconds, as the docs' text (not their example) says
])
def test_a_ts_within_the_window_in_seconds_or_milliseconds_is_accepted(client, account, fake, order, ts):
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    response = notify(client, account, "20359978", headers=signed_headers(SECRET, "20359978", ts=ts(int(time.time()))))
    assert response.status_code == 200
    process_all()
    assert Payment.objects.get().status == "approved"


def test_the_time_window_is_a_setting(client, account, fake, order, settings):
    settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 3600
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    headers = signed_headers(SECRET, "20359978", ts=str(int(time.time()) - 1800))
    assert notify(client, account, "20359978", headers=headers).status_code == 200
