"""What people and integrations type where it matters: amounts of money (one field for all
of them, backoffice.forms.AmountField: as Brazilians write them on screens, plainly in the API) and
CPF/CNPJ (one validator, orders.validators)."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from backoffice.api import api_token_create
from inventory import services as inventory
from inventory.forms import ProductForm, ReceiptForm
from inventory.importers import COST
from inventory.models import Warehouse
from orders.forms import CustomerForm, IntakeForm, IntakeItemForm, OrderForm, OrderItemForm
from orders.models import Customer, Order
from orders.validators import clean_document
from payments.forms import CashEntryForm, ManualPaymentForm, RefundForm
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

FORMAT = "dígitos de 0 a 9"
# Every form where money is typed, with one of its amount fields.
MONEY_INPUTS = [
    (OrderItemForm, "unit_price"), (OrderItemForm, "discount"), (OrderForm, "shipping"), (IntakeForm, "shipping"),
    (IntakeItemForm, "unit_price"), (IntakeItemForm, "discount"), (ProductForm, "price"), (ReceiptForm, "unit_cost"),
    (RefundForm, "amount"), (ManualPaymentForm, "amount"), (CashEntryForm, "amount"),
]
API_INPUTS = [(form_class, field) for form_class, field in MONEY_INPUTS if form_class in (IntakeForm, IntakeItemForm)]
SCREEN_INPUTS = [entry for entry in MONEY_INPUTS if entry not in API_INPUTS]


@pytest.mark.parametrize("form_class,field", MONEY_INPUTS)
@pytest.mark.parametrize("typed", ["1e3", "0,5e0", "١٢٥,٩٠", "１２５", "Infinity", "NaN", "1_000", "+5"])
def test_every_money_input_refuses_what_is_no_plain_amount(form_class, field, typed):
    errors = form_class(data={field: typed}).errors[field]
    assert any(FORMAT in error for error in errors), errors


@pytest.mark.parametrize("form_class,field", SCREEN_INPUTS)
@pytest.mark.parametrize("typed", ["1.234,56", "R$ 1.234,56", "R$1.234,56", "1234,56", "1234.56"])
def test_every_money_input_on_a_screen_takes_an_amount_as_brazilians_write_it(form_class, field, typed):
    form = form_class(data={field: typed})
    form.is_valid()
    assert field not in form.errors
    assert form.cleaned_data[field] == Decimal("1234.56")


@pytest.mark.parametrize("form_class,field", SCREEN_INPUTS)
@pytest.mark.parametrize("typed", ["1,234.56", "1.234.56", "12,5,0"])
def test_every_money_input_on_a_screen_names_the_form_it_expects_when_separators_are_ambiguous(form_class, field,
                                                                                              typed):
    assert any("Use 1.234,56" in error for error in form_class(data={field: typed}).errors[field])


@pytest.mark.parametrize("form_class,field", API_INPUTS)
@pytest.mark.parametrize("typed", ["1.234,56", "R$ 10", "1.234", "12,5,0"])
def test_the_api_keeps_its_plain_amounts_refusing_grouping_and_currency(form_class, field, typed):
    assert field in form_class(data={field: typed}).errors


@pytest.mark.parametrize("form_class,field", MONEY_INPUTS)
@pytest.mark.parametrize("typed", ["125,90", "125.90", " 125,9 ", "125"])
def test_every_money_input_takes_an_amount_with_a_comma_or_a_point(form_class, field, typed):
    form = form_class(data={field: typed})
    form.is_valid()
    assert field not in form.errors
    assert form.cleaned_data[field] in (Decimal("125.90"), Decimal("125"))


def test_the_catalog_import_reads_the_cost_the_same_way():
    assert COST.clean("22,50") == Decimal("22.50")
    with pytest.raises(ValidationError, match=FORMAT):
        COST.clean("2e1")


@pytest.mark.parametrize("document,kind", [
    ("111.111.111-11", "person"), ("999.999.999-99", "person"), ("000.000.000-00", "person"),
    ("00.000.000/0000-00", "company"), ("11.111.111/1111-11", "company"),
])
def test_a_cpf_or_cnpj_of_one_repeated_digit_is_refused(document, kind):
    with pytest.raises(ValidationError, match="inválido: confira os dígitos"):
        clean_document(document)
    form = CustomerForm(data={"kind": kind, "name": "X", "document": document, "state_registration": "ISENTO"},
                        prefix=None)
    assert "document" in form.errors


def test_the_api_refuses_a_repeated_digit_cpf_and_an_exponent_price(client):
    product = ProductFactory(sku="CAM-1")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    key = api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])[1]
    order = {
        "channel": "web", "external_id": "LOJA-1", "customer": {"document": "111.111.111-11", "name": "Maria"},
        "address": {"cep": "01310-100", "street": "Avenida Paulista", "number": "1000", "district": "Bela Vista",
                    "city_ibge": "3550308"},
        "items": [{"sku": "CAM-1", "quantity": 1, "unit_price": "1e3"}],
    }
    response = client.post("/api/orders/", json.dumps(order), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["customer.document"] == ["CPF inválido: confira os dígitos."]
    assert any(FORMAT in error for error in errors["items[0].unit_price"])
    assert not Order.objects.exists() and not Customer.objects.exists()
