"""The JSON API a web store or an ERP posts orders to."""

import json
from decimal import Decimal

import pytest

from backoffice.api import api_token_create
from inventory import services as inventory
from inventory.models import StockLevel, Warehouse
from orders.models import Customer, Order, OrderInbox
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ORDER = {
    "channel": "web", "external_id": "LOJA-5001", "shipping": "12.50",
    "customer": {"document": "390.533.447-05", "name": "Maria da Silva", "email": "maria@example.com"},
    "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1000", "district": "Bela Vista",
                "city_ibge": "3550308"},
    "items": [{"sku": "CAM-1", "quantity": 2, "unit_price": "59.90", "discount": "0"}],
}


@pytest.fixture
def key(db):
    product = ProductFactory(sku="CAM-1")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    return api_token_create(name="loja virtual")[1]


def post(client, body, key):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/orders/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_web_store_posts_an_order_and_posting_it_again_changes_nothing(client, key):
    first = post(client, ORDER, key)
    assert first.status_code == 201, first.content
    body = first.json()
    order = Order.objects.get()
    assert (body["number"], body["status"], body["total"], body["created"]) == (order.number, "awaiting_payment", "132.30", True)
    assert order.customer.document == "39053344705" and order.ship_city_name == "São Paulo"
    again = post(client, ORDER, key)
    assert again.status_code == 200 and again.json()["created"] is False
    assert Order.objects.count() == 1 and Customer.objects.count() == 1
    assert StockLevel.objects.get().reserved == 2
    assert list(OrderInbox.objects.values_list("status", flat=True)) == ["accepted", "accepted"]


def test_bad_fields_get_a_400_naming_each_one_and_change_nothing(client, key):
    bad = {**ORDER, "customer": {**ORDER["customer"], "document": "390.533.447-00"},
           "address": {**ORDER["address"], "city_ibge": "9999999"},
           "items": [{"sku": "NOPE", "quantity": 0, "unit_price": "x"}]}
    response = post(client, bad, key)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["customer.document"] == ["CPF inválido: confira os dígitos."]
    assert errors["address.city_ibge"] == ["código IBGE de município desconhecido"]
    assert set(errors) >= {"items[0].sku", "items[0].quantity", "items[0].unit_price"}
    assert not Order.objects.exists() and not Customer.objects.exists()
    inbox = OrderInbox.objects.get()
    assert inbox.status == "rejected" and json.loads(inbox.payload)["external_id"] == "LOJA-5001"


@pytest.mark.parametrize("body", ["{not json", json.dumps([1, 2]), json.dumps({**ORDER, "items": []})])
def test_a_body_that_is_no_order_gets_a_400_and_is_kept(client, key, body):
    response = post(client, body, key)
    assert response.status_code == 400 and response.json()["errors"]
    assert OrderInbox.objects.get().payload == body


@pytest.mark.parametrize("header", ["", "Token wrong", "Bearer x"])
def test_without_a_valid_token_the_api_answers_401_and_keeps_nothing(client, key, header):
    response = client.post("/api/orders/", json.dumps(ORDER), content_type="application/json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert not OrderInbox.objects.exists()


def test_a_revoked_token_is_refused(client, key):
    from django.utils import timezone

    from backoffice.models import ApiToken

    ApiToken.objects.update(revoked_at=timezone.now())
    assert post(client, ORDER, key).status_code == 401


def test_a_company_without_its_state_registration_or_too_many_items_is_refused(client, key):
    company = {**ORDER, "customer": {"document": "11.222.333/0001-81", "name": "Empresa X"}}
    assert post(client, company, key).json()["errors"]["customer.state_registration"]
    many = {**ORDER, "items": ORDER["items"] * 201}
    assert post(client, many, key).json()["errors"]["items"] == ["No máximo 200 itens por pedido."]
    assert not Order.objects.exists()


def test_another_apartment_at_the_same_number_is_a_new_address(client, key):
    post(client, ORDER, key)
    other = {**ORDER, "external_id": "LOJA-5002", "address": {**ORDER["address"], "complement": "apto 12"}}
    post(client, other, key)
    first, second = Order.objects.order_by("pk")
    assert (first.ship_complement, second.ship_complement) == ("", "apto 12")
    assert Customer.objects.get().addresses.count() == 2
