"""Catalog and cycle-count imports: all rows or none, with a report of every bad row."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from backoffice.models import ImportFile
from backoffice.services import import_process, imports_catch_up
from backoffice.tasks import process_waiting_imports
from inventory.models import Movement, Product, StockLevel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def csv_file(text, name="file.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def upload(client, kind, file):
    response = client.post(f"/imports/new/{kind}/", {"file": file})
    assert response.status_code == 302, response.content.decode()[-2000:]
    record = ImportFile.objects.latest("pk")
    assert response["Location"] == f"/imports/{record.pk}/"
    assert record.status == "pending"  # kept as received, before any processing
    return import_process(import_id=record.pk)  # what the worker's task does


def report(record):
    return {item["row"]: " | ".join(item["errors"]) for item in record.report}


CATALOG = (
    "sku;name;ncm;price;gtin;cost;reorder_point\n"
    "CAM-1;Camiseta azul;61091000;59,90;7891000315507;20,50;5\n"
    "CAN-1;Caneca;69120000;35.00;;12;2\n"
)


def test_a_catalog_file_creates_and_then_updates_products(client_as):
    client = client_as("staff")
    done = upload(client, "inventory.catalog", csv_file(CATALOG))
    assert (done.status, done.rows_applied) == ("done", 2)
    shirt = Product.objects.get(sku="CAM-1")
    assert ((str(shirt.price), str(shirt.cost), shirt.gtin, shirt.reorder_point)
            == ("59.90", "20.50", "7891000315507", 5))
    again = upload(client, "inventory.catalog",
                   csv_file("sku,name,ncm,price\nCAM-1,Camiseta azul marinho,61091000,64.90\n"))
    assert again.status == "done"
    shirt.refresh_from_db()
    assert (shirt.name, str(shirt.price), shirt.gtin) == ("Camiseta azul marinho", "64.90", "7891000315507")
    assert Product.objects.count() == 2


def test_a_catalog_file_with_bad_rows_imports_nothing_and_reports_each_row(client_as):
    bad = (
        "sku,name,ncm,price,gtin,active\n"
        "OK-1,Bom,61091000,10,,1\n"
        "BAD-1,GTIN errado,61091000,10,7891000315508,1\n"
        "BAD-2,NCM curto,6109,10,,1\n"
        "BAD-3,Preço,61091000,abc,,talvez\n"
        "OK-1,Repetido,61091000,10,,1\n"
    )
    record = upload(client_as("staff"), "inventory.catalog", csv_file(bad))
    assert record.status == "rejected"
    rows = report(record)
    assert set(rows) == {3, 4, 5, 6}
    assert "GTIN/EAN inválido" in rows[3]
    assert "O NCM tem 8 dígitos" in rows[4]
    assert "dígitos de 0 a 9" in rows[5] and "active" in rows[5]
    assert "duplicada: igual à linha 2" in rows[6]
    assert not Product.objects.exists()


def test_the_catalog_round_trips_through_its_own_export(client_as, stocked):
    stocked(0, sku="ABC-1", name="Original", gtin="7891000315507")
    client = client_as("staff")
    exported = b"".join(client.get("/inventory/products/", {"export": "xlsx"}).streaming_content)
    record = upload(client, "inventory.catalog", SimpleUploadedFile("catalog.xlsx", exported))
    assert (record.status, record.rows_applied) == ("done", 1), record.report
    assert Product.objects.get(sku="ABC-1").name == "Original"


@pytest.mark.parametrize("content,message", [
    ("sku;nome;valor\nX;Y;1\n", "colunas faltando: NCM, Preço; colunas desconhecidas: valor"),
    ("\n\n", "O arquivo está vazio"),
    ("sku,name,ncm,price\n", "cabeçalho, mas nenhuma linha"),
    ("sku,name,ncm,price,Preço\nX,Y,61091000,1,1\n", "colunas repetidas: Preço"),
])
def test_a_file_with_wrong_columns_is_refused_as_a_whole(client_as, content, message):
    record = upload(client_as("staff"), "inventory.catalog", csv_file(content))
    assert record.status == "rejected"
    assert message in record.report[0]["errors"][0]
    assert not Product.objects.exists()


def test_a_damaged_xlsx_gets_a_clear_message(client_as):
    record = upload(client_as("staff"), "inventory.catalog", SimpleUploadedFile("x.xlsx", b"not a zip"))
    assert "Não foi possível ler o arquivo XLSX" in record.report[0]["errors"][0]


def test_the_upload_form_refuses_other_file_types(client_as):
    response = client_as("staff").post("/imports/new/inventory.catalog/", {"file": csv_file("x", name="x.pdf")})
    assert response.status_code == 200
    assert "Envie um arquivo .csv ou .xlsx" in response.content.decode()
    assert not ImportFile.objects.exists()


def test_a_cycle_count_turns_counted_quantities_into_adjustments(client_as, stocked, main_warehouse):
    a, b = stocked(10, sku="A"), stocked(4, sku="B")
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Warehouse", "Counted"])  # headers are matched case-insensitively
    sheet.append(["A", "principal", 8])
    sheet.append(["B", "principal", 4])
    buffer = io.BytesIO()
    book.save(buffer)
    record = upload(client_as("staff"), "inventory.count", SimpleUploadedFile("count.xlsx", buffer.getvalue()))
    assert record.status == "done", record.report
    assert StockLevel.objects.get(product=a).on_hand == 8
    assert StockLevel.objects.get(product=b).on_hand == 4  # counted as it was: no adjustment
    adjustment = Movement.objects.get(kind="adjustment")
    assert (adjustment.product, adjustment.quantity, adjustment.reference) == (a, 2, f"import:{record.pk}")


def test_a_bad_cycle_count_changes_nothing_and_reports_every_bad_row(client_as, stocked):
    stocked(10, sku="A")
    bad = ("sku,warehouse,counted\nA,principal,7\nNOPE,principal,1\nA,nowhere,2\nA,principal,-3\n"
           "A,principal,dez\nA,principal,9\n")
    record = upload(client_as("staff"), "inventory.count", csv_file(bad))
    rows = report(record)
    assert record.status == "rejected"
    assert "SKU desconhecido “NOPE”" in rows[3]
    assert "depósito desconhecido ou inativo “nowhere”" in rows[4]
    assert "não pode ser negativo" in rows[5]
    assert "“dez” não é um número inteiro" in rows[6]
    assert "duplicada: igual à linha 2" in rows[7]
    assert StockLevel.objects.get(product__sku="A").on_hand == 10
    assert not Movement.objects.filter(kind="adjustment").exists()


def test_a_count_the_domain_refuses_rolls_back_the_rows_before_it(client_as, stocked):
    from inventory import services

    a, b = stocked(10, sku="A"), stocked(10, sku="B")
    services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", b.pk, 8)])
    record = upload(client_as("staff"), "inventory.count",
                    csv_file("sku,warehouse,counted\nA,principal,5\nB,principal,1\n"))
    assert record.status == "rejected"
    assert "só há 2" in report(record)[3]
    assert StockLevel.objects.get(product=a).on_hand == 10


def test_processing_an_import_twice_applies_it_once(client_as):
    record = upload(client_as("staff"), "inventory.catalog", csv_file(CATALOG))
    import_process(import_id=record.pk)
    assert Product.objects.count() == 2
    assert ImportFile.objects.get(pk=record.pk).rows_applied == 2


def test_only_users_with_the_importer_permission_may_import_or_see_the_report(client_as, client):
    record = upload(client_as("staff"), "inventory.catalog", csv_file(CATALOG))
    manager = client_as("manager")
    assert manager.get("/imports/new/inventory.catalog/").status_code == 403
    assert manager.get(f"/imports/{record.pk}/").status_code == 403
    assert manager.get("/imports/new/nope/").status_code == 404


def test_the_report_page_polls_while_the_file_waits(client_as):
    client = client_as("staff")
    client.post("/imports/new/inventory.catalog/", {"file": csv_file(CATALOG)})
    record = ImportFile.objects.get()
    html = client.get(f"/imports/{record.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    import_process(import_id=record.pk)
    partial = client.get(f"/imports/{record.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in partial and "every 1s" not in partial
    assert "2 linhas importadas" in partial


def test_the_template_lists_the_columns_in_the_readers_language(client_as):
    response = client_as("staff").get("/imports/template/inventory.count.csv")
    assert b"".join(response.streaming_content).decode("utf-8-sig").splitlines() == [
        "SKU;Depósito;Contado", "CAM-001-AZ-M;principal;12"]


def test_variants_may_come_before_their_parent_in_the_file(client_as):
    text = ("sku,name,ncm,price,variant_of,variant_label\nCAM-AZ-M,Camiseta azul M,61091000,59.9,CAM,Azul / M\n"
            "CAM,Camiseta,61091000,59.9,,\n")
    record = upload(client_as("staff"), "inventory.catalog", csv_file(text))
    assert record.status == "done", record.report
    assert Product.objects.get(sku="CAM-AZ-M").parent == Product.objects.get(sku="CAM")


def test_impossible_variants_and_costs_are_reported_not_crashed_on(client_as):
    text = (
        "sku,name,ncm,price,cost,variant_of\n"
        "A,A,61091000,1,abc,\n"
        "B,B,61091000,1,1,B\n"
        "C,C,61091000,1,1,A\n"
        "D,D,61091000,1,1,C\n"
    )
    record = upload(client_as("staff"), "inventory.catalog", csv_file(text))
    rows = report(record)
    assert "cost: Digite o valor com os dígitos de 0 a 9" in rows[2]
    assert "não pode ser variação de si mesmo" in rows[3]
    assert "“C” já é uma variação" in rows[5]
    assert not Product.objects.exists()


def test_a_count_over_the_limit_is_reported(client_as, stocked):
    stocked(1, sku="A")
    record = upload(client_as("staff"), "inventory.count",
                    csv_file("sku,warehouse,counted\nA,principal,99999999999999\n"))
    assert "no máximo 1000000" in report(record)[2]


def test_a_file_uploaded_while_the_broker_is_down_is_kept_and_imported_by_the_catch_up_job(client_as, broker_down):
    response = client_as("staff").post("/imports/new/inventory.catalog/", {"file": csv_file(CATALOG)})
    assert response.status_code == 302  # the upload is taken though its task could not be queued
    record = ImportFile.objects.get()
    assert record.status == "pending" and not Product.objects.exists()

    assert imports_catch_up() == 0  # a fresh upload is left to its own task
    ImportFile.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    broker_down()  # back
    assert process_waiting_imports.apply().get() == 1
    record.refresh_from_db()
    assert (record.status, record.rows_applied) == ("done", 2)
    assert Product.objects.count() == 2
    assert process_waiting_imports.apply().get() == 0  # nothing twice
