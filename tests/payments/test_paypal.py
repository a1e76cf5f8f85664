"""PayPal webhooks, in the documented format and signature, through the real endpoint; the
capture re-read from the fake API."""

import base64
import hashlib
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from backoffice.integrations.errors import ProviderError
from orders.models import Order
from payments.models import Payment, PaymentEvent, ProviderAccount, WebhookEvent
from payments.providers.paypal import PayPal, cert_cache_key, signed_message
from payments.providers.paypal.sandbox import (
    CERT_URL,
    CERTIFICATE,
    PayPalSandbox,
    completed_event,
    install_certificate,
    make_certificate,
    refunded_event,
    sample_capture,
    signed_headers,
)
from payments.providers.paypal.sandbox import SAMPLES as CONTRACTS
from payments.tasks import process_webhook
from tests.fake_server import serve

pytestmark = pytest.mark.django_db
WEBHOOK_ID = "1JE4291016473214C"
CAPTURE = "27M47624FP291604U"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(settings):
    cache.clear()
    server = serve(PayPalSandbox(client=("AZ-client-id", "EL-app-secret")))
    settings.PAYPAL_API_URL = server.url
    install_certificate()
    yield server
    server.close()
    cache.clear()


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="paypal", name="Loja",
                                          credentials={"client_id": "AZ-client-id", "client_secret": "EL-app-secret",
                                                       "webhook_id": WEBHOOK_ID})


@pytest.fixture
def order(make_order):
    # The documented capture is of 2.51 (fee 0.37, net 2.14): an order of that total.
    return make_order(Decimal("2.51"))


def notify(client, account, event, headers=None):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post(f"/payments/webhooks/paypal/{account.pk}/", body, content_type="application/json",
                       headers=(headers if headers is not None else signed_headers(body, WEBHOOK_ID)))


def process_all():
    for event in WebhookEvent.objects.filter(status="received").order_by("pk"):
        process_webhook.apply(args=[event.pk])


def calls(fake):
    return [(method, path) for method, path, _, _ in fake.requests]


def test_the_signed_message_is_the_documented_one(client, account, fake, order):
    text = (CONTRACTS / "webhook_headers_and_verification.txt").read_text()
    assert "<transmission_id>|<transmission_time>|<webhook_id>|<crc32>" in text and "UNSIGNED DECIMAL" in text
    # The CRC-32 check value: crc32(b"123456789") is 0xCBF43926, above 2**31, so unsigned it is 3421780262.
    tid, when = "69cd13f0-d67a-11e5-baa3-778b53f4ae55", "2016-02-18T20:01:35Z"  # the docs' example values
    assert signed_message(tid, when, WEBHOOK_ID, b"123456789") == f"{tid}|{when}|{WEBHOOK_ID}|3421780262"
    # A real delivery whose CRC has the high bit set: only the unsigned form is accepted.
    base = json.dumps(completed_event(sample_capture(CAPTURE, order.number))).encode()
    body = next(base + b" " * n for n in range(64) if zlib.crc32(base + b" " * n) >= 2 ** 31)
    for wrong in (f"{tid}|{when}|{WEBHOOK_ID}|{zlib.crc32(body) - 2 ** 32}",  # signed 32-bit CRC
                  f"{tid}|{when}|{WEBHOOK_ID}|{hashlib.sha256(body).hexdigest()}"):  # a common wrong snippet
        assert notify(client, account, body, signed_headers(body, WEBHOOK_ID, message=wrong)).status_code == 401
    assert notify(client, account, body).status_code == 200


