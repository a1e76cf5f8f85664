"""Many intakes at once, on PostgreSQL: none waits for another's commit (unless they share
stock or a customer), numbers stay unique and increasing, an order or a new customer posted
twice at once lands once (its tasks race: the first makes it, the others find it), and an
import meanwhile does not deadlock. The tasks the posts queue run as they commit (eager)."""

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client

from backoffice.api import api_token_create
from backoffice.models import ApiToken
from backoffice.states import events_of
from inventory import services as inventory
from inventory.models import Product, StockLevel, Warehouse
from orders import services
from orders.forms import IntakeForm, IntakeItemForm
from orders.models import Customer, Order, OrderInbox
from orders.tasks import process_inbox
from tests.concurrency import at_once
from tests.factories import ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CLIENTS = 16


def cpf(n: int) -> str:
    """A valid CPF for each n."""
    digits = f"{100000000 + n * 7919:09d}"
    for weight in (10, 11):
        digits += str(sum((weight - i) * int(d) for i, d in enumerate(digits)) * 10 % 11 % 10)
    return digits


def order(external_id, document, sku="CAM-1"):
    return {
        "channel": "web", "external_id": external_id,
        "customer": {"document": document, "name": f"Cliente {document}", "email": f"{document}@example.com"},
        "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1000", "district": "Bela Vista",
                    "city_ibge": "3550308"},
        "items": [{"sku": sku, "quantity": 1, "unit_price": "59.90"}],
    }


@pytest.fixture
def key(db):
    product = ProductFactory(sku="CAM-1")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=500,
                            unit_cost=Decimal("20"), user=None)
    return api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])[1]


@pytest.fixture
def second_product(db):
    """CAM-2, in stock: an intake of it locks another stock level than CAM-1's."""
    product = ProductFactory(sku="CAM-2")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    return product


@pytest.fixture(autouse=True)
def tasks_run(run_queued_tasks):
    with run_queued_tasks():
        yield


def post(body, key):
    """(the POST's status, the order): from its 200, or read at the 202's `Location` once its
    task ran."""
    client, auth = Client(), {"HTTP_AUTHORIZATION": f"Token {key}"}
    response = client.post("/api/orders/", body, content_type="application/json", **auth)
    if response.status_code != 202:
        return response.status_code, response.json()
    return response.status_code, client.get(response["Location"], **auth).json()["order"]


def receive(body, **kwargs):
    """order_receive as the API and the spreadsheet import call it."""
    form = IntakeForm({**body["customer"], **body["address"], "channel": body["channel"],
                       "external_id": body["external_id"]})
    items = [IntakeItemForm(item) for item in body["items"]]
    assert form.is_valid() and all(item.is_valid() for item in items), form.errors
    return services.order_receive(data=form.cleaned_data, items=[item.cleaned_data for item in items],
                                  integration="loja-virtual", **kwargs)


def wait_for_a_blocked_session():
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                           " AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("no session waited for a lock")


def test_an_intake_not_yet_committed_does_not_hold_up_another_customers_intake_of_other_products(key, second_product):
    # (Intakes of the same product take turns on its stock level, as reservations must.)
    held, release = threading.Event(), threading.Event()
    numbers = {}

    def slow():
        try:
            with transaction.atomic():
                numbers["slow"] = receive(order("SLOW-1", cpf(1)))[0].number
                held.set()
                release.wait(30)
        finally:
            connection.close()

    def fast():
        try:
            numbers["fast"] = receive(order("FAST-1", cpf(2), sku="CAM-2"))[0].number
        finally:
            connection.close()

    first = threading.Thread(target=slow)
    first.start()
    second = threading.Thread(target=fast)
    try:
        assert held.wait(30), numbers
        second.start()
        second.join(10)
        finished_meanwhile = not second.is_alive()
    finally:
        release.set()
        first.join()
        if second.ident is not None:
            second.join()
    assert finished_meanwhile, "the second intake waited for the first one to commit"
    assert numbers["fast"] > numbers["slow"]
    assert Order.objects.count() == 2


def test_sixteen_clients_posting_orders_at_once_get_distinct_increasing_numbers(key):
    before = post(order("BEFORE", cpf(0)), key)[1]["number"]

    def client(n):
        return [post(order(f"C{n}-{i}", cpf(n % 4)), key) for i in range(3)]

    results = at_once(client, CLIENTS)
    assert all(isinstance(posted, list) for posted in results), results
    assert {status for posted in results for status, _body in posted} == {202}
    numbers = [[body["number"] for _status, body in posted] for posted in results]
    everything = [number for client_numbers in numbers for number in client_numbers]
    assert len(set(everything)) == CLIENTS * 3 and min(everything) > before
    assert all(client_numbers == sorted(client_numbers) for client_numbers in numbers)
    assert Order.objects.count() == CLIENTS * 3 + 1
    assert Customer.objects.count() == 4


