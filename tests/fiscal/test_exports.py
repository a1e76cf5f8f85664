"""The books' spreadsheets and the period's archive: every XML of the period (authorized and
cancelled NF-e, cancellation and CC-e events, voided ranges) in the ZIP, each parsing, named by key
and event, with a summary; from the screen and from `manage.py fiscal_export`."""

import csv
import io
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import gettext
from openpyxl import load_workbook

from fiscal.books import Period
from fiscal.exports import BOOK_COLUMNS, SUMMARY_COLUMNS, TOTALS, write_archive
from fiscal.models import Environment, Invoice, InvoiceEvent
from fiscal.nfe.signing import verify
from fiscal.nfe.xml import NFE_NS, parse, validate
from tests.fiscal.books_fixtures import make_event, make_invoice, make_voided, sao_paulo
from tests.fiscal.test_books import production  # noqa: F401 (a fixture)

DECEMBER = Period.month(date(2026, 12, 1))
ITEMS = [{"cfop": "5102", "icms_code": "00", "total": "1234.56", "icms_base": "1234.56", "icms_amount": "222.22"}]
Kind = InvoiceEvent.Kind
SUMMARY = f"{gettext('summary')}-2026-12.csv"  # resumo-2026-12.csv


def labels(columns):
    return [str(column.label) for column in columns]


@pytest.fixture
def documents(db):
    """December's documents in production, and some of November's and of homologação's."""
    sold = make_invoice(number=1, issued_at=sao_paulo(2026, 12, 2, 9), items=ITEMS, environment=Environment.PRODUCTION)
    make_event(sold, kind=Kind.CORRECTION, sequence=1, when=sao_paulo(2026, 12, 3), text="Volume: 2 caixas")
    make_event(sold, kind=Kind.CORRECTION, sequence=2, when=sao_paulo(2026, 12, 4), text="Volume: 3 caixas")
    cancelled = make_invoice(number=2, issued_at=sao_paulo(2026, 12, 5), items=ITEMS,
                             environment=Environment.PRODUCTION, status=Invoice.Status.CANCELLED)
    make_event(cancelled, kind=Kind.CANCELLATION, when=sao_paulo(2026, 12, 5, 12))
    # Issued in November, cancelled in December: the cancellation is December's, the NF-e November's.
    november = make_invoice(number=3, issued_at=sao_paulo(2026, 11, 28), items=ITEMS,
                            environment=Environment.PRODUCTION, status=Invoice.Status.CANCELLED)
    make_event(november, kind=Kind.CANCELLATION, when=sao_paulo(2026, 12, 1, 8))
    make_voided(first=4, last=6, when=sao_paulo(2026, 12, 20), environment=Environment.PRODUCTION)
    make_voided(first=7, last=7, when=sao_paulo(2026, 11, 20), environment=Environment.PRODUCTION)
    make_invoice(number=8, issued_at=sao_paulo(2026, 12, 2), items=ITEMS)  # homologação
    make_invoice(number=9, issued_at=sao_paulo(2026, 12, 9), items=ITEMS, environment=Environment.PRODUCTION,
                 status=Invoice.Status.REJECTED, with_xml=False)
    return sold, cancelled, november


def _archive(**kwargs):
    spool = io.BytesIO()
    report = write_archive(spool, DECEMBER, environment=Environment.PRODUCTION, **kwargs)
    return report, zipfile.ZipFile(spool)


def test_the_archive_holds_every_xml_of_the_period_named_by_key_and_event(documents):
    sold, cancelled, november = documents
    report, archive = _archive()
    assert (report.invoices, report.events, report.voided, report.documents, report.missing) == (2, 4, 1, 7, [])
    names = set(archive.namelist())
    assert names == {
        f"{sold.key}-procNFe.xml",
        f"{cancelled.key}-procNFe.xml",
        f"{sold.key}-110110-01-procEventoNFe.xml",
        f"{sold.key}-110110-02-procEventoNFe.xml",
        f"{cancelled.key}-110111-01-procEventoNFe.xml",
        f"{november.key}-110111-01-procEventoNFe.xml",
        "ID35261122233300018155001000000004000000006-procInutNFe.xml",
        SUMMARY,
    }


