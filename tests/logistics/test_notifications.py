"""The carriers' webhook endpoint and inbox, through the real endpoint: Melhor Envio's notifications, signed
as its contract says (by its sandbox, or by hand over the documented sample), are kept raw before anything
else, then recorded on their parcel once; forged, unreadable, oversized or unknown ones get a 4xx with a
reason, kept short where kept — one about a parcel we do not have yet too, taken when the carrier sends it
again once the parcel is ours."""

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.states import events_of
from logistics import services
from logistics.models import Carrier, CarrierNotification, Shipment, TrackingEvent, TrackingStatus
from logistics.providers.melhorenvio import signature
from logistics.providers.melhorenvio.sandbox import CONTRACTS, MelhorEnvioSandbox
from logistics.tasks import process_notification, process_waiting_notifications
from tests.fake_server import serve
from tests.logistics.test_melhorenvio import SECRET, TOKEN, me_api, melhorenvio, packed, shipped  # noqa: F401

pytestmark = pytest.mark.django_db
ENDPOINT = "/logistics/webhooks/melhorenvio/"
EARLY_ID = "5c0b6a52-1d8e-4f63-9a3e-2f1c7d4e8b90"  # a label whose notification arrives before its parcel is ours


@pytest.fixture(autouse=True)
def no_rejections_counted():
    """Each test starts with no rejected notifications counted (the limiter keeps its counts in the cache)."""
    cache.clear()


def deliver(client, body: bytes, headers: dict, path=ENDPOINT, **extra):
    """POST a notification as Melhor Envio sends it: the raw body, its headers."""
    headers = {name: value for name, value in headers.items() if name != "content-type"}
    return client.post(path, body, content_type="application/json", headers=headers, **extra)


def signed(body: bytes, secret: str = SECRET) -> dict:
    return {"content-type": "application/json", "user-agent": "Melhor Envio Webhooks/1.0",
            "x-me-signature": signature(secret, body)}


def documented(label_id: str, *, pad: int = 0) -> bytes:
    """The docs' order.posted sample about `label_id` (with `pad` characters more in a tag)."""
    document = json.loads((CONTRACTS / "webhook_order_posted.json").read_text())
    document["data"]["id"] = label_id
    document["data"]["tags"][0]["tag"] += "x" * pad
    return json.dumps(document).encode()


def test_a_signed_delivery_is_kept_raw_first_then_recorded_and_delivers_the_order(
        client, shipped, melhorenvio, me_api, run_queued_tasks, django_capture_on_commit_callbacks):
    carrier = melhorenvio["carrier"]
    with run_queued_tasks():
        posted = me_api.advance(carrier, shipped.carrier_reference, "posted")
        assert deliver(client, posted.body, posted.headers, path=posted.path).status_code == 200
    delivered = me_api.advance(carrier, shipped.carrier_reference, "delivered")
    with django_capture_on_commit_callbacks() as queued:
        response = deliver(client, delivered.body, delivered.headers, path=delivered.path)
    assert response.status_code == 200 and response.content == b""
    notification = CarrierNotification.objects.get(body_sha256=hashlib.sha256(delivered.body).hexdigest())
    # Kept as it arrived, before anything is done with it.
    assert (notification.status, notification.resource_id, notification.body) == (
        "received", shipped.carrier_reference, delivered.body.decode())
    assert notification.headers == {"content-type": "application/json", "user-agent": "Melhor Envio Webhooks/1.0",
                                    "x-me-signature": delivered.headers["x-me-signature"]}
    assert len(queued) == 1 and Shipment.objects.get(pk=shipped.pk).status == Shipment.Status.SHIPPED
    process_notification.apply(args=[notification.pk])  # what the queued task does
    notification.refresh_from_db()
    assert notification.status == "processed" and notification.processed_at is not None
    shipment = Shipment.objects.get(pk=shipped.pk)
    assert (shipment.status, shipment.tracking_status) == (Shipment.Status.DELIVERED, TrackingStatus.DELIVERED)
    assert shipment.delivered_at == datetime.fromisoformat(json.loads(delivered.body)["data"]["delivered_at"])
    assert shipment.order.status == "delivered"
    assert sorted(shipment.tracking_events.values_list("code", "status", "source")) == [
        ("delivered", "delivered", "webhook"), ("posted", "posted", "webhook")]
    # The tracking check reads the same dated statuses: nothing new.
    assert services.tracking_check(shipment=shipment) == 0


