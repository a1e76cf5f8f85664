"""Faults: the broker (Redis) down while notifications arrive — they are still accepted and
stored, pages still work, and the catch-up job processes them once the broker is back."""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.celery import app as celery_app
from orders.models import Order
from payments.models import Payment, ProviderAccount, WebhookEvent
from payments.sandbox.mercadopago import SAMPLES, sample_payment, signed_headers
from payments.services import webhooks_catch_up
from payments.tasks import process_waiting_webhooks

pytestmark = pytest.mark.django_db
SECRET = "store-webhook-secret"


@pytest.fixture
def broker_down():
    """Publishing fails as it does with Redis down (a port nobody listens on, one quick
    retry); calling the fixture's value brings the broker back."""
    conf = celery_app.conf
    saved = conf.broker_write_url, conf.task_publish_retry_policy

    def reconnect():
        # Celery keeps its producer pool: without it the next message connects as configured now.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def restore():
        conf.broker_write_url, conf.task_publish_retry_policy = saved
        reconnect()

    conf.broker_write_url = "redis://127.0.0.1:9/0"
    conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1,
                                      "interval_max": 0.1}
    reconnect()
    yield restore
    restore()


def test_with_the_broker_down_notifications_are_kept_and_caught_up_when_it_is_back(
        client, client_as, mercadopago_api, order, broker_down, caplog, django_capture_on_commit_callbacks):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", access_token="APP_USR-token",
                                             webhook_secret=SECRET)
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number))
    body = json.loads((SAMPLES / "webhook_notification_payment.json").read_text())
    body["data"]["id"] = "20359978"
    with caplog.at_level(logging.WARNING, logger="backoffice.tasks"), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/payments/webhooks/mercadopago/{account.pk}/?data.id=20359978&type=payment",
                               json.dumps(body), content_type="application/json",
                               headers=signed_headers(SECRET, "20359978"))
    assert response.status_code == 200  # the provider is told it arrived: no retries for days
    assert "broker unreachable" in caplog.text
    event = WebhookEvent.objects.get()
    assert (event.status, event.resource_id) == ("received", "20359978")
    assert client_as("ops").get("/payments/webhooks/").status_code == 200  # the screens still work

    assert webhooks_catch_up() == 0  # a fresh one is left to its own task
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    broker_down()
    assert process_waiting_webhooks.apply().get() == 1
    event.refresh_from_db()
    assert event.status == "processed"
    assert Payment.objects.get().status == "approved" and Order.objects.get(pk=order.pk).status != "awaiting_payment"
    assert process_waiting_webhooks.apply().get() == 0  # nothing twice
