"""Every list's search ignores accents and case (backoffice.search), and finds nothing else."""

from decimal import Decimal

import pytest

from backoffice.audit import audit_record
from backoffice.search import folded, text_search
from inventory import services
from inventory.models import ReorderAlert, Warehouse
from orders.models import Customer
from payments.models import Payment, ProviderAccount
from tests.factories import ProductFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text, expected", [
    ("São Paulo", "SAO PAULO"), ("Conceição", "CONCEICAO"), ("açaí", "ACAI"), ("Müller", "MULLER"),
    ("Straße", "STRASSE"), ("100%_x", "100%_X"),
])
def test_the_fold_drops_accents_and_case(text, expected):
    assert folded(text) == expected


@pytest.mark.parametrize("typed", ["joao", "JOAO", "João", "joão", "JOÃO"])
def test_a_name_is_matched_with_or_without_accents_in_any_case_on_both_sides(typed):
    names = ["João Pereira", "JOÃO SANTOS", "joão lima", "Joao Sem Acento", "Joaquim", "Jo_o", "Jo%o"]
    for i, name in enumerate(names):
        Customer.objects.create(name=name, document=f"{i + 1:011d}")
    found = Customer.objects.filter(text_search(typed, "name")).values_list("name", flat=True)
    assert sorted(found) == sorted(names[:4])


def test_wildcards_are_typed_characters():
    for i, name in enumerate(["Jo_o", "Jo%o", "João"]):
        Customer.objects.create(name=name, document=f"{i + 1:011d}")
    assert list(Customer.objects.filter(text_search("o_o", "name")).values_list("name", flat=True)) == ["Jo_o"]
    assert list(Customer.objects.filter(text_search("o%o", "name")).values_list("name", flat=True)) == ["Jo%o"]


@pytest.mark.parametrize("typed", ["sao paulo", "SAO PAULO", "são paulo", "sao pa"])
def test_a_city_is_found_without_its_accents(client_as, typed):
    html = client_as("staff").get("/orders/customers/address-fields/", {
        "address-uf": "SP", "city_q": typed}).content.decode()
    assert "São Paulo" in html and "Campinas" not in html


def shown(client, url, text):
    response = client.get(url, {"q": text})
    assert response.status_code == 200
    return list(response.context["table"].page.object_list)


def test_the_customer_list_finds_names_and_e_mails_without_accents(client_as):
    client = client_as("staff")
    conceicao = Customer.objects.create(name="Maria da Conceição", document="39053344705",
                                        email="ceição@exemplo.com.br")
    Customer.objects.create(name="Maria Aparecida", document="11144477735")
    assert [c.pk for c in shown(client, "/orders/customers/", "conceicao")] == [conceicao.pk]
    assert [c.pk for c in shown(client, "/orders/customers/", "CEICAO@EXEMPLO")] == [conceicao.pk]


def test_the_product_ledger_and_alert_lists_find_without_accents(client_as):
    client = client_as("admin")
    calcao = ProductFactory(sku="CALÇÃO-P", name="Calção de banho", reorder_point=5)
    other = ProductFactory(sku="CAMISA-P", name="Camisa", reorder_point=5)
    main = Warehouse.objects.get(code="principal")
    for product, supplier in ((calcao, "Têxtil São João"), (other, "Malharia Central")):
        services.stock_receive(product=product, warehouse=main, quantity=1, unit_cost=Decimal("1"), user=None,
                               supplier=supplier)
        ReorderAlert.objects.create(product=product, day="2026-12-01", available=1, reorder_point=5,
                                    sold_last_30_days=0, suggested_quantity=5)
    assert [p.pk for p in shown(client, "/inventory/products/", "calcao")] == [calcao.pk]
    assert [p.pk for p in shown(client, "/inventory/products/", "CALCAO-p")] == [calcao.pk]
    assert [m.product_id for m in shown(client, "/inventory/ledger/", "textil sao joao")] == [calcao.pk]
    assert [m.product_id for m in shown(client, "/inventory/ledger/", "CALCAO")] == [calcao.pk]
    assert [a.product_id for a in shown(client, "/inventory/low-stock/alerts/", "calção")] == [calcao.pk]


def test_the_payment_list_finds_payers_without_accents(client_as):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja")
    payments = [Payment.objects.create(account=account, provider="mercadopago", provider_payment_id=str(i),
                                       method="pix", status="approved", gross=Decimal("10.00"), fees=Decimal("0"),
                                       net=Decimal("10.00"), payer_name=name, payer_email=email)
                for i, (name, email) in enumerate([("José Araújo", "jose@exemplo.com.br"),
                                                   ("Josefa Lima", "josefa@exemplo.com.br")])]
    client = client_as("finance")
    assert [p.pk for p in shown(client, "/payments/", "jose araujo")] == [payments[0].pk]
    assert {p.pk for p in shown(client, "/payments/", "JOSE")} == {p.pk for p in payments}


def test_the_audit_log_finds_notes_and_objects_without_accents(client_as, role_user):
    ops = role_user("ops")
    found = audit_record(actor=ops, action="demo.refund", obj=ops, note="Reembolso pedido por João")
    audit_record(actor=ops, action="demo.other", obj=ops, note="Outro assunto")
    assert [e.pk for e in shown(client_as("admin"), "/audit/", "reembolso pedido por joao")] == [found.pk]



def test_the_searched_payment_and_audit_lists_run_the_same_queries_for_25_rows_as_for_100(client_as, role_user):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja")
    Payment.objects.bulk_create([
        Payment(account=account, provider="mercadopago", provider_payment_id=str(i), method="pix", status="approved",
                gross=Decimal("10.00"), fees=Decimal("0"), net=Decimal("10.00"), payer_name=f"José {i}")
        for i in range(110)])
    ops = role_user("ops")
    for i in range(110):
        audit_record(actor=ops, action="demo.note", obj=ops, note=f"Anotação {i}")
    client = client_as("admin")
    for url, typed in (("/payments/", "jose"), ("/audit/", "anotacao")):
        counts, rows = queries_per_page_size(client, url, {"q": typed})
        assert rows == [25, 100]
        assert counts[0] == counts[1]