def test_the_same_notification_again_changes_nothing(client, shipped, melhorenvio, me_api, run_queued_tasks):
    delivered = me_api.advance(melhorenvio["carrier"], shipped.carrier_reference, "delivered")
    with run_queued_tasks():
        assert deliver(client, delivered.body, delivered.headers).status_code == 200
    shipment = Shipment.objects.get(pk=shipped.pk)
    before = (list(shipment.tracking_events.values_list("pk", flat=True)), len(events_of(shipment)),
              len(events_of(shipment.order)), shipment.status, shipment.updated_at, shipment.order.status)
    with run_queued_tasks():
        assert deliver(client, delivered.body, delivered.headers).status_code == 200
    shipment = Shipment.objects.get(pk=shipped.pk)
    assert (list(shipment.tracking_events.values_list("pk", flat=True)), len(events_of(shipment)),
            len(events_of(shipment.order)), shipment.status, shipment.updated_at, shipment.order.status) == before
    assert list(CarrierNotification.objects.values_list("status", flat=True)) == ["processed", "processed"]


@pytest.mark.parametrize("sign", [
    lambda body: {},
    lambda body: signed(body, "another-secret"),
    lambda body: signed(body + b" "),  # the body changed after signing
    lambda body: {"x-me-signature": hashlib.sha256(body).hexdigest()},
    lambda body: {"x-me-signature": signature(SECRET, body).encode().hex()},  # not base64
])
def test_a_bad_signature_is_a_401_kept_short_as_rejected_and_changes_nothing(client, shipped, sign):
    body = documented(shipped.carrier_reference, pad=3000)
    response = deliver(client, body, sign(body))
    assert response.status_code == 401 and response.json() == {"error": "signature"}
    notification = CarrierNotification.objects.get()
    assert notification.status == "rejected" and "X-ME-Signature" in notification.error
    assert notification.body == body[:2048].decode()
    assert (notification.body_size, notification.body_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert not TrackingEvent.objects.exists()


def test_a_carrier_without_its_app_secret_refuses_every_notification(client, shipped, melhorenvio):
    carrier = melhorenvio["carrier"]
    carrier.credentials = {"token": TOKEN}
    carrier.save(update_fields=["credentials"])
    body = documented(shipped.carrier_reference)
    assert deliver(client, body, signed(body, "")).status_code == 401
    assert CarrierNotification.objects.get().error == "the carrier has no app secret to check X-ME-Signature"


def test_a_signed_body_that_is_not_json_is_a_400_kept_rejected(client, melhorenvio):
    body = b'{"event": "order.delivered", "data": {"id": '
    response = deliver(client, body, signed(body))
    assert response.status_code == 400 and response.json() == {"error": "the body is not JSON"}
    notification = CarrierNotification.objects.get()
    assert (notification.status, notification.body, notification.resource_id) == ("rejected", body.decode(), "")


def test_the_labels_own_life_and_melhor_envios_test_are_kept_ignored(client, melhorenvio, run_queued_tasks):
    with run_queued_tasks() as queued:
        for body in (b'{"event": "order.released", "data": {"id": "a1"}}', b'{"event": "test", "data": {}}'):
            assert deliver(client, body, signed(body)).status_code == 200
    assert list(CarrierNotification.objects.values_list("status", "resource_id")) == [("ignored", ""), ("ignored", "")]
    assert not queued


class EarlySandbox(MelhorEnvioSandbox):
    """The sandbox, giving the next label the id whose notification came first."""

    def new_id(self):
        return EARLY_ID


def test_a_notification_about_no_parcel_of_ours_is_a_400_kept_rejected_and_taken_when_sent_again_once_it_is(
        client, packed, packer, settings, run_queued_tasks):
    body = documented(EARLY_ID)
    with run_queued_tasks() as queued:
        response = deliver(client, body, signed(body))
    assert response.status_code == 400 and response.json() == {"error": f"{EARLY_ID}: not ours"}
    assert not queued
    notification = CarrierNotification.objects.get()
    assert (notification.status, notification.resource_id, notification.body_size) == ("rejected", EARLY_ID, len(body))
    # The label's id stored as the parcel ships; the carrier sends the notification again until it is taken.
    server = serve(EarlySandbox(token=TOKEN))
    settings.MELHORENVIO_API_URL = server.url
    try:
        shipment = services.shipment_ship(shipment=packed, user=packer)
    finally:
        server.close()
    assert shipment.carrier_reference == EARLY_ID
    with run_queued_tasks():
        assert deliver(client, body, signed(body)).status_code == 200
    taken = CarrierNotification.objects.exclude(pk=notification.pk).get()
    assert (taken.status, taken.resource_id) == ("processed", EARLY_ID)
    shipment.refresh_from_db()
    assert shipment.tracking_status == TrackingStatus.POSTED
    assert list(shipment.tracking_events.values_list("code", "source")) == [("posted", "webhook")]


def test_a_body_beyond_the_upload_limit_is_a_413_and_nothing_is_kept(client, melhorenvio, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = documented("a1", pad=2000)
    response = deliver(client, body, signed(body))
    assert response.status_code == 413 and response.json() == {"error": "body too large"}
    assert not CarrierNotification.objects.exists()


def test_only_an_active_carrier_whose_api_notifies_has_an_endpoint(client, melhorenvio, carriers):
    body = documented("a1")
    for code in ("nobody", "jadlog", "correios", "%00"):  # unknown, priced by its table, an API without webhooks
        assert deliver(client, body, signed(body), path=f"/logistics/webhooks/{code}/").status_code == 404
    # Melhor Envio checks the address as the webhook is registered: answered, nothing kept.
    assert client.get(ENDPOINT).status_code == 200 and client.head(ENDPOINT).status_code == 200
    Carrier.objects.filter(code="melhorenvio").update(active=False)
    assert deliver(client, body, signed(body)).status_code == 404
    assert client.get(ENDPOINT).status_code == 404
    assert not CarrierNotification.objects.exists()


def test_past_the_limit_rejections_get_a_429_but_authentic_ones_always_pass(client, melhorenvio, settings):
    settings.LOGISTICS_WEBHOOK_REJECTED_LIMIT = 2
    body = documented("a1")
    for _attempt in range(2):
        assert deliver(client, body, {}).status_code == 401
    refused = deliver(client, body, {})
    assert refused.status_code == 429 and refused.json() == {"error": "too many rejected notifications"}
    assert 1 <= int(refused["Retry-After"]) <= 301
    # Authentic, about a parcel not ours: refused, never limited.
    assert deliver(client, body, signed(body)).status_code == 400
    assert sorted(CarrierNotification.objects.values_list("status", flat=True)) == ["rejected", "rejected", "rejected"]


def test_notifications_left_waiting_are_caught_up(client, shipped, melhorenvio, me_api):
    posted = me_api.advance(melhorenvio["carrier"], shipped.carrier_reference, "posted")
    assert deliver(client, posted.body, posted.headers).status_code == 200  # its task never ran: the broker was down
    assert process_waiting_notifications.apply().get() == 0  # a fresh one is left to its own task
    CarrierNotification.objects.update(received_at=timezone.now() - timedelta(minutes=6))
    assert process_waiting_notifications.apply().get() == 1
    assert CarrierNotification.objects.get().status == "processed"
    assert Shipment.objects.get(pk=shipped.pk).tracking_status == TrackingStatus.POSTED
    assert process_waiting_notifications.apply().get() == 0  # nothing twice


def test_the_inbox_is_for_ops_filtered_and_exported(client_as, shipped, melhorenvio, me_api, client):
    ops = client_as("ops")
    assert _("No notification received yet.") in ops.get("/logistics/notifications/").content.decode()
    body = documented(shipped.carrier_reference)
    deliver(client, body, {})
    deliver(client, body, signed(body))
    page = ops.get("/logistics/notifications/", {"status": "rejected"})
    assert [n.status for n in page.context["table"].page.object_list] == ["rejected"]
    found = ops.get("/logistics/notifications/", {"q": f" {shipped.carrier_reference} "})
    assert [n.status for n in found.context["table"].page.object_list] == ["received"]
    empty = ops.get("/logistics/notifications/", {"status": "failed"}).content.decode()
    assert _("No result matches these filters.") in empty
    export = ops.get("/logistics/notifications/", {"export": "csv"})
    assert export.status_code == 200 and shipped.carrier_reference in b"".join(export.streaming_content).decode()
    refused = ops.post(f"/logistics/notifications/{CarrierNotification.objects.get(status='rejected').pk}/replay/")
    assert refused.status_code == 302
    assert CarrierNotification.objects.filter(status="rejected").count() == 1
    assert client_as("staff").get("/logistics/notifications/").status_code == 403


@pytest.mark.parametrize("body, sign, status_code", [
    (b'{"event": "order.posted", "data": {"id": "a1\x00"}}', signed, 400),  # NUL in a body its signature signs
    (b'\xff\xfe{"event": "order.posted"}', signed, 400),  # not UTF-8
    (b'{"event": "order.posted", "data": {"id": "a1"}}', lambda body: {"x-me-signature": "\u00e9" * 44}, 401),
    (b'{"event": "order.posted\x00", "data": {"id": "a1"}}', lambda body: {"x-me-signature": "\x00"}, 401),
])
def test_hostile_bytes_get_a_4xx_with_a_reason_and_are_kept_storable(client, melhorenvio, body, sign, status_code):
    response = deliver(client, body, sign(body))
    assert response.status_code == status_code and response.json()["error"]
    notification = CarrierNotification.objects.get()
    assert notification.status == "rejected" and notification.body_size == len(body)
    assert not any("\x00" in text for text in (notification.body, notification.error, *notification.headers.values()))
