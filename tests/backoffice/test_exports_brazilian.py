"""Exports a Brazilian Excel opens as it is (and an English one too), and imports that read them
back: ";" and "1234,56" in pt-BR CSV, real numbers and dates in XLSX, headers in the reader's
language, the catalog round trip, the accountant's order export."""

import csv
import io
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from backoffice.models import ImportFile
from backoffice.services import import_process
from inventory import services as inventory
from inventory.models import Product, Warehouse
from orders import services as orders
from orders.models import Order
from payments.models import Payment, ProviderAccount
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PLACED = datetime(2026, 3, 1, 2, 30, tzinfo=dt_timezone.utc)  # 28/02/2026 23:30 in São Paulo


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def english():
    """`english(client)`: the client with English chosen. The language a request activates stays
    active in the thread, so the tests after this one get Portuguese back."""

    def choose(client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    yield choose
    translation.activate(settings.LANGUAGE_CODE)


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def csv_rows(content: bytes, delimiter=";"):
    assert content.startswith("\ufeff".encode())  # UTF-8 with a BOM
    return list(csv.reader(io.StringIO(content.decode("utf-8")[1:]), delimiter=delimiter))


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def by_header(rows):
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def upload(client, name, content: bytes, kind="inventory.catalog"):
    response = client.post(f"/imports/new/{kind}/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return import_process(import_id=ImportFile.objects.latest("pk").pk)


@pytest.fixture
def catalog(db):
    """A parent and two variants with every column of the catalog filled in."""
    parent = Product.objects.create(sku="CAM", name="Camiseta; básica, algodão", ncm="61091000",
                                    price=Decimal("1234.56"), cost=Decimal("22.50"), gtin="7891000315507",
                                    cest="2806300", origin=1, unit="CX", reorder_point=10,
                                    gross_weight_kg=Decimal("1.250"), net_weight_kg=Decimal("0.220"),
                                    height_cm=Decimal("3.5"), width_cm=Decimal("25.0"), length_cm=Decimal("30.0"))
    Product.objects.create(sku="CAM-AZ", name="Camiseta azul", ncm="61091000", price=Decimal("59.90"), parent=parent,
                           variant_label="Azul / M")
    Product.objects.create(sku="CAM-VD", name="Camiseta verde", ncm="61091000", price=Decimal("0.99"), parent=parent,
                           variant_label="Verde / M", active=False)


FIELDS = ("sku", "name", "ncm", "price", "cost", "gtin", "cest", "origin", "unit", "reorder_point", "gross_weight_kg",
          "net_weight_kg", "height_cm", "width_cm", "length_cm", "parent__sku", "variant_label", "active")


def products():
    return list(Product.objects.order_by("sku").values_list(*FIELDS))


def test_a_brazilian_csv_has_semicolons_decimal_commas_and_yes_no_in_portuguese(client_as, catalog):
    rows = csv_rows(download(client_as("staff"), "/inventory/products/", export="csv"))
    assert rows[0][:4] == ["SKU", "Nome", "NCM", "Preço"]
    parent, blue, green = by_header(rows)
    assert parent["Preço"] == "1234,56"  # no thousands separator
    assert Decimal(parent["Preço"].replace(",", ".")) == Decimal("1234.56")
    assert (parent["Custo médio"], parent["Peso bruto (kg)"], parent["Altura (cm)"]) == ("22,50", "1,250", "3,5")
    assert parent["Nome"] == "Camiseta; básica, algodão"  # quoted, so the separator inside stays text
    assert (blue["Ativo"], green["Ativo"], blue["Variação de"]) == ("Sim", "Não", "CAM")


def test_an_english_reader_gets_commas_decimal_points_and_english_headers(client_as, english, catalog):
    content = download(english(client_as("staff")), "/inventory/products/", export="csv")
    rows = csv_rows(content, delimiter=",")
    assert rows[0][:4] == ["SKU", "Name", "NCM", "Price"]
    parent, blue, green = by_header(rows)
    assert (parent["Price"], parent["Gross weight (kg)"]) == ("1234.56", "1.250")
    assert (blue["Active"], green["Active"]) == ("Yes", "No")


def test_the_xlsx_holds_money_as_numbers_in_reais_and_freezes_its_header(client_as, catalog):
    sheet = workbook(download(client_as("staff"), "/inventory/products/", export="xlsx")).active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    price = sheet.cell(row=2, column=header.index("Preço") + 1)
    assert (price.value, price.data_type) == (1234.56, "n")
    assert "R$" in price.number_format
    weight = sheet.cell(row=2, column=header.index("Peso bruto (kg)") + 1)
    points = sheet.cell(row=2, column=header.index("Ponto de reposição") + 1)
    assert (weight.value, weight.data_type, weight.number_format) == (1.25, "n", "General")  # a plain number
    assert (points.value, points.data_type, points.number_format) == (10, "n", "General")
    widths = {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()}
    name = widths[sheet.cell(row=1, column=header.index("Nome") + 1).column_letter]
    assert name >= len("Camiseta; básica, algodão")  # as wide as its longest name
    assert widths["A"] < name


def catalog_round_trip(client, fmt):
    before = products()
    exported = download(client, "/inventory/products/", export=fmt)
    record = upload(client, f"catalog.{fmt}", exported)
    assert (record.status, record.rows_applied) == ("done", 3), record.report
    assert products() == before  # imported over itself: nothing changed

    Product.objects.filter(parent__isnull=False).delete()
    Product.objects.all().delete()
    record = upload(client, f"catalog.{fmt}", exported)
    assert (record.status, record.rows_applied) == ("done", 3), record.report
    assert products() == before  # recreated as they were


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_catalog_exported_with_portuguese_headers_imports_back_as_it_was(client_as, catalog, fmt):
    catalog_round_trip(client_as("staff"), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_catalog_exported_in_english_imports_back_as_it_was(client_as, english, catalog, fmt):
    catalog_round_trip(english(client_as("staff")), fmt)


def test_a_catalog_with_english_headers_and_decimal_points_is_imported(client_as):
    text = "SKU,Name,NCM,Price,Gross weight (kg),Active\nA,Mug,69120000,1234.56,0.250,False\n"
    record = upload(client_as("staff"), "catalog.csv", text.encode())
    assert record.status == "done", record.report
    mug = Product.objects.get(sku="A")
    assert (mug.price, mug.gross_weight_kg, mug.active) == (Decimal("1234.56"), Decimal("0.250"), False)


def test_a_catalog_saved_by_a_brazilian_excel_with_semicolons_in_windows_1252_is_imported(client_as):
    text = ("SKU;Nome;NCM;Preço;Custo médio;Peso bruto (kg);Variação;Ativo\n"
            "A;Pão de açúcar;19059090;1234,56;10,5;0,250;Pacote, 500 g;Não\n")
    record = upload(client_as("staff"), "catalogo.csv", text.encode("cp1252"))
    assert record.status == "done", record.report
    bread = Product.objects.get(sku="A")
    assert (bread.name, bread.price, bread.cost, bread.gross_weight_kg, bread.variant_label, bread.active) == (
        "Pão de açúcar", Decimal("1234.56"), Decimal("10.50"), Decimal("0.250"), "Pacote, 500 g", False)


def test_a_weight_typed_1_250_is_refused_as_ambiguous_not_read_as_1250_kg(client_as):
    text = "SKU;Nome;NCM;Preço;Peso bruto (kg)\nA;Caneca;69120000;1.234,56;1.250\nB;Copo;69120000;10;1,250\n"
    record = upload(client_as("staff"), "catalogo.csv", text.encode())
    assert record.status == "rejected"
    assert [(row["row"], row["errors"]) for row in record.report] == [
        (2, ["gross_weight_kg: Use 1.234,567: milhares separados por “.”, decimais por “,”."])]
    assert not Product.objects.exists()


def test_headers_are_matched_whatever_their_case_and_accents(client_as):
    record = upload(client_as("staff"), "catalogo.csv", "sku;NOME;ncm;Preco\nA;Caneca;69120000;10\n".encode())
    assert record.status == "done", record.report


def test_a_header_after_blank_lines_gives_the_separator(client_as):
    record = upload(client_as("staff"), "catalogo.csv", "\n\nSKU;Nome;NCM;Preço\nA;Caneca, azul;69120000;10,50\n"
                    .encode())
    assert record.status == "done", record.report
    assert Product.objects.values_list("name", "price").get() == ("Caneca, azul", Decimal("10.50"))


def test_an_unreadable_yes_no_is_reported_in_the_readers_words(client_as):
    record = upload(client_as("staff"), "catalogo.csv", "SKU;Nome;NCM;Preço;Ativo\nA;Caneca;69120000;10;talvez\n"
                    .encode())
    assert record.status == "rejected"
    assert "use 1/0, sim/não ou true/false" in record.report[0]["errors"][0]


@pytest.fixture
def placed_orders(customer, address):
    """`placed_orders(n)`: n orders of two items each, placed at PLACED, each paid by one Pix payment."""
    warehouse = Warehouse.objects.get(code="principal")
    shirt, mug = ProductFactory(sku="CAM-1", name="Camiseta"), ProductFactory(sku="CAN-1", name="Caneca")
    for product in (shirt, mug):
        inventory.stock_receive(product=product, warehouse=warehouse, quantity=100, unit_cost=Decimal("1"), user=None)
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja")

    def place(count):
        made = []
        for _ in range(count):
            order, _created = orders.order_create(
                customer=customer, address=address, channel="web", shipping=Decimal("15.00"),
                items=[orders.ItemInput(shirt, 2, Decimal("1234.56")), orders.ItemInput(mug, 1, Decimal("30.00"))])
            Payment.objects.create(account=account, provider="mercadopago", provider_payment_id=f"P{order.pk}",
                                   order=order, method="pix", status="approved", gross=order.total,
                                   fees=Decimal("25.00"), net=order.total - Decimal("25.00"),
                                   refunded=Decimal("10.00"), credited_to_order=True)
            made.append(order)
        Order.objects.filter(pk__in=[o.pk for o in made]).update(placed_at=PLACED)
        return made

    return place


def test_the_order_csv_carries_what_an_accountant_asks_for(client_as, placed_orders):
    [order] = placed_orders(1)
    client = client_as("admin")
    [row] = by_header(csv_rows(download(client, "/orders/", export="csv")))
    assert row["Pedido"] == str(order.number)
    assert row["Feito em"] == "28/02/2026 23:30"  # São Paulo time, to the minute
    assert (row["CPF/CNPJ"], row["Logradouro"], row["Número"], row["Bairro"], row["Cidade"], row["UF"],
            row["CEP"]) == ("390.533.447-05", "Avenida Paulista", "1000", "Bela Vista", "São Paulo", "SP", "01310-100")
    assert (row["Itens"], row["Frete"], row["Total"]) == ("2499,12", "15,00", "2514,12")
    assert (row["Meio de pagamento"], row["Taxas"], row["Reembolsado"], row["Líquido recebido"]) == (
        "Pix", "25,00", "10,00", "2479,12")

    items = by_header(csv_rows(download(client, "/orders/", export="csv", sheet="items")))
    assert [(i["Pedido"], i["SKU"], i["Quantidade"], i["Preço unitário"], i["Total"]) for i in items] == [
        (str(order.number), "CAM-1", "2", "1234,56", "2469,12"), (str(order.number), "CAN-1", "1", "30,00", "30,00")]


def test_the_order_xlsx_has_the_items_on_a_second_sheet_and_dates_as_dates(client_as, placed_orders):
    [order] = placed_orders(1)
    book = workbook(download(client_as("admin"), "/orders/", export="xlsx"))
    assert book.sheetnames == ["Pedidos", "Itens"]
    orders_sheet, items_sheet = book["Pedidos"], book["Itens"]
    header = [cell.value for cell in orders_sheet[1]]
    placed = orders_sheet.cell(row=2, column=header.index("Feito em") + 1)
    assert placed.value == datetime(2026, 2, 28, 23, 30) and placed.is_date
    assert placed.number_format == "dd/mm/yyyy hh:mm"
    for label in ("Total", "Taxas", "Líquido recebido"):
        cell = orders_sheet.cell(row=2, column=header.index(label) + 1)
        assert cell.data_type == "n" and "R$" in cell.number_format, label
    assert orders_sheet.cell(row=2, column=header.index("Total") + 1).value == 2514.12
    assert items_sheet.freeze_panes == "A2"
    assert [row[:4] for row in items_sheet.iter_rows(min_row=2, values_only=True)] == [
        (order.number, "CAM-1", "Camiseta", 2), (order.number, "CAN-1", "Caneca", 1)]


def test_an_english_reader_gets_english_sheets_and_iso_like_dates(client_as, english, placed_orders):
    placed_orders(1)
    client = english(client_as("admin"))
    [row] = by_header(csv_rows(download(client, "/orders/", export="csv"), delimiter=","))
    assert (row["Placed"], row["Total"], row["Net received"]) == ("2026-02-28 23:30", "2514.12", "2479.12")
    book = workbook(download(client, "/orders/", export="xlsx"))
    assert book.sheetnames == ["Orders", "Items"]


def test_the_payment_columns_are_exported_only_to_who_may_see_payments(client_as, role_user, placed_orders):
    placed_orders(1)
    staff = role_user("staff", username="clerk")
    assert not staff.has_perm("payments.view_payment")
    client = client_as("admin")
    client.force_login(staff)
    header = csv_rows(download(client, "/orders/", export="csv"))[0]
    assert "CPF/CNPJ" in header and "Taxas" not in header and "Líquido recebido" not in header


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_order_export_runs_the_same_queries_for_two_orders_as_for_eight(client_as, placed_orders, fmt):
    client = client_as("admin")
    client.get("/orders/")  # the session and the user, loaded once
    counts = []
    for count in (2, 6):
        placed_orders(count)
        with CaptureQueriesContext(connection) as queries:
            download(client, "/orders/", export=fmt)
            if fmt == "csv":
                download(client, "/orders/", export=fmt, sheet="items")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_import_templates_speak_the_readers_language_and_import_as_they_are(client_as, english):
    product = ProductFactory(sku="CAM-001-AZ-M")
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("1"), user=None)
    client = client_as("staff")
    template = download(client, "/imports/template/orders.orders.csv")
    header, example = csv_rows(template)
    assert header[:3] == ["Canal", "Id externo", "CPF/CNPJ"] and example[11] == "59,90"
    record = upload(client, "pedidos.csv", template, kind="orders.orders")
    assert record.status == "done", record.report
    assert Order.objects.get(external_id="LOJA-1001").items.get().unit_price == Decimal("59.90")

    english_template = download(english(client), "/imports/template/orders.orders.xlsx")
    assert [cell.value for cell in workbook(english_template).active[1]][:3] == ["Channel", "External id", "CPF/CNPJ"]
    assert upload(client, "orders.xlsx", english_template, kind="orders.orders").status == "done"
    assert Order.objects.count() == 1  # the same order, imported once
