"""What the orders API keeps is processed by a task when its request could not: the entry is
read at /api/orders/inbox/<id>/ (waiting, its order, or the errors), the task makes the order,
and the catch-up job processes what was left waiting."""

import json
import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backoffice.api import api_token_create
from backoffice.models import ApiToken, TaskDelivery
from inventory.models import StockLevel
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


def test_an_unknown_sku_found_by_the_task_ends_the_entry_rejected_with_the_reason(client, key):
    inbox = left_waiting({**ORDER, "items": [{**ORDER["items"][0], "sku": "NOPE"}]})
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


def test_an_order_taken_in_the_request_is_read_there_too(client, key):
    posted = post(client, ORDER, key).json()
    entry = look(client, key, OrderInbox.objects.get()).json()
    assert entry["status"] == "accepted" and entry["order"]["id"] == posted["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_the_database_fails_during_the_request_the_answer_is_202_and_the_task_makes_the_order(
        client, key, broker_down, caplog):
    held, release = threading.Event(), threading.Event()

    def hold_the_stock_level():
        try:
            with transaction.atomic():
                StockLevel.objects.select_for_update().get()
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_stock_level)
    holder.start()
    try:
        assert held.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")  # the reservation gives up: a transient error
        with caplog.at_level(logging.WARNING):
            response = post(client, ORDER, key)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        release.set()
        holder.join()
    assert response.status_code == 202, response.content
    entry = response.json()
    assert (entry["status"], response["Location"]) == ("received", f"/api/orders/inbox/{entry['inbox']}/")
    assert "handed to its task" in caplog.text and "broker unreachable" in caplog.text
    assert not Order.objects.exists()
    process_inbox.apply(args=[entry["inbox"]]).get()
    done = client.get(entry["url"], HTTP_AUTHORIZATION=f"Token {key}").json()
    assert done["status"] == "accepted" and done["order"]["number"] == Order.objects.get().number
