"""The order list's search finds what staff type: names without accents or in any case, e-mails,
SKUs (the orders containing them), and nothing else; on PostgreSQL through its indexes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Product
from orders import filters
from orders.models import Customer, Order, OrderItem
from tests.factories import ProductFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db

# name, e-mail, the SKUs of each of its orders
CUSTOMERS = [
    ("João Pereira", "Joao.Pereira@Example.com", [["CAM-AZUL-P"], ["CAM-AZUL-M", "BONE-1"]]),
    ("JOÃO SANTOS", "joao.pereira2@example.com", [["BONE-1"]]),
    ("joão lima", "", [["CAM-VERDE-P"]]),
    ("Joao Sem Acento", "jsa@example.com", [["BONE-10"]]),
    ("Joaquim Barbosa", "joaquim@example.com", [["CAM-AZUL-P"]]),
    ("Conceição Araújo", "ceicao@example.com", [["CAMISA"]]),
]


def _order(number, customer, skus):
    order = Order.objects.create(number=number, customer=customer, ship_recipient=customer.name, ship_cep="01310100",
                                 ship_street="Avenida Paulista", ship_number="1", ship_district="Bela Vista",
                                 ship_city_code="3550308", ship_city_name="São Paulo", ship_uf="SP")
    for sku in skus:
        product = Product.objects.filter(sku=sku).first() or ProductFactory(sku=sku)
        OrderItem.objects.create(order=order, product=product, sku=sku, name=product.name, quantity=1,
                                 unit_price=Decimal("10.00"), total=Decimal("10.00"))
    return order


@pytest.fixture
def orders(client_as):
    """Each customer above with its orders (one item of each SKU listed); the orders by the
    customer's name and by SKU."""
    by_name, by_sku = {}, {}
    number = 5000
    for i, (name, email, baskets) in enumerate(CUSTOMERS):
        customer = Customer.objects.create(name=name, email=email, document=f"{i + 1:011d}")
        for skus in baskets:
            number += 1
            _order(number, customer, skus)
            by_name.setdefault(name, set()).add(number)
            for sku in skus:
                by_sku.setdefault(sku, set()).add(number)
    return client_as("staff"), by_name, by_sku


def found(client, text):
    response = client.get("/orders/", {"q": text})
    assert response.status_code == 200
    return {order.number for order in response.context["table"].page.object_list}


@pytest.mark.parametrize("typed", ["Joao", "joao", "JOAO", "João", "joão", "JOÃO", "jOãO"])
def test_a_name_is_found_with_or_without_its_accents_in_any_case(orders, typed):
    client, by_name, _ = orders
    joaos = by_name["João Pereira"] | by_name["JOÃO SANTOS"] | by_name["joão lima"] | by_name["Joao Sem Acento"]
    assert found(client, typed) == joaos  # Joaquim is no João


def test_any_part_of_a_name_is_found_and_nothing_else(orders):
    client, by_name, _ = orders
    assert found(client, "conceicao araujo") == found(client, "CEIÇÃO") == by_name["Conceição Araújo"]
    assert found(client, "joão p") == by_name["João Pereira"]
    assert found(client, "Joaquina") == found(client, "Joãozinho") == set()
    assert found(client, "jo_o") == found(client, "jo%o") == set()  # typed, not wildcards
    assert found(client, "oã") == set()  # a name is found by three letters or more
    assert found(client, "oão") == found(client, "joao")


def test_an_e_mail_finds_its_customer_orders_whole_or_by_its_beginning(orders):
    client, by_name, _ = orders
    pereira = by_name["João Pereira"]
    assert found(client, "joao.pereira@example.com") == found(client, "JOAO.PEREIRA@EXAMPLE.COM") == pereira
    assert found(client, "joao.pereira@exa") == pereira  # not joao.pereira2@
    assert found(client, "joao.pereira") == pereira | by_name["JOÃO SANTOS"]
    assert found(client, "pereira@example.com") == found(client, "nobody@example.com") == set()


