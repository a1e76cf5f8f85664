"""The books' spreadsheets (CSV/XLSX, backoffice.exports' conventions) and the period's archive
for the accountant: a ZIP of every XML SEFAZ registered in the period — the authorized NF-e
(nfeProc, cancelled ones too), the events (procEventoNFe: cancellations and CC-e) and the voided
number ranges (procInutNFe) — named by key and event, with a summary CSV. The ZIP is written to a
file as the documents are read, a few at a time: a month of any size takes the same memory."""

import pickle
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.exports import Sheet, export_response
from backoffice.tables import Column, ExportSheet
from backoffice.text import format_document

from . import books
from .books import ITEM_TOTALS, TAXES, Book, Period, TaxSummary
from .models import Invoice, InvoiceEvent, VoidedRange
from .nfe.xml import parse

CHUNK = 200  # documents read at a time

BOOK_COLUMNS = [
    Column("issued_at", _("Issued"), sort="issued_at", kind="datetime"),
    Column("number", _("Number"), sort="number", kind="number",
           link=lambda invoice: reverse("fiscal:invoice_detail", args=[invoice.pk])),
    Column("series", _("Series"), kind="number"),
    Column("key", _("Access key"), kind="code"),
    Column("recipient_name", _("Recipient")),
    Column("recipient_document", _("CPF/CNPJ"), accessor=lambda invoice: format_document(invoice.recipient_document)),
    Column("recipient_uf", _("UF"), sort="recipient_uf"),
    Column("cfops", _("CFOP"), accessor=books.cfops),
    Column("icms_codes", _("CST/CSOSN"), accessor=books.icms_codes),
    Column("status", _("Status"), display=True, kind="badge"),
    Column("total", _("Total"), accessor=books.summed("total"), kind="money"),
    Column("icms_base", _("ICMS base"), accessor=books.summed("icms_base"), kind="money"),
    Column("icms_total", _("ICMS"), accessor=books.summed("icms_total"), kind="money"),
    Column("st_total", _("ICMS-ST"), accessor=books.summed("st_total"), kind="money"),
    Column("ipi_total", _("IPI"), accessor=books.summed("ipi_total"), kind="money"),
]
# The spreadsheet has every figure of the invoice, and its protocol.
BOOK_EXPORT_COLUMNS = [
    *BOOK_COLUMNS,
    *(Column(name, label, accessor=books.summed(name), kind="money") for name, label in TAXES.items()
      if name not in {"icms_total", "st_total", "ipi_total"}),
    Column("protocol", _("Authorization protocol")),
]


@dataclass(frozen=True)
class Totals:
    """A book's totals table: its rows are `Book.by_<key>`, grouped by their `group` field."""

    key: str
    group: str
    label: str
    title: str

    @property
    def columns(self) -> list[Column]:
        return [
            Column(self.group, self.label, accessor=lambda row: row[self.group]),
            Column("invoices", _("Invoices"), accessor=lambda row: row["invoices"], kind="number"),
            *(Column(name, title, accessor=lambda row, name=name: row[name], kind="money")
              for name, title in ITEM_TOTALS.items()),
        ]

    def rows(self, book: Book) -> list[dict]:
        return getattr(book, f"by_{self.key}")


TOTALS = [
    Totals("cfop", "cfop", _("CFOP"), _("By CFOP")),
    Totals("cst", "icms_code", _("CST/CSOSN"), _("By CST-CSOSN")),  # a sheet's title has no "/"
    Totals("uf", "uf", _("UF"), _("By UF")),
]


class _Rows(list):
    """A totals table's rows, already read, where an export sheet reads a queryset's iterator."""

    def iterator(self, chunk_size=None):
        return iter(self)


def book_sheets(book: Book) -> list[ExportSheet]:
    """The book's spreadsheet: its invoices (the list's rows, as filtered and sorted), then its
    totals by CFOP, by CST/CSOSN and by UF."""
    return [
        ExportSheet("", book.title, BOOK_EXPORT_COLUMNS),
        *(ExportSheet(totals.key, totals.title, totals.columns, lambda table, totals=totals: _Rows(totals.rows(book)))
          for totals in TOTALS),
    ]


TAX_COLUMNS = [
    Column("tax", _("Tax")),
    Column("outgoing", _("Outgoing (debits)"), kind="money"),
    Column("incoming", _("Incoming (credits)"), kind="money"),
    Column("balance", _("Balance"), kind="money"),
]


def tax_summary_response(summary: TaxSummary, *, fmt: str):
    """The tax summary as a spreadsheet: one line per tax, then the invoices' total."""
    rows = ([column.value(line) for column in TAX_COLUMNS] for line in [*summary.lines, summary.totals])
    sheet = Sheet.of_columns(gettext("Tax summary"), TAX_COLUMNS, rows)
    return export_response(sheet, fmt=fmt, filename=f"tax-summary-{summary.period.slug}")


# The period's archive -------------------------------------------------------------------------