def test_each_xml_in_the_archive_parses_and_is_the_stored_document_byte_for_byte(documents):
    sold, cancelled, _november = documents
    _report, archive = _archive()
    roots = {}
    for name in archive.namelist():
        if name.endswith(".xml"):
            data = archive.read(name)
            roots[name] = parse(data).tag.removeprefix(f"{{{NFE_NS}}}")
            verify(data)  # the signature still covers the bytes
    assert archive.read(f"{sold.key}-procNFe.xml").decode() == sold.authorized_xml
    assert validate(archive.read(f"{cancelled.key}-110111-01-procEventoNFe.xml"), "cancel") == []
    assert sorted(set(roots.values())) == ["ProcInutNFe", "nfeProc", "procEventoNFe"]


def test_the_archive_s_summary_lists_each_file_in_brazilian_csv(documents):
    sold, cancelled, _november = documents
    _report, archive = _archive()
    text = archive.read(SUMMARY).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == labels(SUMMARY_COLUMNS)
    assert len(rows) == 1 + 7
    by_file = {row[1]: row for row in rows[1:]}
    assert by_file[f"{sold.key}-procNFe.xml"][5] == "02/12/2026 09:00"
    assert by_file[f"{sold.key}-procNFe.xml"][8] == "1234,56"
    assert by_file[f"{cancelled.key}-procNFe.xml"][8] == ""  # cancelled: not summed
    assert by_file["ID35261122233300018155001000000004000000006-procInutNFe.xml"][4] == "4–6"


def test_an_authorized_invoice_without_its_xml_is_reported_not_silently_left_out(documents):
    make_invoice(number=10, issued_at=sao_paulo(2026, 12, 9), items=ITEMS, environment=Environment.PRODUCTION,
                 with_xml=False)
    report, _archive_file = _archive()
    assert report.missing == ["NF-e 10/1"]


def test_fiscal_export_writes_the_month_s_zip(production, documents, tmp_path):
    target = tmp_path / "dezembro.zip"
    out = io.StringIO()
    call_command("fiscal_export", "--month", "2026-12", "--output", str(target), stdout=out)
    assert "7 documents" in out.getvalue() and "2 NF-e, 4 events, 1 voided" in out.getvalue()
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == 8
    assert [path.name for path in tmp_path.iterdir()] == ["dezembro.zip"]  # no temporary file left


@pytest.mark.parametrize("month", ["2026-13", "12/2026", "dezembro"])
def test_fiscal_export_refuses_a_bad_month(db, tmp_path, month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("fiscal_export", "--month", month, "--output", str(tmp_path / "x.zip"))


def test_fiscal_export_refuses_an_output_it_cannot_write(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("fiscal_export", "--month", "2026-12", "--output", str(tmp_path / "missing" / "x.zip"))
    with pytest.raises(CommandError, match="directory"):
        call_command("fiscal_export", "--month", "2026-12", "--output", str(tmp_path))


# The screens' downloads -------------------------------------------------------------------------


def test_the_period_s_zip_downloads_from_the_books_page(production, documents, client_as):
    response = client_as("finance").get("/fiscal/books/xml/", {"month": "2026-12"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="nfe-xml-2026-12.zip"' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert len(archive.namelist()) == 8


def test_the_book_s_csv_is_brazilian(production, documents, client_as):
    response = client_as("finance").get("/fiscal/books/", {"month": "2026-12", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:len(BOOK_COLUMNS)] == labels(BOOK_COLUMNS)
    sold, cancelled = rows[1], rows[2]
    assert sold[0] == "02/12/2026 09:00" and sold[10] == "1234,56" and sold[9] == Invoice.Status.AUTHORIZED.label
    assert cancelled[9] == Invoice.Status.CANCELLED.label and cancelled[10] == ""


def test_the_book_s_csv_of_its_cfop_totals(production, documents, client_as):
    response = client_as("finance").get("/fiscal/books/", {"month": "2026-12", "export": "csv", "sheet": "cfop"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["5102", "1", "1234,56", "1234,56"]


def test_the_book_s_xlsx_has_the_invoices_and_each_totals_sheet_with_money_formats(production, documents, client_as):
    response = client_as("finance").get("/fiscal/books/", {"month": "2026-12", "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == [gettext("Outgoing invoices"), *(str(totals.title) for totals in TOTALS)]
    cfop = workbook[str(TOTALS[0].title)]
    assert cfop["A2"].value == "5102" and cfop["C2"].value == 1234.56 and "R$" in cfop["C2"].number_format


def test_the_tax_summary_downloads_as_a_spreadsheet(production, documents, client_as):
    response = client_as("finance").get("/fiscal/books/taxes/", {"month": "2026-12", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == [gettext("ICMS"), "222,22", "0,00", "222,22"]