def test_a_sku_finds_the_orders_containing_it_whole_or_by_its_beginning(orders):
    client, _, by_sku = orders
    assert found(client, "CAM-AZUL-P") == found(client, "cam-azul-p") == by_sku["CAM-AZUL-P"]
    assert found(client, "cam-azul") == by_sku["CAM-AZUL-P"] | by_sku["CAM-AZUL-M"]
    assert found(client, "BONE-1") == by_sku["BONE-1"] | by_sku["BONE-10"]
    assert found(client, "CAM") == set().union(*(by_sku[sku] for sku in ("CAM-AZUL-P", "CAM-AZUL-M", "CAM-VERDE-P",
                                                                            "CAMISA")))
    assert found(client, "AZUL") == found(client, "CAM-AZUL-G") == set()  # a SKU's middle is no SKU


def test_a_short_sku_is_matched_whole(client_as):
    client = client_as("staff")
    customer = Customer.objects.create(name="Ana", document="12345678909")
    _order(7001, customer, ["X1"])
    _order(7002, customer, ["X10"])
    assert found(client, "x1") == {7001}
    assert found(client, "X10") == {7002}


def test_matches_too_many_to_write_out_are_asked_for_in_a_subquery_with_the_same_answer(orders, monkeypatch):
    client, by_name, by_sku = orders
    typed = ["cam-azul", "BONE-1", "CAM", "joao.pereira", "00000000", "5001"]
    written_out = [found(client, text) for text in typed]
    monkeypatch.setattr(filters, "SKU_ITEMS", 1)
    monkeypatch.setattr(filters, "CUSTOMER_MATCHES", 1)
    assert [found(client, text) for text in typed] == written_out
    assert written_out[1] == by_sku["BONE-1"] | by_sku["BONE-10"]
    assert len(written_out[4]) == sum(len(baskets) for _, _, baskets in CUSTOMERS)  # every CPF starts so


@pytest.fixture
def many_orders(client_as):
    """110 orders of João Pereira, each containing the SKU CAM-AZUL-P."""
    customer = Customer.objects.create(name="João Pereira", email="joao@example.com", document="39053344705")
    product = ProductFactory(sku="CAM-AZUL-P")
    placed = Order.objects.bulk_create([
        Order(number=9000 + i, customer=customer, ship_recipient=customer.name, ship_cep="01310100",
              ship_street="Avenida Paulista", ship_number="1", ship_district="Bela Vista", ship_city_code="3550308",
              ship_city_name="São Paulo", ship_uf="SP") for i in range(110)])
    OrderItem.objects.bulk_create([
        OrderItem(order=order, product=product, sku=product.sku, name=product.name, quantity=1,
                  unit_price=Decimal("10.00"), total=Decimal("10.00")) for order in placed])
    return client_as("staff")


@pytest.mark.parametrize("typed", ["joao", "joao@example.com", "cam-azul-p", "390.533"])
def test_a_search_runs_the_same_queries_for_25_rows_as_for_100(many_orders, typed):
    counts, shown = queries_per_page_size(many_orders, "/orders/", {"q": typed})
    assert shown == [25, 100]
    assert counts[0] == counts[1]


def _plans(client, text):
    """The query plans of the order list's queries for `text`, with sequential and plain index
    scans made as dear as the planner allows (the tables are tiny): a bitmap scan of an index
    that answers the search is then used, if the query's expression is the index's."""
    with CaptureQueriesContext(connection) as queries:
        client.get("/orders/", {"q": text})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plans = []
        for query in queries.captured_queries:
            if not query["sql"].startswith("SELECT"):  # the session's and savepoints
                continue
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n".join(plans)


@pytest.mark.postgres
@pytest.mark.parametrize("typed, index", [
    ("joao", "orders_customer_name_folded_trgm"),
    ("JOÃO pe", "orders_customer_name_folded_trgm"),
    ("joao.pereira@exa", "orders_customer_email_upper_prefix"),
    ("cam-azul", "inventory_product_sku_upper_prefix"),
    ("cam-azul", "orderitem_product_order"),
])
def test_on_postgresql_the_search_reads_the_indexes(orders, typed, index):
    client, _, _ = orders
    assert index in _plans(client, typed)