@dataclass
class ArchiveReport:
    """What went into an archive: how many documents of each kind, and the authorized documents
    whose XML is missing (they should not exist; they are named so someone looks)."""

    invoices: int = 0
    events: int = 0
    voided: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.invoices + self.events + self.voided


SUMMARY_COLUMNS = [
    Column("document", _("Document")),
    Column("file", _("File")),
    Column("key", _("Access key")),
    Column("series", _("Series"), kind="number"),
    Column("number", _("Number")),
    Column("when", _("Date"), kind="datetime"),
    Column("status", _("Status")),
    Column("protocol", _("Protocol")),
    Column("total", _("Total"), kind="money"),
]


@dataclass(frozen=True)
class _Entry:
    document: str
    file: str
    key: str
    series: int
    number: str
    when: datetime | None
    status: str
    protocol: str
    total: Decimal | None


def _stored(documents, report: ArchiveReport, xml: str):
    """The `documents` (read a few at a time) whose field `xml` holds their XML; each one without it
    is named among the report's missing."""
    for document in documents.iterator(chunk_size=CHUNK):
        if getattr(document, xml):
            yield document
        else:
            report.missing.append(str(document))


def _invoice_entries(period, environment, report):
    invoices = (books.issued_in(period, environment=environment)
                .only("key", "series", "number", "issued_at", "status", "protocol", "total", "authorized_xml")
                .order_by("issued_at", "series", "number", "pk"))
    for invoice in _stored(invoices, report, "authorized_xml"):
        report.invoices += 1
        name = f"{invoice.key}-procNFe.xml"
        yield name, invoice.authorized_xml, _Entry(
            gettext("NF-e"), name, invoice.key, invoice.series, str(invoice.number), invoice.issued_at,
            invoice.get_status_display(), invoice.protocol,
            invoice.total if invoice.status == Invoice.Status.AUTHORIZED else None)


def _event_entries(period, environment, report):
    events = (InvoiceEvent.objects.filter(invoice__environment=environment, status=InvoiceEvent.Status.REGISTERED,
                                          registered_at__range=period.span)
              .annotate(key=F("invoice__key"), series=F("invoice__series"), number=F("invoice__number"))
              .only("kind", "sequence", "registered_xml", "protocol", "registered_at")
              .order_by("registered_at", "pk"))
    for event in _stored(events, report, "registered_xml"):
        report.events += 1
        name = f"{event.key}-{event.kind}-{event.sequence:02d}-procEventoNFe.xml"
        yield name, event.registered_xml, _Entry(
            event.get_kind_display(), name, event.key, event.series, str(event.number), event.registered_at,
            gettext("Registered"), event.protocol, None)


def _voided_id(xml: str) -> str:
    """The Id of the request's infInut ("ID" + UF + year + CNPJ + model + series + first + last)."""
    element = parse(xml.encode()).find(".//{*}infInut")
    return element.get("Id") if element is not None else ""


def _voided_entries(period, environment, report):
    ranges = VoidedRange.objects.filter(environment=environment, status=VoidedRange.Status.REGISTERED,
                                        registered_at__range=period.span).order_by("registered_at", "pk")
    for voided in _stored(ranges, report, "registered_xml"):
        report.voided += 1
        name = f"{_voided_id(voided.registered_xml) or f'inut-{voided.pk}'}-procInutNFe.xml"
        yield name, voided.registered_xml, _Entry(
            gettext("Voided numbers"), name, "", voided.series, f"{voided.first}–{voided.last}", voided.registered_at,
            gettext("Registered"), voided.protocol, None)


def write_archive(target, period: Period, *, environment: int | None = None) -> ArchiveReport:
    """Write the ZIP of `period`'s XML files to the binary file `target`; what went in. Its summary,
    a CSV in the active language's conventions, lists every file."""
    environment = books.store_environment() if environment is None else environment
    report = ArchiveReport()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive, tempfile.TemporaryFile() as spool:
        for entries in (_invoice_entries, _event_entries, _voided_entries):
            for name, xml, entry in entries(period, environment, report):
                archive.writestr(name, xml.encode())
                pickle.dump(entry, spool)
        spool.seek(0)
        rows = ([column.value(entry) for column in SUMMARY_COLUMNS] for entry in _unpickled(spool))
        summary = export_response(Sheet.of_columns(gettext("Summary"), SUMMARY_COLUMNS, rows), fmt="csv",
                                  filename="summary")
        with archive.open(f"{gettext('summary')}-{period.slug}.csv", "w") as out:
            for chunk in summary.streaming_content:
                out.write(chunk)
    return report


def _unpickled(spool):
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


def archive_filename(period: Period) -> str:
    return f"nfe-xml-{period.slug}.zip"


def archive_response(period: Period, *, environment: int | None = None) -> FileResponse:
    """The period's archive as a download, streamed from a temporary file."""
    spool = tempfile.TemporaryFile()
    write_archive(spool, period, environment=environment)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=archive_filename(period), content_type="application/zip")
