"""Hostile and awkward spreadsheets: every one ends as a finished import with a clear reason
(never waiting forever), read as a stream within its limits; the report is seen only by its
uploader and the admins; what the export quoted comes back as it was."""

import codecs
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backoffice.imports import MAX_CELL_LENGTH, MAX_ROWS
from backoffice.models import ImportFile, TaskDelivery
from backoffice.services import import_process, imports_catch_up
from inventory.models import Product
from tests.backoffice.spreadsheets import count_csv_of, count_xlsx_of, huge_text_xlsx, sheet_xlsx, xlsx

pytestmark = pytest.mark.django_db

CATALOG_HEADER = "sku,name,ncm,price\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def stored(role_user):
    """`stored(content, name)`: an import kept as uploaded, waiting for its task."""
    user = role_user("staff", username="uploader")

    def store(content: bytes, name="file.csv", kind="inventory.catalog", **fields):
        return ImportFile.objects.create(kind=kind, file=ContentFile(content, name=name), original_name=name,
                                         uploaded_by=user, **fields)

    return store


def processed(record):
    import_process(import_id=record.pk)
    record.refresh_from_db()
    return record


def message(record):
    return " | ".join(" ".join(item["errors"]) for item in record.report)


# (file name, content, what the report says): each used to crash the task, leaving the import
# waiting forever, or to read the whole file before refusing it.
HOSTILE_CSV = {
    "byte 0x81, neither UTF-8 nor Windows-1252": (CATALOG_HEADER + "A,Caf\x81,61091000,1\n").encode("latin-1"),
    "a NUL byte": (CATALOG_HEADER + "A,Ca\x00fe,61091000,1\n").encode(),
    "a field over csv's 128 KiB": (CATALOG_HEADER + "A," + "x" * 200_000 + ",61091000,1\n").encode(),
    "a quote never closed": (CATALOG_HEADER + 'A,"Caneca,61091000,1\n' + "B,y,61091000,1\n" * 20_000).encode(),
    "a cell longer than Excel allows": (CATALOG_HEADER + "A," + "x" * (MAX_CELL_LENGTH + 1) + ",61091000,1\n").encode(),
}
EXPECTED = {
    "byte 0x81, neither UTF-8 nor Windows-1252": "não é texto em UTF-8, UTF-16 ou Windows-1252",
    "a NUL byte": "A linha 2 contém um caractere que não é texto",
    "a field over csv's 128 KiB": "Não foi possível ler a linha 2: uma célula tem mais de 32767 caracteres",
    "a quote never closed": "ou há aspas sem fechar",
    "a cell longer than Excel allows": "A linha 2 tem uma célula com mais de 32767 caracteres",
}


@pytest.mark.parametrize("case", HOSTILE_CSV)
def test_a_csv_that_cannot_be_read_is_rejected_with_a_clear_reason(stored, case):
    record = processed(stored(HOSTILE_CSV[case]))
    assert record.status == "rejected"
    assert EXPECTED[case] in message(record)
    assert not Product.objects.exists()


def test_excels_unicode_text_utf16_and_tab_separated_is_read(stored):
    text = "sku\tname\tncm\tprice\nCAF-1\tCafé com açúcar — 250 g\t09012100\t19,90\n"
    record = processed(stored(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), name="Texto Unicode.csv"))
    assert record.status == "done", record.report
    assert Product.objects.get(sku="CAF-1").name == "Café com açúcar — 250 g"


def test_a_windows_1252_csv_is_still_read(stored):
    record = processed(stored((CATALOG_HEADER + "A,Pão de açúcar,19059090,1\n").encode("cp1252")))
    assert record.status == "done", record.report
    assert Product.objects.get(sku="A").name == "Pão de açúcar"


COUNT = [["sku", "warehouse", "counted"], ["A", "principal", 1], ["B", "principal", 2]]
BOMBS = {
    # 4.9 KB: two rows and one cell at the last column of the last row (A1:XFD1048576).
    "a cell at XFD1048576": ("bomb.xlsx", lambda: xlsx(COUNT, XFD1048576="x"),
                             "A área usada da planilha tem 1048576 linhas por 16384 colunas"),
    # One text cell of 60 MB, in a file of about 70 KB.
    "a huge text cell": ("text.xlsx", lambda: huge_text_xlsx(60 << 20), "O arquivo XLSX contém mais dados do que "
                         "uma importação pode ter (xl/worksheets/sheet1.xml: 60 MB)"),
    # openpyxl would cut the text at Excel's limit when writing: the sheet is written here.
    "a cell longer than Excel allows": ("long.xlsx", lambda: sheet_xlsx(
        b'<row><c t="inlineStr"><is><t>' + b"C" * (MAX_CELL_LENGTH + 1) + b"</t></is></c></row>"),
        "A linha 1 tem uma célula com mais de 32767 caracteres"),
    "a million rows of XLSX": ("rows.xlsx", lambda: count_xlsx_of(1_000_000), f"No máximo {MAX_ROWS} linhas"),
    "a million rows of CSV": ("rows.csv", lambda: count_csv_of(1_000_000), f"No máximo {MAX_ROWS} linhas"),
}


@pytest.mark.parametrize("case", BOMBS)
def test_a_spreadsheet_bomb_is_rejected_with_its_reason(stored, case):
    name, build, expected = BOMBS[case]
    record = processed(stored(build(), name=name, kind="inventory.count"))
    assert record.status == "rejected"
    assert expected in message(record)


