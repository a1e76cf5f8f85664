"""What the orders API keeps is processed by a task: the POST answers 202 with the entry, read
at /api/orders/inbox/<id>/ (waiting, its order, or the errors), the task makes the order, and
the catch-up job processes what was left waiting."""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.api import api_token_create
from backoffice.models import ApiToken, TaskDelivery
from backoffice.states import events_of
from inventory.models import Product, StockLevel
from orders import services
from orders.models import Order, OrderInbox
from orders.tasks import process_inbox, process_waiting_inbox
from tests.orders.test_api import ORDER, key, post  # noqa: F401 (key is a fixture)

pytestmark = pytest.mark.django_db


def left_waiting(body=ORDER):
    """An entry as its request kept it before dying."""
    return services.order_inbox_receive(token=ApiToken.objects.get(), body=json.dumps(body).encode(),
                                        too_large=False)


def look(client, key, inbox):
    return client.get(f"/api/orders/inbox/{inbox.pk}/", HTTP_AUTHORIZATION=f"Token {key}")


def test_an_entry_its_request_left_waiting_becomes_an_order_through_the_catch_up_job(client, key):
    inbox = left_waiting()
    waiting = look(client, key, inbox).json()
    assert (waiting["status"], waiting["processed_at"], "order" in waiting) == ("received", None, False)
    assert process_waiting_inbox.apply().get() == 0  # a fresh one is left to its own task
    OrderInbox.objects.filter(pk=inbox.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    assert process_waiting_inbox.apply().get() == 1
    order = Order.objects.get()
    done = look(client, key, inbox).json()
    assert (done["status"], done["order"]["number"], done["order"]["status"]) == ("accepted", order.number,
                                                                                   "awaiting_payment")
    assert done["processed_at"] and StockLevel.objects.get().reserved == 2
    assert process_waiting_inbox.apply().get() == 0  # nothing twice
    process_inbox.apply(args=[inbox.pk]).get()
    assert Order.objects.count() == 1


def test_a_product_withdrawn_before_the_task_runs_ends_the_entry_rejected_with_the_reason(client, key):
    inbox = left_waiting()
    Product.objects.update(active=False)  # its fields are judged again: the catalogue changed meanwhile
    process_inbox.apply(args=[inbox.pk]).get()
    entry = look(client, key, inbox).json()
    assert (entry["status"], entry["errors"]) == ("rejected", {"items[0].sku": ["nenhum produto ativo tem este SKU"]})
    assert not Order.objects.exists()


def test_an_entry_whose_processing_kept_stopping_the_worker_ends_failed_and_says_so(client, key):
    inbox = left_waiting()
    OrderInbox.objects.filter(pk=inbox.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    TaskDelivery.objects.create(key=services.order_inbox_delivery_key(inbox.pk), task_name="orders.tasks.process_inbox",
                                starts=3)
    assert process_waiting_inbox.apply().get() == 1
    entry = look(client, key, inbox).json()
    assert (entry["status"], entry["errors"]) == (
        "failed", {"order": ["O processamento derrubou o worker 3 vezes; guardado para a equipe."]})
    assert not Order.objects.exists()


def test_only_the_integration_that_posted_an_entry_reads_it(client, key):
    inbox = left_waiting()
    rotated = api_token_create(name="loja virtual 2027", integration="loja-virtual", channels=["web"])[1]
    erp = api_token_create(name="ERP", integration="erp", channels=["web"])[1]
    assert look(client, rotated, inbox).json()["status"] == "received"
    answer = look(client, erp, inbox)
    assert answer.status_code == 404 and answer.json()["error"] == "Esta integração não enviou esse pedido."
    assert client.post(f"/api/orders/inbox/{inbox.pk}/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 405


def test_a_posted_order_waits_received_until_its_task_makes_it_and_posted_again_gets_that_order(
        client, key, run_queued_tasks):
    with run_queued_tasks():
        response = post(client, ORDER, key)
        entry = response.json()
        assert (response.status_code, response["Location"]) == (202, f"/api/orders/inbox/{entry['inbox']}/")
        assert (entry["status"], entry["processed_at"], "order" in entry) == ("received", None, False)
        assert not Order.objects.exists() and StockLevel.objects.get().reserved == 0
        assert look(client, key, OrderInbox.objects.get()).json()["status"] == "received"
    order = Order.objects.get()  # the task ran
    done = client.get(response["Location"], HTTP_AUTHORIZATION=f"Token {key}").json()
    assert (done["status"], done["order"]["id"], done["order"]["number"]) == ("accepted", order.pk, order.number)
    assert done["processed_at"] and StockLevel.objects.get().reserved == 2
    again = post(client, ORDER, key)
    assert (again.status_code, again.json()["id"], again.json()["created"]) == (200, order.pk, False)
    assert Order.objects.count() == 1
    first, repeat = OrderInbox.objects.order_by("pk")
    assert (repeat.status, repeat.order, repeat.processed_at is not None) == ("accepted", order, True)
    assert ([event.code for event in events_of(first)], [event.code for event in events_of(repeat)]
            ) == (["orderinbox.accepted"], ["orderinbox.repeated"])


def test_with_the_broker_down_a_posted_order_waits_for_the_catch_up_job(
        client, key, broker_down, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.WARNING, logger="backoffice.queueing"), \
            django_capture_on_commit_callbacks(execute=True):
        response = post(client, ORDER, key)
    assert response.status_code == 202 and "broker unreachable" in caplog.text
    inbox = OrderInbox.objects.get()
    assert inbox.status == "received" and not Order.objects.exists()
    OrderInbox.objects.filter(pk=inbox.pk).update(received_at=timezone.now() - timedelta(minutes=6))
    broker_down()
    assert process_waiting_inbox.apply().get() == 1
    done = look(client, key, inbox).json()
    assert done["status"] == "accepted" and done["order"]["number"] == Order.objects.get().number