def test_a_signed_capture_completed_creates_the_payment_and_the_order_is_paid(client, account, fake, order):
    capture = fake.add_capture(sample_capture(CAPTURE, order.number))
    response = notify(client, account, completed_event(capture))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "received" and event.resource_id == CAPTURE  # stored before processing
    assert event.headers["paypal-cert-url"] == CERT_URL
    assert not fake.requests
    process_all()
    payment = Payment.objects.get()
    assert (payment.provider, payment.method, payment.status) == ("paypal", "paypal", "approved")
    assert (payment.gross, payment.fees, payment.net, payment.refunded) == (
        Decimal("2.51"), Decimal("0.37"), Decimal("2.14"), Decimal("0.00"))
    assert (payment.payer_name, payment.payer_email, payment.payer_document) == (
        "Maria Silva", "maria@example.com", "19119119100")
    assert payment.paid_at == datetime(2019, 2, 14, 21, 49, 58, tzinfo=UTC)
    assert payment.external_reference == str(order.number) and payment.order == order
    token = next(iter(fake.tokens))
    assert [(m, p, h["authorization"]) for m, p, h, _ in fake.requests] == [
        ("POST", "/v1/oauth2/token", "Basic " + base64.b64encode(b"AZ-client-id:EL-app-secret").decode()),
        ("GET", f"/v2/payments/captures/{CAPTURE}", f"Bearer {token}"),
        ("GET", "/v2/checkout/orders/5O190127TN364715T", f"Bearer {token}")]
    assert fake.requests[0][3] == b"grant_type=client_credentials"
    order.refresh_from_db()
    assert order.paid_amount == Decimal("2.51") and order.status == "ready_to_ship"
    assert WebhookEvent.objects.get().status == "processed"


BAD_SIGNATURES = {
    "no headers": lambda body: {},
    "another key": lambda body: signed_headers(body, WEBHOOK_ID, key=OTHER_KEY),
    "body changed after signing": lambda body: signed_headers(body.replace(b'"2.51"', b'"25.10"'), WEBHOOK_ID),
    "another listener's webhook id": lambda body: signed_headers(body, "8PT597110X687430LKGECATA"),
    "not base64": lambda body: {**signed_headers(body, WEBHOOK_ID), "paypal-transmission-sig": "@@not base64@@"},
    "another algorithm": lambda body: signed_headers(body, WEBHOOK_ID, auth_algo="SHA1withRSA"),
    **{f"cert at {url}": (lambda url: lambda body: signed_headers(body, WEBHOOK_ID, cert_url=url))(url) for url in [
        "https://evil.example/cert.pem", "http://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
        "https://paypal.com.evil.example/cert.pem", "https://evilpaypal.com/cert.pem",
        "https://api.paypal.com@evil.example/cert.pem", "https://api.paypal.com:8443/cert.pem"]},
}


@pytest.mark.parametrize("case", BAD_SIGNATURES)
def test_a_bad_signature_is_refused_and_changes_nothing(client, account, fake, order, case):
    capture = fake.add_capture(sample_capture(CAPTURE, order.number))
    body = json.dumps(completed_event(capture)).encode()
    headers = BAD_SIGNATURES[case](body)
    # The right certificate sits in the cache even under the foreign URLs: only the host check refuses them.
    install_certificate(headers.get("paypal-cert-url", CERT_URL))
    assert notify(client, account, body, headers).status_code == 401
    assert WebhookEvent.objects.get().status == "rejected"
    process_all()
    assert not Payment.objects.exists() and Order.objects.get(pk=order.pk).paid_amount == 0
    assert not fake.requests


def test_a_certificate_url_off_paypal_is_never_fetched(client, account, fake, order):
    # would record any request for the certificate
    elsewhere = serve(PayPalSandbox(client=("AZ-client-id", "EL-app-secret")))
    try:
        body = json.dumps(completed_event(fake.add_capture(sample_capture(CAPTURE, order.number)))).encode()
        for url in (f"{elsewhere.url}/v1/notifications/certs/CERT-1", f"https://{elsewhere.url[7:]}/cert.pem"):
            assert notify(client, account, body, signed_headers(body, WEBHOOK_ID, cert_url=url)).status_code == 401
            assert cache.get(cert_cache_key(url)) is None
        assert not elsewhere.requests
    finally:
        elsewhere.close()


