"""The staff order form as it is filled in: the customer's only address comes chosen, and
each typed item shows its free stock and total, with the order's total, before it is placed."""

from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import Warehouse
from orders.models import Address, City
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ROWS = {"items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50",
        "items-1-product": "", "items-1-quantity": "1", "items-2-product": "", "items-2-quantity": "1"}


@pytest.fixture
def product(db):
    product = ProductFactory(sku="CAM-1", gtin="7891000315507", name="Camiseta", price=Decimal("50.00"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    return product


def _summary(client, **typed):
    return client.get("/orders/new/summary/", {**ROWS, "shipping": "10,00", **typed}).content.decode()


def test_the_only_address_of_the_customer_comes_chosen(client_as, address):
    client = client_as("staff")
    html = client.get("/orders/customers/addresses/", {"customer": address.customer_id}).content.decode()
    assert f'<option value="{address.pk}" selected>' in html
    page = client.get("/orders/new/", {"customer": address.customer_id}).content.decode()
    assert f'<option value="{address.pk}" selected>' in page


def test_a_customer_with_two_addresses_chooses_one(client_as, address):
    Address.objects.create(customer=address.customer, cep="20040002", street="Rua da Assembleia", number="10",
                           district="Centro", city=City.objects.get(code="3304557"))
    html = client_as("staff").get("/orders/customers/addresses/", {"customer": address.customer_id}).content.decode()
    assert "selected>" not in html.replace('<option value="" selected>', "")


def test_typed_items_show_their_free_stock_line_totals_and_the_order_total(client_as, product):
    html = _summary(client_as("staff"), **{"items-0-product": "7891000315507", "items-0-quantity": "2",
                                           "items-0-unit_price": "", "items-0-discount": "5,00"})
    assert "CAM-1 — Camiseta" in html
    assert '<td class="text-end" data-testid="free">5</td>' in html
    assert 'data-testid="line-total">R$\xa095,00<' in html  # 2 × 50,00 − 5,00
    assert "−R$\xa05,00" in html and "R$\xa010,00" in html  # the discount, the shipping
    assert 'data-testid="order-total">R$\xa0105,00<' in html


def test_more_than_is_free_is_said_before_the_order_is_placed(client_as, product):
    html = _summary(client_as("staff"), **{"items-0-product": "CAM-1", "items-0-quantity": "7",
                                           "items-0-unit_price": "40,00"})
    assert "insuficiente: o pedido aguarda estoque" in html
    assert 'data-testid="order-total">R$\xa0290,00<' in html  # 7 × 40,00 + 10,00


def test_a_row_still_being_typed_says_why_and_the_rest_still_adds_up(client_as, product):
    html = _summary(client_as("staff"), **{"items-0-product": "CAM-1", "items-0-quantity": "1",
                                           "items-1-product": "CAM", "items-1-quantity": "1"})
    assert "Nenhum produto ativo tem o SKU ou GTIN “CAM”" in html
    assert 'data-testid="order-total">R$\xa060,00<' in html


@pytest.mark.parametrize("typed,message", [
    ({"items-0-discount": "500,00"}, "o desconto é maior que o item"),
    ({"shipping": "dez"}, "Digite o frete como um valor"),
])
def test_amounts_no_order_can_have_are_said_instead_of_a_total(client_as, product, typed, message):
    html = _summary(client_as("staff"), **{"items-0-product": "CAM-1", "items-0-quantity": "1", **typed})
    assert message in html and "order-total" not in html


def test_nothing_typed_or_garbage_is_a_hint_not_an_error(client_as):
    client = client_as("staff")
    assert "Digite o SKU ou GTIN de um item" in client.get("/orders/new/summary/").content.decode()
    response = client.get("/orders/new/summary/", {**ROWS, "items-TOTAL_FORMS": "x\x00", "customer": "9" * 30})
    assert response.status_code == 200


def test_only_who_takes_orders_sees_the_summary(client_as):
    assert client_as("finance").get("/orders/new/summary/").status_code == 403
