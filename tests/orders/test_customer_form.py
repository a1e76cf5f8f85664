"""The customer form: a CPF/CNPJ identifies one customer, said before anything is saved; the
customer's numbers shown formatted."""

import pytest

from orders.models import Customer
from tests.orders.test_screens import CUSTOMER

pytestmark = pytest.mark.django_db


def test_the_same_cpf_saved_again_is_refused_offering_the_customer_who_has_it(client_as):
    client = client_as("staff")
    client.post("/orders/customers/new/", CUSTOMER)
    first = Customer.objects.get()
    response = client.post("/orders/customers/new/", {**CUSTOMER, "customer-name": "João P.",
                                                      "customer-document": "39053344705"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Este CPF/CNPJ já está cadastrado para João Pereira." in html
    assert f'href="/orders/customers/{first.pk}/"' in html and f'href="/orders/new/?customer={first.pk}"' in html
    assert list(Customer.objects.all()) == [first] and first.addresses.count() == 1


def test_typing_a_cpf_in_use_warns_on_the_form_before_it_is_sent(client_as, customer):
    client = client_as("staff")
    html = client.get("/orders/customers/document/", {"customer-document": "390.533.447-05"}).content.decode()
    assert 'data-testid="document-in-use"' in html and "390.533.447-05 já está cadastrado para Maria da Silva" in html
    assert f'href="/orders/customers/{customer.pk}/"' in html
    # Its own document, an unused one, an incomplete one, garbage: nothing to warn about.
    for query in ({"customer-document": "39053344705", "customer": customer.pk},
                  {"customer-document": "111.444.777-35"}, {"customer-document": "390.533"},
                  {"customer-document": "\x00", "customer": "9" * 30}):
        html = client.get("/orders/customers/document/", query).content.decode()
        assert "document-in-use" in html and "já está cadastrado" not in html


def test_the_edit_form_refuses_another_customers_cpf(client_as, customer):
    other = Customer.objects.create(kind="person", name="Otávio Lima", document="11144477735")
    form = {"customer-kind": "person", "customer-name": "Otávio Lima", "customer-document": "390.533.447-05"}
    response = client_as("staff").post(f"/orders/customers/{other.pk}/edit/", form)
    assert "já está cadastrado para Maria da Silva" in response.content.decode()
    other.refresh_from_db()
    assert other.document == "11144477735"


def test_customers_sharing_a_cpf_from_before_the_rule_still_save(client_as, customer):
    twin = Customer.objects.create(kind="person", name="Maria S.", document=customer.document)
    form = {"customer-kind": "person", "customer-name": "Maria S.", "customer-document": "390.533.447-05",
            "customer-phone": "11987654321"}
    response = client_as("staff").post(f"/orders/customers/{twin.pk}/edit/", form)
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.phone == "11987654321"


def test_a_merged_customer_leaves_its_cpf_to_the_one_it_was_merged_into(client_as, customer):
    Customer.objects.create(kind="person", name="Otávio Lima", document="11144477735", merged_into=customer)
    html = client_as("staff").get("/orders/customers/document/", {"customer-document": "11144477735"}).content.decode()
    assert "já está cadastrado" not in html


def test_the_customer_page_and_the_search_show_the_cpf_and_the_phone_formatted(client_as, customer):
    customer.phone = "11987654321"
    customer.save()
    client = client_as("staff")
    page = client.get(f"/orders/customers/{customer.pk}/").content.decode()
    assert "390.533.447-05" in page and "(11) 98765-4321" in page
    assert "390.533.447-05" in client.get("/orders/customers/search/", {"q": "Maria"}).content.decode()
    listed = client.get("/orders/customers/").content.decode()
    assert "390.533.447-05" in listed and "(11) 98765-4321" in listed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_new_cpf_saved_by_eight_clerks_at_once_registers_one_customer():
    from orders import services
    from tests.concurrency import at_once

    results = at_once(lambda n: services.customer_save(
        customer=Customer(kind="person", name=f"Cliente {n}", document="39053344705"), user=None), 8)
    assert Customer.objects.filter(document="39053344705").count() == 1
    assert sorted(type(result).__name__ for result in results) == ["Customer"] + ["DocumentInUse"] * 7
