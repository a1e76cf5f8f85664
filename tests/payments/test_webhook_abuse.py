"""The webhook endpoint under hostile traffic: bytes no database text holds, non-ASCII
signatures, big unsigned bodies, floods of forgeries. Every answer is a 4xx with a reason,
every rejected notification is kept short, and authentic ones always go through."""

import hashlib
import json

import pytest
from django.db.models import Sum
from django.db.models.functions import Length

from payments.models import ProviderAccount, WebhookEvent
from payments.providers.mercadopago.sandbox import sample_payment
from payments.providers.mercadopago.sandbox import signed_headers as mercadopago_signed
from payments.providers.pagbank.sandbox import signed_headers as pagbank_signed

pytestmark = pytest.mark.django_db
SECRET, TOKEN = "store-webhook-secret", "pagbank-account-token"
PAYMENT = "20359978"
# SQLite keeps a NUL byte where PostgreSQL refuses it: each case runs on the suite's database
# and again, required where services are, on PostgreSQL.
ON_EVERY_DATABASE = pytest.mark.parametrize("database", ["default",
                                                       pytest.param("postgresql", marks=pytest.mark.postgres)])


@pytest.fixture
def accounts(db):
    return {
        "mercadopago": ProviderAccount.objects.create(provider="mercadopago", name="MP",
                                                      credentials={"access_token": "APP_USR-token",
                                                                   "webhook_secret": SECRET}),
        "pagbank": ProviderAccount.objects.create(provider="pagbank", name="PagBank",
                                                  credentials={"access_token": TOKEN}),
        "paypal": ProviderAccount.objects.create(provider="paypal", name="PayPal",
                                                 credentials={"client_id": "AZ", "client_secret": "EL",
                                                              "webhook_id": "1JE4291016473214C"}),
    }


def post(client, account, body: bytes, headers=None, query="", **extra):
    return client.post(f"/payments/webhooks/{account.provider}/{account.pk}/{query}", body,
                       content_type="application/json", headers=headers or {}, **extra)


def signed_mercadopago(data_id=PAYMENT, body=None):
    """A notification about `data_id`, signed now (query, body, headers)."""
    document = body if body is not None else json.dumps({"type": "payment", "data": {"id": data_id}}).encode()
    return f"?data.id={data_id}&type=payment", document, mercadopago_signed(SECRET, data_id)


def stored_text(event):
    return [event.body, event.query, event.error, *event.headers.values()]


def _mp_type_nul():
    query, _, headers = signed_mercadopago()
    return query, json.dumps({"type": "payment\x00x", "data": {"id": PAYMENT}}).encode(), headers


HOSTILE = {
    "NUL in an unsigned body": ("mercadopago", lambda: ("", b'{"type": "payment", "data": {"id": "1\x00"}}', {}), 401,
                                "rejected"),
    "?data.id=%00": ("mercadopago", lambda: ("?data.id=%00&type=payment", b"{}",
                                             {"x-signature": "ts=1,v1=00", "x-request-id": "r"}), 401, "rejected"),
    "NUL after a signed body": ("mercadopago", lambda: signed_mercadopago(
        body=json.dumps({"type": "payment", "data": {"id": PAYMENT}}).encode() + b"\x00"), 400, "rejected"),
    "NUL in a signature header": ("mercadopago", lambda: ("?data.id=1", b"{}", {"x-signature": "ts=1\x00,v1=\x00"}),
                                  401, "rejected"),
    "lone surrogate in a header": ("mercadopago", lambda: ("?data.id=1", b"{}", {"x-request-id": "\ud800"}), 401,
                                   "rejected"),
    "non-ASCII signature": ("mercadopago", lambda: ("?data.id=1", b"{}", {"x-signature": "ts=1,v1=\u00e9"}),
                            401, "rejected"),
    "non-ASCII PagBank token": ("pagbank", lambda: ("", b"{}", {"x-authenticity-token": "\u00e9" * 64}), 401,
                                "rejected"),
    "NUL in an authentic body's type": ("mercadopago", _mp_type_nul, 200, "ignored"),
    "NUL in a PagBank body its token signs": (
        "pagbank", lambda: ("", b'{"id": "ORDE_1\x00"}', pagbank_signed(TOKEN, b'{"id": "ORDE_1\x00"}')), 400,
        "rejected"),
    "invalid UTF-8 and NUL": ("pagbank", lambda: ("", b"\xff\xfe\x00\x00", {}), 401, "rejected"),
    "NUL in a PayPal body": ("paypal", lambda: ("", b'{"event_type": "\x00"}', {"paypal-transmission-id": "\x00"}),
                             401, "rejected"),
}


