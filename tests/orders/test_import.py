"""Importing orders from a spreadsheet: all or nothing, each bad row reported, no duplicates."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backoffice.models import ImportFile
from backoffice.services import import_process
from inventory import services as inventory
from inventory.models import Warehouse
from orders.models import Customer, Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEADER = ("channel,external_id,document,name,cep,street,number,district,city_ibge,sku,quantity,unit_price,shipping,"
          "state_registration\n")
GOOD = (
    HEADER
    + "web,A-1,390.533.447-05,Maria,01310-100,Av Paulista,1000,Bela Vista,3550308,CAM-1,2,59.90,10,\n"
    + "web,A-1,390.533.447-05,Maria,01310-100,Av Paulista,1000,Bela Vista,3550308,CAN-1,1,30.00,10,\n"
    + "web,A-2,11.222.333/0001-81,Empresa X,20040-002,Rua 1,5,Centro,3304557,CAN-1,3,30.00,0,ISENTO\n"
)


@pytest.fixture(autouse=True)
def catalog(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    warehouse = Warehouse.objects.get(code="principal")
    for sku in ("CAM-1", "CAN-1"):
        product = ProductFactory(sku=sku)
        inventory.stock_receive(product=product, warehouse=warehouse, quantity=50, unit_cost=Decimal("5"), user=None)


def upload(client, text):
    client.post("/imports/new/orders.orders/", {"file": SimpleUploadedFile("orders.csv", text.encode())})
    return import_process(import_id=ImportFile.objects.latest("pk").pk)


def test_rows_of_the_same_order_become_one_order_and_a_second_import_adds_nothing(client_as):
    client = client_as("staff")
    record = upload(client, GOOD)
    assert record.status == "done", record.report
    first = Order.objects.get(external_id="A-1")
    assert [(i.sku, i.quantity) for i in first.items.all()] == [("CAM-1", 2), ("CAN-1", 1)]
    assert first.total == Decimal("159.80") and first.status == "awaiting_payment"
    assert Order.objects.get(external_id="A-2").customer.kind == "company"
    assert upload(client, GOOD).status == "done"
    assert Order.objects.count() == 2 and Customer.objects.count() == 2


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_one(client_as):
    bad = (
        HEADER
        + "web,B-1,390.533.447-05,Maria,01310-100,Av Paulista,1000,Bela Vista,3550308,CAM-1,2,59.90,10,\n"
        + "web,B-2,390.533.447-00,Maria,01310-100,Av Paulista,1000,Bela Vista,3550308,CAM-1,1,59.90,0,\n"
        + "web,B-3,390.533.447-05,Maria,20040-002,Av Paulista,1000,Bela Vista,3550308,NOPE,0,x,0,\n"
        + "web,B-1,390.533.447-05,Maria,01310-100,Av Paulista,1000,Bela Vista,3550308,CAM-1,1,59.90,10,\n"
        + "web,B-1,390.533.447-05,Outra,01310-100,Av Paulista,1000,Bela Vista,3550308,CAN-1,1,30.00,10,\n"
    )
    record = upload(client_as("staff"), bad)
    assert record.status == "rejected"
    rows = {item["row"]: " | ".join(item["errors"]) for item in record.report}
    assert set(rows) == {3, 4, 5, 6}
    assert "CPF inválido" in rows[3]
    assert "sku:" in rows[4] and "quantity:" in rows[4] and "unit_price:" in rows[4] and "cep:" in rows[4]
    assert "CAM-1 já está neste pedido" in rows[5]
    assert "diferem da linha 2" in rows[6]
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_amounts_as_a_brazilian_excel_writes_them_are_read(client_as):
    text = ("canal;id externo;CPF/CNPJ;nome;CEP;logradouro;número;bairro;Código IBGE do município;SKU;quantidade;"
            "preço unitário;frete\n"
            "web;B-1;390.533.447-05;Maria;01310-100;Av Paulista;1000;Bela Vista;3550308;CAM-1;1;R$ 1.234,56;12,5\n")
    record = upload(client_as("staff"), text)
    assert record.status == "done", record.report
    order = Order.objects.get(external_id="B-1")
    assert (order.items.get().unit_price, order.shipping_total) == (Decimal("1234.56"), Decimal("12.50"))