def inbox_codes():
    return sorted(event.code for inbox in OrderInbox.objects.all() for event in events_of(inbox))


def test_the_same_order_posted_by_sixteen_clients_at_once_lands_once(key):
    # Those that find no order yet get a 202, and their tasks race; the later ones a 200.
    results = at_once(lambda n: post(order("LOJA-7001", cpf(7)), key), CLIENTS)
    assert {status for status, _body in results} <= {200, 202}, results
    assert len({body["id"] for _status, body in results}) == 1
    assert Order.objects.count() == Customer.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1
    assert inbox_codes() == ["orderinbox.accepted"] + ["orderinbox.repeated"] * (CLIENTS - 1)


def test_the_tasks_of_the_same_order_posted_twice_at_once_make_it_once(key):
    token = ApiToken.objects.get()
    rows = [OrderInbox.objects.create(source=f"api:{token.name}", integration=token.integration,
                                      payload=json.dumps(order("LOJA-7002", cpf(7)))) for _ in range(CLIENTS)]
    results = at_once(lambda n: process_inbox.apply(args=[rows[n].pk]).state, CLIENTS)
    assert results == ["SUCCESS"] * CLIENTS
    made = Order.objects.get()
    assert {(row.status, row.order_id) for row in OrderInbox.objects.all()} == {("accepted", made.pk)}
    assert inbox_codes() == ["orderinbox.accepted"] + ["orderinbox.repeated"] * (CLIENTS - 1)
    assert Customer.objects.count() == 1 and StockLevel.objects.get().reserved == 1


def test_the_same_order_created_twice_at_once_meets_the_unique_constraint_and_returns_the_first(key):
    customer = Customer.objects.create(kind="person", name="Maria da Silva", document=cpf(8))
    address = customer.addresses.create(recipient="Maria da Silva", cep="01310100", street="Avenida Paulista",
                                        number="1000", district="Bela Vista", city_id="3550308")
    items = [services.ItemInput(Product.objects.get(sku="CAM-1"), 1, Decimal("59.90"))]
    held, release = threading.Event(), threading.Event()
    outcome = {}

    def create(name):
        try:
            with transaction.atomic():
                outcome[name] = services.order_create(customer=customer, address=address, items=items,
                                                      channel="web", external_id="LOJA-8001",
                                                      integration="loja-virtual")
                if name == "first":
                    held.set()
                    release.wait(30)
        except Exception as error:
            outcome[name] = error
        finally:
            connection.close()

    first = threading.Thread(target=create, args=("first",))
    second = threading.Thread(target=create, args=("second",))
    first.start()
    try:
        assert held.wait(30), outcome
        second.start()
        wait_for_a_blocked_session()  # the second insert waits on the first's external id
    finally:
        release.set()
        first.join()
        if second.ident is not None:
            second.join()
    made, created = outcome["first"]
    assert created and outcome["second"] == (made, False)
    assert Order.objects.count() == 1 and StockLevel.objects.get().reserved == 1


def test_intakes_of_the_same_new_customer_at_once_register_one_customer(key):
    results = at_once(lambda n: post(order(f"NEW-{n}", cpf(9)), key), CLIENTS)
    assert [status for status, _body in results] == [202] * CLIENTS
    assert Customer.objects.count() == 1
    assert Customer.objects.get().addresses.count() == 1
    assert Order.objects.filter(customer__document=cpf(9)).count() == CLIENTS


def test_an_import_taking_in_orders_in_one_transaction_and_an_intake_meanwhile_do_not_deadlock(key, second_product):
    # The import locks the second product's level, then wants the first's; the intake locks
    # the first, then wants the second.
    held, go = threading.Event(), threading.Event()
    outcome = {}

    def spreadsheet():
        try:
            with transaction.atomic():
                receive(order("IMP-1", cpf(11), sku="CAM-2"), batch=True)
                held.set()
                go.wait(30)
                receive(order("IMP-2", cpf(12), sku="CAM-1"), batch=True)
            outcome["import"] = "done"
        except Exception as error:
            outcome["import"] = error
        finally:
            connection.close()

    def intake():
        try:
            body = order("API-1", cpf(13))
            body["items"] = [{"sku": "CAM-1", "quantity": 1, "unit_price": "59.90"},
                             {"sku": "CAM-2", "quantity": 1, "unit_price": "59.90"}]
            outcome["intake"] = post(body, key)[0]
        except Exception as error:
            outcome["intake"] = error
        finally:
            connection.close()

    first, second = threading.Thread(target=spreadsheet), threading.Thread(target=intake)
    first.start()
    try:
        assert held.wait(30), outcome
        second.start()
        wait_for_a_blocked_session()
    finally:
        go.set()
        first.join()
        if second.ident is not None:
            second.join()
    assert outcome == {"import": "done", "intake": 202}
    assert Order.objects.count() == 3