def test_an_expired_certificate_or_an_account_without_webhook_id_is_refused(client, account, fake, order):
    body = json.dumps(completed_event(fake.add_capture(sample_capture(CAPTURE, order.number)))).encode()
    install_certificate(pem=make_certificate(valid_from_days=-30, valid_to_days=-1))
    assert notify(client, account, body).status_code == 401
    install_certificate(pem=CERTIFICATE)
    ProviderAccount.objects.filter(pk=account.pk).update(credentials={**account.credentials, "webhook_id": ""})
    assert notify(client, account, body, signed_headers(body, "")).status_code == 401
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["rejected", "rejected"]
    account.refresh_from_db()
    account.credentials["webhook_id"] = WEBHOOK_ID
    account.save()
    assert notify(client, account, body).status_code == 200


def test_the_same_event_five_times_makes_one_payment_and_pays_the_order_once(client, account, fake, order):
    event = completed_event(fake.add_capture(sample_capture(CAPTURE, order.number)))
    for _ in range(5):
        assert notify(client, account, event).status_code == 200
    process_all()
    assert Payment.objects.count() == 1 and PaymentEvent.objects.count() == 5
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("2.51")
    assert calls(fake).count(("POST", "/v1/oauth2/token")) == 1  # the token is kept for its lifetime


def test_events_out_of_order_end_in_what_paypal_says_now(client, account, fake, order):
    # The capture was completed and then fully refunded; the refund's event is processed first.
    capture = fake.add_capture(sample_capture(CAPTURE, order.number))
    completed = completed_event(capture)
    capture["status"] = "REFUNDED"
    assert notify(client, account, refunded_event(CAPTURE)).status_code == 200
    assert notify(client, account, completed).status_code == 200
    assert list(WebhookEvent.objects.order_by("pk").values_list("resource_id", flat=True)) == [CAPTURE, CAPTURE]
    process_all()
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded) == ("refunded", Decimal("2.51"))
    # The COMPLETED event was not believed: the capture was read again, and said REFUNDED.
    assert list(payment.provider_events.order_by("pk").values_list("status", flat=True)) == ["refunded", "refunded"]
    assert calls(fake).count(("GET", f"/v2/payments/captures/{CAPTURE}")) == 2
    # Even a stale read answering COMPLETED does not bring it back.
    capture["status"] = "COMPLETED"
    notify(client, account, completed)
    process_all()
    assert Payment.objects.get().status == "refunded" and payment.provider_events.order_by("pk").last().applied is False
    assert Order.objects.get(pk=order.pk).paid_amount == 0


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"PAYMENT.CAPTURE.COMPLETED"',
    json.dumps({"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource_type": "capture", "resource": {}}).encode(),
    json.dumps({"event_type": "PAYMENT.CAPTURE.REFUNDED", "resource_type": "refund",
                "resource": {"id": "1Y107995YT783435V", "links": []}}).encode(),
])
def test_malformed_events_get_a_400_and_are_kept_as_rejected(client, account, fake, body):
    assert notify(client, account, body).status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and event.body == body.decode()


def test_an_event_about_something_else_is_kept_as_ignored_and_answered_200(client, account, fake):
    event = {
        "id": "WH-COC11055RA711503B-4YM959094A144403T", "create_time": "2018-04-16T21:21:49.000Z",
        "resource_type": "checkout-order", "event_type": "CHECKOUT.ORDER.APPROVED",
        "summary": "An order has been approved by buyer", "event_version": "1.0", "resource_version": "2.0",
        "resource": {"id": "5O190127TN364715T", "intent": "CAPTURE", "status": "APPROVED",
                     "create_time": "2018-04-01T21:18:49Z",
                     "links": [{"href": "https://api.paypal.com/v2/checkout/orders/5O190127TN364715T", "rel": "self",
                                "method": "GET"}]},
    }
    assert notify(client, account, event).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == "ignored" and "CHECKOUT.ORDER.APPROVED" in stored.error
    process_all()
    assert not fake.requests and not Payment.objects.exists()