@ON_EVERY_DATABASE
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_bytes_are_stored_and_answered_4xx_with_a_reason_never_a_500(client, accounts, database, case):
    code, request, status_code, status = HOSTILE[case]
    query, body, headers = request()
    response = post(client, accounts[code], body, headers, query)
    assert response.status_code == status_code
    if status_code >= 400:
        assert response["Content-Type"] == "application/json" and response.json()["error"]
    event = WebhookEvent.objects.get()
    assert event.status == status and event.body_size == len(body)
    assert event.body_sha256 == hashlib.sha256(body).hexdigest()
    assert not any("\x00" in text for text in stored_text(event))


@ON_EVERY_DATABASE
def test_an_unknown_provider_even_a_nul_one_is_a_404(client, accounts, database):
    assert client.post("/payments/webhooks/%00/1/", b"{}", content_type="application/json").status_code == 404
    assert client.post(f"/payments/webhooks/paypal/{accounts['mercadopago'].pk}/", b"{}",
                       content_type="application/json").status_code == 404
    assert not WebhookEvent.objects.exists()


@ON_EVERY_DATABASE
def test_ten_unsigned_posts_of_2_4_mb_keep_only_their_first_bytes(client, accounts, database):
    # The probe: ten unsigned 2.4 MB POSTs stored 24.9 MB in the inbox.
    body = b'{"type": "payment", "data": {"id": "1"}, "pad": "' + b"x" * 2_400_000 + b'"}'
    for _ in range(10):
        assert post(client, accounts["mercadopago"], body, query="?data.id=1").status_code == 401
    events = WebhookEvent.objects.all()
    assert events.count() == 10 and {e.status for e in events} == {"rejected"}
    assert events.aggregate(kept=Sum(Length("body")))["kept"] <= 10 * 2048
    assert {(e.body_size, e.body_sha256) for e in events} == {(len(body), hashlib.sha256(body).hexdigest())}
    assert all("x-signature" not in e.headers and e.headers["content-type"] == "application/json" for e in events)


def test_an_authentic_notification_keeps_its_whole_body(client, accounts, mercadopago_api):
    mercadopago_api.payments[PAYMENT] = sample_payment()
    query, _, headers = signed_mercadopago()
    body = json.dumps({"type": "payment", "data": {"id": PAYMENT}, "pad": "x" * 5000}).encode()
    assert post(client, accounts["mercadopago"], body, headers, query).status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.body, event.body_size) == ("received", body.decode(), len(body))


def test_past_the_limit_rejections_get_a_429_and_are_not_stored_but_authentic_ones_always_pass(
        client, accounts, mercadopago_api, settings):
    settings.PAYMENTS_WEBHOOK_REJECTED_LIMIT = 3
    mercadopago_api.payments[PAYMENT] = sample_payment()
    mp, pagbank = accounts["mercadopago"], accounts["pagbank"]
    for _ in range(3):
        assert post(client, mp, b"{}", query="?data.id=1").status_code == 401
    response = post(client, mp, b"{}", query="?data.id=1")
    assert response.status_code == 429 and response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= settings.PAYMENTS_WEBHOOK_REJECTED_WINDOW_SECONDS + 1
    assert WebhookEvent.objects.count() == 3
    # Authentic: verified before anything is refused, never counted, never limited.
    for _ in range(5):
        query, body, headers = signed_mercadopago()
        assert post(client, mp, body, headers, query).status_code == 200
    assert WebhookEvent.objects.filter(status="received").count() == 5
    # The account is over its limit from any address; the address for any account.
    assert post(client, mp, b"{}", query="?data.id=1", REMOTE_ADDR="198.51.100.7").status_code == 429
    assert post(client, pagbank, b"{}").status_code == 429
    assert post(client, pagbank, b"{}", REMOTE_ADDR="198.51.100.8").status_code == 401
    assert WebhookEvent.objects.filter(status="rejected").count() == 4


def test_a_body_beyond_the_upload_limit_is_a_413_with_a_reason(client, accounts, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, accounts["pagbank"], b"x" * 2000)
    assert response.status_code == 413 and response.json() == {"error": "body too large"}


def test_with_the_cache_down_rejections_are_kept_short_uncounted_and_authentic_ones_pass(
        client, accounts, mercadopago_api, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nobody listens there
    settings.PAYMENTS_WEBHOOK_REJECTED_LIMIT = 1
    mercadopago_api.payments[PAYMENT] = sample_payment()
    for _ in range(3):
        assert post(client, accounts["mercadopago"], b"{}", query="?data.id=1").status_code == 401
    assert "the cache failed" in caplog.text
    query, body, headers = signed_mercadopago()
    assert post(client, accounts["mercadopago"], body, headers, query).status_code == 200
    assert sorted(WebhookEvent.objects.values_list("status", flat=True)) == ["received"] + ["rejected"] * 3
