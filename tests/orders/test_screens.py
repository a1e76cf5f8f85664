"""What staff do in the browser: register a customer, place an order, move it along."""

from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import StockLevel, Warehouse
from orders.models import Address, Customer, Order
from payments.models import ProviderAccount
from tests.factories import ProductFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db

CUSTOMER = {
    "customer-kind": "person", "customer-name": "João Pereira", "customer-document": "390.533.447-05",
    "customer-email": "joao@example.com", "customer-phone": "11 99999-0000",
    "address-cep": "01310-100", "address-recipient": "", "address-street": "Avenida Paulista", "address-number": "1000",
    "address-complement": "", "address-district": "Bela Vista", "address-uf": "SP", "address-city": "3550308",
    "address-is_default": "on",
}


def test_staff_register_a_customer_with_a_valid_cpf_and_an_address(client_as):
    response = client_as("staff").post("/orders/customers/new/", CUSTOMER)
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/customers/{customer.pk}/"
    assert customer.document == "39053344705"
    assert customer.addresses.get().city.name == "São Paulo"


@pytest.mark.parametrize("change,message", [
    ({"customer-document": "390.533.447-00"}, "CPF inválido: confira os dígitos"),
    ({"address-cep": "2004000"}, "O CEP tem 8 dígitos"),
    ({"address-cep": "20040-002"}, "Este CEP é de RJ, não de SP"),
    ({"customer-kind": "company", "customer-document": "11.222.333/0001-81"}, "inscrição estadual (IE) ou ISENTO"),
    ({"address-city": "3304557"}, "Faça uma escolha válida"),
])
def test_bad_customer_data_is_refused_with_a_clear_message(client_as, change, message):
    response = client_as("staff").post("/orders/customers/new/", {**CUSTOMER, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Customer.objects.exists()


def test_a_cep_fills_the_uf_and_offers_its_cities(client_as):
    html = client_as("staff").get("/orders/customers/address-fields/", {
        "from_cep": "1", "address-cep": "20040-002", "address-uf": ""}).content.decode()
    assert '<option value="RJ" selected>' in html
    assert "Rio de Janeiro" in html and "Niterói" in html and "Campinas" not in html


def test_the_customer_page_offers_to_merge_a_duplicate(client_as):
    client = client_as("staff")
    client.post("/orders/customers/new/", CUSTOMER)
    # The form refuses a CPF in use: this one was registered before that rule.
    Customer.objects.create(kind="person", name="João P.", document="39053344705")
    first, second = Customer.objects.order_by("pk")
    assert "Possíveis duplicados" in client.get(f"/orders/customers/{first.pk}/").content.decode()
    client.post(f"/orders/customers/{first.pk}/merge/", {"other": second.pk})
    second.refresh_from_db()
    assert second.merged_into == first
    assert client.get(f"/orders/customers/{second.pk}/")["Location"] == f"/orders/customers/{first.pk}/"


@pytest.fixture
def ready(client_as):
    client = client_as("staff")
    client.post("/orders/customers/new/", CUSTOMER)
    product = ProductFactory(sku="CAM-1", gtin="7891000315507", price=Decimal("50.00"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    return client, Customer.objects.get(), product


def test_staff_place_an_order_by_gtin_and_move_it_through_the_pipeline(ready):
    client, customer, product = ready
    assert customer.name in client.get("/orders/customers/search/", {"q": "390533"}).content.decode()
    form = {
        "customer": customer.pk, "address": customer.addresses.get().pk, "channel": "phone", "shipping": "10,00",
        "notes": "", "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50", "items-0-product": "7891000315507", "items-0-quantity": "2",
        "items-0-unit_price": "", "items-0-discount": "",
        # The untouched extra rows, as the browser sends them.
        "items-1-product": "", "items-1-quantity": "1", "items-2-product": "", "items-2-quantity": "1",
    }
    response = client.post("/orders/new/", form)
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    assert (order.total, order.status) == (Decimal("110.00"), "awaiting_payment")
    assert StockLevel.objects.get(product=product).reserved == 2
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="manual-payment"' in page and f"/orders/{order.pk}/pay/" not in page
    paid = client.post("/payments/new/", {"account": account.pk, "order": order.number, "method": "pix",
                                          "amount": "110,00", "paid_on": "2026-03-10", "reference": "E2E-1",
                                          "next": f"/orders/{order.pk}/"})
    assert paid["Location"] == f"/orders/{order.pk}/"
    # The order is invoiced when SEFAZ authorizes its NF-e (tests/fiscal, tests/e2e/test_fiscal.py), shipped with
    # its last parcel and delivered by its carrier (tests/logistics, tests/e2e/test_logistics.py): no action here.
    for action in ("invoice", "ship", "deliver"):
        assert client.post(f"/orders/{order.pk}/{action}/").status_code == 404
    from orders import services

    services.order_invoice(order=order, user=None)
    services.order_ship(order=order, user=None)
    services.order_deliver(order=order)
    order.refresh_from_db()
    assert order.status == "delivered"
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Entregue" in page and "Enviado" in page and "Pronto para envio" in page
    assert StockLevel.objects.get(product=product).on_hand == 3


def test_an_order_form_without_items_or_with_an_unknown_code_is_refused(ready):
    client, customer, product = ready
    form = {"customer": customer.pk, "address": customer.addresses.get().pk, "channel": "phone", "shipping": "0",
            "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "50", "items-0-product": "", "items-0-quantity": "1"}
    assert "Adicione pelo menos um item" in client.post("/orders/new/", form).content.decode()
    form["items-0-product"] = "NOPE"
    assert "Nenhum produto ativo tem o SKU ou GTIN “NOPE”" in client.post("/orders/new/", form).content.decode()
    assert not Order.objects.exists()


def test_cancelling_from_the_page_releases_the_stock(ready):
    client, customer, product = ready
    from orders import services

    order, _ = services.order_create(customer=customer, address=customer.addresses.get(), channel="manual",
                                     items=[services.ItemInput(product, 3, Decimal("50"))])
    client.post(f"/orders/{order.pk}/cancel/", {"reason": "desistiu"})
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert StockLevel.objects.get(product=product).available == 5


def test_the_order_list_filters_and_keeps_a_constant_number_of_queries(ready):
    client, customer, product = ready
    from orders import services

    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=500,
                            unit_cost=Decimal("20"), user=None)
    for _ in range(60):
        services.order_create(customer=customer, address=customer.addresses.get(), channel="web",
                              items=[services.ItemInput(product, 1, Decimal("50"))])
    counts, _ = queries_per_page_size(client, "/orders/")
    assert counts[0] == counts[1]
    assert client.get("/orders/", {"status": "cancelled"}).context["table"].page.paginator.count == 0
    assert client.get("/orders/", {"ship_uf": "sp", "payment": "unpaid"}).context["table"].page.paginator.count == 60


def test_bulk_actions_tag_and_cancel_the_ticked_orders(ready):
    client, customer, product = ready
    from orders import services

    made = [services.order_create(customer=customer, address=customer.addresses.get(), channel="manual",
                                  items=[services.ItemInput(product, 1, Decimal("50"))])[0] for _ in range(3)]
    ids = [o.pk for o in made[:2]]
    client.post("/orders/bulk/", {"ids": ids, "operation": "tag", "tag": "Atacado"})
    assert set(Order.objects.filter(tags__name="atacado").values_list("pk", flat=True)) == set(ids)
    response = client.post("/orders/bulk/", {"ids": ids, "operation": "cancel", "reason": "duplicado"}, follow=True)
    assert "2 pedidos cancelados" in response.content.decode()
    assert list(Order.objects.filter(status="cancelled").values_list("pk", flat=True).order_by("pk")) == ids
    assert StockLevel.objects.get(product=product).reserved == 1
    refused = client.post("/orders/bulk/", {"ids": ids, "operation": "cancel", "reason": "de novo"}, follow=True)
    assert "não pode passar a" in refused.content.decode()
    # Ticked boxes no key can hold (a forged form) are dropped, not sent to the database to overflow it.
    forged = client.post("/orders/bulk/", {"ids": ["9" * 30, "-1", "x"], "operation": "tag", "tag": "x"}, follow=True)
    assert forged.status_code == 200 and "Marque pelo menos um pedido." in forged.content.decode()


def test_a_user_saves_a_filter_and_sees_it_on_the_list(ready):
    client, customer, product = ready
    client.post("/filters/save/", {"path": "/orders/", "query": "?status=paid&ship_uf=SP", "name": "Pagos SP"})
    page = client.get("/orders/").content.decode()
    assert 'href="/orders/?status=paid&amp;ship_uf=SP">Pagos SP</a>' in page
    evil = client.post("/filters/save/", {"path": "//evil.example.com/", "query": "", "name": "x"})
    assert evil["Location"] == "/"


def test_typing_part_of_a_city_name_narrows_the_choice(client_as):
    html = client_as("staff").get("/orders/customers/address-fields/", {
        "address-uf": "SP", "city_q": "campi"}).content.decode()
    assert "Campinas" in html and "Sorocaba" not in html


@pytest.mark.parametrize("amount", ["", "110,00", "1e3"])
def test_the_order_page_no_longer_takes_a_payment_of_its_own(ready, amount):
    # Finding 7: staff POSTed /orders/<pk>/pay/ with an empty amount and the order was paid, with no money.
    client, customer, product = ready
    from orders import services

    order, _ = services.order_create(customer=customer, address=customer.addresses.get(), channel="manual",
                                     items=[services.ItemInput(product, 1, Decimal("50"))])
    assert client.post(f"/orders/{order.pk}/pay/", {"amount": amount}).status_code == 404
    order.refresh_from_db()
    assert (order.paid_amount, order.status) == (Decimal("0.00"), "awaiting_payment")
    assert not order.events.filter(code="order.payment").exists()


def test_garbage_ids_and_customers_in_the_address_bar_are_no_500(ready):
    client, customer, product = ready
    assert client.post("/orders/bulk/", {"ids": ["abc"], "operation": "tag", "tag": "x"}).status_code == 302
    assert client.get("/orders/new/", {"customer": "abc"}).status_code == 200
    # Beyond the database's integers (SQLite raised OverflowError listing the addresses).
    assert client.get("/orders/new/", {"customer": "99999999999999999999"}).status_code == 200
    assert client.get("/orders/customers/addresses/", {"customer": "99999999999999999999"}).status_code == 200


@pytest.mark.parametrize("query", [
    {"address-uf": "\x00"}, {"address-uf": "S\x00P"}, {"address-uf": "SP", "city_q": "campi\x00nas"},
])
def test_a_nul_byte_in_the_address_fields_offers_no_city_and_is_no_500(client_as, query):
    # PostgreSQL refused the query (DataError): a NUL selects no UF and is no part of a city name.
    response = client_as("staff").get("/orders/customers/address-fields/", query)
    assert response.status_code == 200
    cities = list(response.context["address_form"].fields["city"].queryset.values_list("name", flat=True))
    assert cities == ([] if query["address-uf"] != "SP" else ["Campinas"])


def test_a_nul_byte_in_the_customer_search_is_dropped(client_as, customer):
    response = client_as("staff").get("/orders/customers/search/", {"q": "Ma\x00ria"})
    assert response.status_code == 200 and list(response.context["customers"]) == [customer]


def test_orders_are_found_by_a_formatted_document(ready):
    client, customer, product = ready
    from orders import services

    services.order_create(customer=customer, address=customer.addresses.get(), channel="manual",
                          items=[services.ItemInput(product, 1, Decimal("50"))])
    page = client.get("/orders/", {"q": "390.533.447-05"})
    assert page.context["table"].page.paginator.count == 1


def test_the_order_search_finds_by_name_number_marketplace_id_and_document(ready):
    client, customer, product = ready
    from orders import services

    item = [services.ItemInput(product, 1, Decimal("50"))]
    address = customer.addresses.get()
    typed, _ = services.order_create(customer=customer, address=address, channel="manual", items=item)
    marketplace, _ = services.order_create(customer=customer, address=address, channel="mercadolivre", items=item,
                                        external_id="2000003508419013")
    other = services.customer_save(customer=Customer(name="Otávio Lima", document="11144477735"), user=None)
    services.address_save(address=Address(customer=other, cep=address.cep, street="Rua B", number="2",
                                          district="Centro", city=address.city), user=None)
    theirs, _ = services.order_create(customer=other, address=other.addresses.get(), channel="manual", items=item)

    def found(text):
        return {order.number for order in client.get("/orders/", {"q": text}).context["table"].page.object_list}

    assert found(customer.name.split()[-1].lower()) == {typed.number, marketplace.number}  # any part of the name
    assert found(f"#{typed.number}") == {typed.number}
    assert found("2000003508419013") == {marketplace.number}
    assert found("111.444") == found("otávio") == {theirs.number}  # the CPF's first digits, typed as printed
    assert found("Nobody") == set()