# What comes well after the row past the limit could not be read: it is not read, the file is
# refused at that row (readers read ahead a few kilobytes; openpyxl, looking for the used range a
# sheet does not declare, runs through the sheet's XML once, but reads no value).
UNREADABLE_AFTER_THE_LIMIT = {
    "csv": ("after.csv", count_csv_of(MAX_ROWS + 10_000) + b"\x81 not Windows-1252\n"),
    "xlsx": ("after.xlsx", sheet_xlsx(
        b'<row><c t="inlineStr"><is><t>sku</t></is></c><c t="inlineStr"><is><t>warehouse</t></is></c>'
        b'<c t="inlineStr"><is><t>counted</t></is></c></row>' + b"<row><c><v>1</v></c></row>" * (MAX_ROWS + 10_000)
        + b'<row><c t="n"><v>not a number</v></c></row>', compression=zipfile.ZIP_STORED)),
}


@pytest.mark.parametrize("fmt", UNREADABLE_AFTER_THE_LIMIT)
def test_a_file_over_the_row_limit_is_refused_at_the_first_row_past_it_without_reading_on(stored, fmt):
    name, content = UNREADABLE_AFTER_THE_LIMIT[fmt]
    record = processed(stored(content, name=name, kind="inventory.count"))
    assert record.status == "rejected"
    assert message(record) == f"No máximo {MAX_ROWS} linhas por arquivo."


def test_the_report_of_a_file_with_very_many_bad_rows_is_bounded(stored):
    rows = "".join(f"S{n},{'x' * 2000},bad,1\n" for n in range(3000))
    record = processed(stored((CATALOG_HEADER + rows).encode()))
    assert record.status == "rejected"
    assert len(record.report) == 1001
    assert record.report[-1]["errors"] == ["… e mais 2000 linhas com erros."]
    assert all(len(error) <= 500 for item in record.report for error in item["errors"])


def test_an_import_that_breaks_in_an_unexpected_way_ends_failed_not_waiting(client, stored):
    record = stored(b"", name="gone.csv")
    record.file.storage.delete(record.file.name)  # the file is gone from the storage
    record = processed(record)
    assert record.status == "failed"
    assert "erro inesperado (FileNotFoundError)" in message(record)
    client.force_login(record.uploaded_by)
    page = client.get(f"/imports/{record.pk}/").content.decode()
    assert "Nada foi importado: não foi possível processar o arquivo" in page and "every 1s" not in page


def test_the_catch_up_job_goes_on_past_imports_that_fail_and_imports_the_valid_ones(stored, caplog):
    crashed = stored((CATALOG_HEADER + "A,Caneca,69120000,1\n").encode())
    undecodable = stored(HOSTILE_CSV["byte 0x81, neither UTF-8 nor Windows-1252"])
    valid = stored((CATALOG_HEADER + "B,Camiseta,61091000,59.90\n").encode())
    ImportFile.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    # Three workers died processing the first one (their deliveries never finished).
    TaskDelivery.objects.create(key=f"import:{crashed.pk}", task_name="backoffice.tasks.import_process_task", starts=3)

    assert imports_catch_up() == 3
    statuses = dict(ImportFile.objects.values_list("pk", "status"))
    assert statuses == {crashed.pk: "failed", undecodable.pk: "rejected", valid.pk: "done"}
    assert "o processamento derrubou o worker 3 vezes" in message(ImportFile.objects.get(pk=crashed.pk))
    assert list(Product.objects.values_list("sku", flat=True)) == ["B"]
    assert "started 3 times without finishing" in caplog.text
    assert imports_catch_up() == 0


def test_an_import_report_is_seen_only_by_its_uploader_and_the_admins(client, stored, role_user, django_user_model):
    record = processed(stored((CATALOG_HEADER + "A,Caneca,69120000,1\n").encode()))
    uploader = record.uploaded_by
    colleague = role_user("staff", username="colleague")
    admin = role_user("admin", username="boss")
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    for user, status in ((uploader, 200), (admin, 200), (superuser, 200), (colleague, 404)):
        client.force_login(user)
        assert client.get(f"/imports/{record.pk}/").status_code == status, user
        assert client.get(f"/imports/{record.pk}/", HTTP_HX_REQUEST="true").status_code == status, user


FORMULAS = ['=HYPERLINK("http://example.com","clique")', "+55 11 99999-0000", "-10% desconto", "@promo"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_names_the_export_quoted_as_formulas_come_back_as_they_were(client_as, fmt):
    for n, name in enumerate(FORMULAS):
        Product.objects.create(sku=f"F-{n}", name=name, ncm="61091000", price=1)
    client = client_as("staff")
    exported = b"".join(client.get("/inventory/products/", {"export": fmt}).streaming_content)
    assert b"'=HYPERLINK" in exported or fmt == "xlsx"  # the export's guard is there
    Product.objects.update(name="changed")
    client.post("/imports/new/inventory.catalog/", {"file": SimpleUploadedFile(f"catalog.{fmt}", exported)})
    record = processed(ImportFile.objects.get())
    assert record.status == "done", record.report
    assert list(Product.objects.order_by("sku").values_list("name", flat=True)) == FORMULAS