def test_refunds_are_asked_of_paypal_and_a_refusal_is_a_provider_error(client, account, fake, order):
    capture = fake.add_capture(sample_capture(CAPTURE, order.number))
    notify(client, account, completed_event(capture))
    process_all()
    refund_id = PayPal().refund(account, CAPTURE, Decimal("1.00"))
    method, path, headers, body = fake.requests[-1]
    assert (method, path) == ("POST", f"/v2/payments/captures/{CAPTURE}/refund")
    assert json.loads(body) == {"amount": {"value": "1.00", "currency_code": "BRL"}}
    assert headers["authorization"] == f"Bearer {next(iter(fake.tokens))}" and uuid.UUID(headers["paypal-request-id"])
    assert capture["status"] == "PARTIALLY_REFUNDED"
    with pytest.raises(ProviderError, match="REFUND_AMOUNT_EXCEEDED"):
        PayPal().refund(account, CAPTURE, Decimal("1.52"))  # 1.51 is left
    # PayPal's refund event: the capture is read again, the refund's amount seen on its order.
    notify(client, account, refunded_event(CAPTURE, refund_id))
    process_all()
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded) == ("partially_refunded", Decimal("1.00"))
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("2.51")  # credited once, whatever follows
    PayPal().refund(account, CAPTURE, Decimal("1.51"))
    assert PayPal().fetch_payment(account, CAPTURE).status == "refunded"
    account.credentials["client_secret"] = "wrong-secret"
    with pytest.raises(ProviderError, match="401"):
        PayPal().refund(account, CAPTURE, Decimal("0.10"))


def test_a_capture_in_another_currency_fails_clearly_and_stays_to_replay(client, account, fake, order):
    capture = sample_capture(CAPTURE, order.number)
    capture["amount"]["currency_code"] = "USD"
    notify(client, account, completed_event(fake.add_capture(capture)))
    process_webhook.apply(args=[WebhookEvent.objects.get().pk])  # retried, then left failed
    event = WebhookEvent.objects.get()
    assert event.status == "failed" and "USD" in event.error and "BRL" in event.error
    assert not Payment.objects.exists()


def test_a_pending_capture_has_no_fees_yet_and_pays_nothing(client, account, fake, order):
    capture = sample_capture(CAPTURE, order.number, status="PENDING", status_details={"reason": "PENDING_REVIEW"})
    del capture["seller_receivable_breakdown"]  # not given while pending
    notify(client, account, completed_event(fake.add_capture(capture)))
    process_all()
    payment = Payment.objects.get()
    assert (payment.status, payment.status_detail, payment.paid_at) == ("pending", "PENDING_REVIEW", None)
    assert (payment.gross, payment.fees, payment.net) == (Decimal("2.51"), Decimal("0.00"), Decimal("2.51"))
    assert Order.objects.get(pk=order.pk).paid_amount == 0


def _paypal_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("transmitted", [
    lambda now: "2016-02-18T20:01:35Z",  # the docs' example: a delivery captured long ago and replayed
    lambda now: _paypal_time(now - timedelta(minutes=6)),
    lambda now: _paypal_time(now + timedelta(minutes=6)),
    lambda now: now.replace(tzinfo=None).isoformat(timespec="seconds"),  # no offset: whose time?
    lambda now: "yesterday",
])
def test_a_signed_delivery_transmitted_out_of_the_window_is_refused(client, account, fake, order, transmitted):
    body = json.dumps(completed_event(fake.add_capture(sample_capture(CAPTURE, order.number)))).encode()
    headers = signed_headers(body, WEBHOOK_ID, transmission_time=transmitted(datetime.now(UTC)))
    assert notify(client, account, body, headers).status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and "transmission time" in event.error
    process_all()
    assert not fake.requests and not Payment.objects.exists()


def test_a_delivery_transmitted_a_few_minutes_ago_in_any_offset_is_accepted(client, account, fake, order):
    body = json.dumps(completed_event(fake.add_capture(sample_capture(CAPTURE, order.number)))).encode()
    sent = (datetime.now(UTC) - timedelta(minutes=4)).astimezone(timezone(timedelta(hours=-3)))
    headers = signed_headers(body, WEBHOOK_ID, transmission_time=sent.isoformat(timespec="seconds"))
    assert notify(client, account, body, headers).status_code == 200
    process_all()
    assert Payment.objects.get().provider_payment_id == CAPTURE
