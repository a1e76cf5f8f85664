"""Faults: the broker (Redis) down while notifications arrive — they are still accepted and
stored, pages still work, and the catch-up job processes them once the broker is back; a
storm of duplicate deliveries, concurrently — exactly one effect each; the worker killed in
the middle of a batch — after a restart each notification is processed, once."""

import json
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from backoffice.celery import app as celery_app
from backoffice.models import TaskDelivery, TimelineEvent
from orders.models import Order
from payments.models import Payment, ProviderAccount, WebhookEvent
from payments.providers.mercadopago.sandbox import SAMPLES, MercadoPagoSandbox, sample_payment, signed_headers
from payments.services import webhooks_catch_up
from payments.tasks import process_waiting_webhooks, process_webhook
from tests.fake_server import serve
from tests.workers import start_worker

pytestmark = pytest.mark.django_db
SECRET = "store-webhook-secret"


def notify(client, account, data_id):
    body = json.loads((SAMPLES / "webhook_notification_payment.json").read_text())
    body["data"]["id"] = data_id
    return client.post(f"/payments/webhooks/mercadopago/{account.pk}/?data.id={data_id}&type=payment",
                       json.dumps(body), content_type="application/json", headers=signed_headers(SECRET, data_id))


def test_with_the_broker_down_notifications_are_kept_and_caught_up_when_it_is_back(
        client, client_as, mercadopago_api, order, broker_down, caplog, django_capture_on_commit_callbacks):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number))
    with caplog.at_level(logging.WARNING, logger="backoffice.queueing"), \
            django_capture_on_commit_callbacks(execute=True):
        response = notify(client, account, "20359978")
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


def test_the_catch_up_job_goes_on_past_notifications_that_break_or_stopped_the_worker(
        client, mercadopago_api, make_order, broker_down, caplog):
    good = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                          credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})
    lost = ProviderAccount.objects.create(provider="mercadopago", name="Loja antiga",
                                          credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})
    placed = {data_id: make_order(Decimal("58.80")) for data_id in ("1001", "1002", "1003")}
    for data_id, order in placed.items():
        mercadopago_api.payments[data_id] = sample_payment(external_reference=str(order.number))
    broker_down()
    for account, data_id in ((good, "1001"), (lost, "1002"), (good, "1003")):
        assert notify(client, account, data_id).status_code == 200
    events = {e.resource_id: e for e in WebhookEvent.objects.all()}
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=6))
    # The old account's credentials were written under a key the store no longer has…
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE payments_provideraccount SET credentials = %s WHERE id = %s",
                       ['"gAAAAAB-written-under-a-lost-key"', lost.pk])
    # …and three workers died processing the first notification (their deliveries never finished).
    TaskDelivery.objects.create(key=f"webhooks_catch_up:{events['1001'].pk}", task_name="webhooks_catch_up",
                                starts=3)

    assert webhooks_catch_up() == 3
    statuses = dict(WebhookEvent.objects.values_list("resource_id", "status"))
    assert statuses == {"1001": "failed", "1002": "received", "1003": "processed"}
    assert "CredentialsUnreadable" in caplog.text and "started 3 times without finishing" in caplog.text
    assert Payment.objects.get().order_id == placed["1003"].pk
    assert webhooks_catch_up() == 1  # the unreadable one waits for its key; the poisoned one is not run again


STORM = 100


def _in_a_thread(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connections.close_all()  # each thread's own connection
    return run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_hundred_notifications_ten_times_over_concurrently_have_a_hundred_effects(
        mercadopago_api, make_order):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})
    orders = [make_order(Decimal("58.80")) for _ in range(STORM)]
    for i, order in enumerate(orders):
        mercadopago_api.payments[str(5000 + i)] = sample_payment(id=5000 + i, external_reference=str(order.number))
    deliveries = [str(5000 + i) for i in range(STORM)] * 10
    random.Random(6).shuffle(deliveries)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(_in_a_thread(lambda data_id: notify(Client(), account, data_id).status_code),
                                deliveries))
    assert answers == [200] * len(deliveries)
    events = list(WebhookEvent.objects.order_by("?").values_list("pk", flat=True))
    assert len(events) == 10 * STORM  # every delivery kept as it came

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(_in_a_thread(lambda pk: process_webhook.apply(args=[pk], throw=True)), events))

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Payment.objects.count() == STORM
    assert all(o.paid_amount == o.total and o.status != "awaiting_payment"
               for o in Order.objects.filter(pk__in=[o.pk for o in orders]))
    assert TimelineEvent.objects.filter(order__in=orders, code="order.payment").count() == STORM  # credited once each


class SlowMercadoPago(MercadoPagoSandbox):
    """Answers after a pause, so that a batch is still being worked on when the worker dies."""

    def respond(self, *args):
        time.sleep(0.3)
        return super().respond(*args)


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


BATCH = 15


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_in_the_middle_of_a_batch_leaves_each_notification_processed_once(make_order):
    api = serve(SlowMercadoPago(token="APP_USR-token"))
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token", "webhook_secret": SECRET})
    orders = [make_order(Decimal("58.80")) for _ in range(BATCH)]
    for i, order in enumerate(orders):
        api.payments[str(7000 + i)] = sample_payment(id=7000 + i, external_reference=str(order.number))
    celery_app.control.purge()  # nothing left over from other tests in the queue
    client = Client()
    for i in range(BATCH):  # each one queued for the worker as it is stored
        assert notify(client, account, str(7000 + i)).status_code == 200
    processed = WebhookEvent.objects.filter(status="processed")
    # Acknowledged late: the message a killed worker held is delivered again after 3 s.
    env = {"MERCADOPAGO_API_URL": api.url, "CELERY_VISIBILITY_TIMEOUT": "3"}
    first = start_worker(**env)
    try:
        _wait_for(lambda: processed.count() >= 3, 90)
        first.kill()  # SIGKILL, in the middle of the batch
        first.wait(timeout=30)
        assert processed.count() < BATCH
        second = start_worker(**env)
        try:
            _wait_for(lambda: processed.count() == BATCH, 120)
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        first.kill()
        api.close()
    assert Payment.objects.count() == BATCH
    assert all(o.paid_amount == o.total for o in Order.objects.filter(pk__in=[o.pk for o in orders]))
    assert TimelineEvent.objects.filter(order__in=orders, code="order.payment").count() == BATCH  # credited once each
