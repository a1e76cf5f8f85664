"""Orders posted to the real orders API (`POST /api/orders/` with an API token) by
`--clients` connections at once, each order with distinct external id, for products in stock,
measured end to end: until every one is processed into an order by its task, on the Celery
worker the scenario runs (the request judges it and answers 202). The anchor: the same number
of orders and items written as bare INSERTs by as many connections, one transaction an order."""

import json
import random
import threading
import time
import uuid
from decimal import Decimal

from bench.core import HTTP, Measure, Result, scenario, start_worker
from bench.scenarios.stock import create_stock

BUDGET_PER_SECOND = 1000
INTEGRATION = "bench-intake"
SHIPPING = Decimal("9.90")
CUSTOMERS = 1000  # a store's returning customers: later orders find theirs by CPF


def cpf(n: int) -> str:
    """A valid CPF for each n."""
    digits = f"{100000000 + n * 7919:09d}"
    for weight in (10, 11):
        digits += str(sum((weight - i) * int(d) for i, d in enumerate(digits)) * 10 % 11 % 10)
    return digits


def order_documents(run: str, skus: list[str], count: int) -> list[bytes]:
    rnd = random.Random(run)
    documents = []
    for n in range(count):
        document = cpf(n % CUSTOMERS)
        documents.append(json.dumps({
            "channel": "web", "external_id": f"{run}-{n}", "shipping": str(SHIPPING),
            "customer": {"document": document, "name": f"Cliente {n % CUSTOMERS}", "email": f"{document}@example.com"},
            "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": str(1 + n % CUSTOMERS),
                        "district": "Bela Vista", "city_ibge": "3550308"},
            "items": [{"sku": sku, "quantity": rnd.randint(1, 2), "unit_price": "10.00"}
                      for sku in rnd.sample(skus, rnd.randint(1, 3))],
        }).encode())
    return documents


def post_orders(url: str, key: str, documents: list[bytes], clients: int) -> Measure:
    """Each document posted once, by `clients` connections at once: the latency of each
    accepted one (202, left to its task), the others counted as errors."""
    measure = Measure(f"POST /api/orders/, {clients} clients", unit="orders/s")
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {key}"}

    def send(share):
        client = HTTP(url)
        for body in share:
            began = time.perf_counter()
            status, _content = client.request("POST", "/api/orders/", body, headers)
            with lock:
                if status == 202:
                    measure.samples.append(time.perf_counter() - began)
                else:
                    measure.errors += 1

    threads = [threading.Thread(target=send, args=(documents[n::clients],)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return measure


def wait_processed(source: str, count: int, timeout: float = 300) -> tuple[float | None, int]:
    """(when the last of the `count` rows the token posted was processed, how many did not
    become an order), waiting at most `timeout` seconds for their tasks."""
    from django.db.models import Max

    from orders.models import OrderInbox

    rows = OrderInbox.objects.filter(source=source)
    deadline = time.monotonic() + timeout
    while rows.filter(status=OrderInbox.Status.RECEIVED).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    last = rows.aggregate(last=Max("processed_at"))["last"]
    return (last.timestamp() if last else None), count - rows.filter(status=OrderInbox.Status.ACCEPTED).count()


def insert_bare(run: str, documents: list[bytes], clients: int) -> Measure:
    """The anchor: each order as one INSERT of its row and one of its items, in one
    transaction, by `clients` connections at once; the rows are deleted afterwards."""
    from django.db import connection, transaction

    from inventory.models import Product
    from orders.models import Customer
    from orders.services import ORDER_NUMBERS

    product_ids = dict(Product.objects.filter(sku__startswith=run).values_list("sku", "pk"))
    customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    orders = [json.loads(body) for body in documents]
    marker = f"BARE-{run}"

    def write(share):
        try:
            for document in share:
                items = [(product_ids[item["sku"]], item["sku"], item["quantity"]) for item in document["items"]]
                items_total = Decimal(10 * sum(quantity for _pk, _sku, quantity in items))
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO orders_order (number, channel, external_id, integration, customer_id, status,"
                        " hold, validation_failures, ship_recipient, ship_cep, ship_street, ship_number,"
                        " ship_complement, ship_district, ship_city_code, ship_city_name, ship_uf, items_total,"
                        " discount_total, shipping_total, total, paid_amount, notes, placed_at, created_at,"
                        " updated_at) VALUES (nextval(%s), 'web', %s, %s, %s, 'new', '{}', '[]', %s, '01310100',"
                        " 'Avenida Paulista', '1000', '', 'Bela Vista', '3550308', 'São Paulo', 'SP', %s, 0, %s,"
                        " %s, 0, '', now(), now(), now()) RETURNING id",
                        [ORDER_NUMBERS, document["external_id"], marker, customer, document["customer"]["name"],
                         items_total, SHIPPING, items_total + SHIPPING])
                    order_id = cursor.fetchone()[0]
                    cursor.execute(
                        "INSERT INTO orders_orderitem (order_id, product_id, sku, name, quantity, unit_price,"
                        " discount, total) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, 10, 0, %s)"] * len(items)),
                        [value for pk, sku, quantity in items
                         for value in (order_id, pk, sku, sku, quantity, quantity * 10)])
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(orders[n::clients],)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_orderitem WHERE order_id IN (SELECT id FROM orders_order"
                       " WHERE integration = %s)", [marker])
        cursor.execute("DELETE FROM orders_order WHERE integration = %s", [marker])
        written = cursor.rowcount
    return Measure("bare INSERT of order + items", per_second=written / seconds, unit="orders/s",
                   errors=len(orders) - written)


@scenario("order intake")
def order_intake(bench):
    from backoffice.api import api_token_create

    run, products = create_stock(units=1_000_000)
    name = f"bench intake {uuid.uuid4().hex[:8]}"
    key = api_token_create(name=name, integration=INTEGRATION, channels=["web"])[1]
    documents = order_documents(run, list(products.values()), bench.intake_orders)
    worker = start_worker(bench.url)  # every posted order is made by its task
    time.sleep(3)  # the worker connects to Redis
    try:
        began = time.time()
        measure = post_orders(bench.url, key, documents, bench.clients)
        last, not_orders = wait_processed(f"api:{name}", len(documents))
    finally:
        bench.rss["celery worker (intake)"] = worker.peak_rss_mib()
        worker.stop()
    measure.per_second = (len(documents) - not_orders) / max((last or time.time()) - began, 1e-9)
    anchor = insert_bare(run, documents, bench.clients)
    if not_orders:
        bench.failures.append(f"order intake: {not_orders} of {len(documents)} posted orders did not become orders")
    return [Result("order intake", measure, anchor, by_rate=True, budget=f"≥ {BUDGET_PER_SECOND:,} orders/s",
                   met=not not_orders and measure.per_second >= BUDGET_PER_SECOND,
                   notes=[f"{len(documents)} orders of 1–3 items, {CUSTOMERS} customers (found by CPF), "
                          f"{bench.clients} clients; measured until each is an order (processed_at)"])]
