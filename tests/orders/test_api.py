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
    return api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])[1]


def post(client, body, key):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/orders/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def take(client, run_queued_tasks):
    """`take(body, key)`: post an order and let the task its 202 queued run, as a store sees it:
    (the POST's answer, the inbox entry read afterwards at its `Location` — None when there
    was no 202)."""

    def post_and_process(body, key):
        with run_queued_tasks():
            posted = post(client, body, key)
        if posted.status_code != 202:
            return posted, None
        return posted, client.get(posted["Location"], HTTP_AUTHORIZATION=f"Token {key}").json()

    return post_and_process


def test_a_web_store_posts_an_order_and_posting_it_again_changes_nothing(client, key, take):
    first, entry = take(ORDER, key)
    assert first.status_code == 202, first.content
    body = entry["order"]
    order = Order.objects.get()
    assert ((entry["status"], body["number"], body["status"], body["total"])
            == ("accepted", order.number, "awaiting_payment", "132.30"))
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
    response = client.post("/api/orders/", json.dumps(ORDER), content_type="application/json",
                           HTTP_AUTHORIZATION=header)
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


def test_another_apartment_at_the_same_number_is_a_new_address(client, key, take):
    take(ORDER, key)
    other = {**ORDER, "external_id": "LOJA-5002", "address": {**ORDER["address"], "complement": "apto 12"}}
    take(other, key)
    first, second = Order.objects.order_by("pk")
    assert (first.ship_complement, second.ship_complement) == ("", "apto 12")
    assert Customer.objects.get().addresses.count() == 2


def test_a_token_posting_for_a_channel_it_was_not_given_gets_a_403_and_the_row_is_rejected(client, key):
    response = post(client, {**ORDER, "channel": "mercadolivre"}, key)
    assert response.status_code == 403
    assert response.json()["errors"]["channel"] == ["Este token só pode enviar pedidos para: web."]
    assert not Order.objects.exists()
    assert OrderInbox.objects.get().status == "rejected"


def test_another_integration_posting_the_same_external_id_gets_its_own_order_never_the_first_one(
        client, key, take):
    erp = api_token_create(name="ERP", integration="erp", channels=["web"])[1]
    first = take(ORDER, key)[1]["order"]
    other, entry = take({**ORDER, "items": [{**ORDER["items"][0], "quantity": 1}]}, erp)
    assert other.status_code == 202
    theirs = entry["order"]
    assert theirs["id"] != first["id"] and theirs["number"] != first["number"] and theirs["total"] == "72.40"
    assert post(client, ORDER, erp).json()["id"] == theirs["id"]  # the ERP's again, not the store's
    assert dict(Order.objects.values_list("integration", "external_id")) == {"loja-virtual": "LOJA-5001",
                                                                              "erp": "LOJA-5001"}


def test_a_rotated_key_of_the_same_integration_finds_the_orders_the_old_one_posted(client, key, take):
    first = take(ORDER, key)[1]["order"]
    rotated = api_token_create(name="loja virtual 2027", integration="loja-virtual", channels=["web"])[1]
    again = post(client, ORDER, rotated)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Order.objects.count() == 1


def test_a_spreadsheet_import_has_no_integration_and_keeps_its_own_orders(client, key, take):
    from orders import services
    from orders.forms import IntakeForm, IntakeItemForm

    take(ORDER, key)
    form = IntakeForm({**{k: v for section in ("customer", "address") for k, v in ORDER[section].items()},
                       "channel": "web", "external_id": "LOJA-5001"})
    item = IntakeItemForm(ORDER["items"][0])
    assert form.is_valid() and item.is_valid()
    imported, created = services.order_receive(data=form.cleaned_data, items=[item.cleaned_data])
    assert created and imported.integration == ""
    assert services.order_receive(data=form.cleaned_data, items=[item.cleaned_data]) == (imported, False)


def test_the_api_answers_any_other_method_with_a_json_405(client, key):
    response = client.get("/api/orders/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response["Content-Type"] == "application/json" and response.json()["error"]
