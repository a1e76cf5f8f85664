"""Spreadsheet export of any list, in the reader's conventions: CSV streamed row by row, XLSX
written in openpyxl's write-only mode (constant memory) to a temporary file that is then streamed.

The reader's language (the request's active one) decides the CSV: pt-BR readers get what a
Brazilian Excel opens as it is — ";" between cells, "1234,56" (no thousands separator),
"25/11/2026 14:30", "Sim"/"Não"; English readers get "," between cells, "1234.56",
"2026-11-25 14:30", "Yes"/"No". Both are UTF-8 with a BOM. An XLSX holds real numbers (money
formatted "R$ #,##0.00", which Excel shows with the reader's own separators), real dates and
datetimes (São Paulo wall-clock time), columns as wide as their first rows and a frozen header.
Made without a download (an e-mailed report), `xlsx_file` writes the same workbook, and
`exports_written` tells how many rows each sheet of the exports made within it holds.
"""

import csv
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx")
# What makes a spreadsheet program run a CSV field, or openpyxl write an XLSX cell, as a formula.
FORMULA_PREFIXES = {"csv": ("=", "+", "-", "@", "\t", "\r"), "xlsx": ("=",)}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '"R$" #,##0.00'
PERCENT_FORMAT = '0.0" %"'  # a share given in per cent (12.5 reads "12,5 %")
# The rows an XLSX column's width is measured on (the rest stream past unmeasured).
WIDTH_SAMPLE = 100
MAX_WIDTH = 60


@dataclass(frozen=True)
class Conventions:
    """How a reader writes numbers, dates and yes/no (their language's)."""

    delimiter: str
    decimal: str
    date: str  # strftime, for CSV
    datetime: str
    xlsx_date: str  # Excel number formats
    xlsx_datetime: str


BRAZILIAN = Conventions(";", ",", "%d/%m/%Y", "%d/%m/%Y %H:%M", "dd/mm/yyyy", "dd/mm/yyyy hh:mm")
ENGLISH = Conventions(",", ".", "%Y-%m-%d", "%Y-%m-%d %H:%M", "yyyy-mm-dd", "yyyy-mm-dd hh:mm")


def conventions() -> Conventions:
    """The active language's: Brazilian for Portuguese, English otherwise."""
    return BRAZILIAN if (translation.get_language() or "").startswith("pt") else ENGLISH


@dataclass(frozen=True)
class Sheet:
    """One sheet: its header, its rows (an iterable of lists, read once) and, per column, the
    kind of `backoffice.tables.Column` ("money" is formatted as reais in an XLSX, "percent" as a
    share given in per cent; the others are written as their values are)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    kinds: Sequence[str] = ()

    @classmethod
    def of_columns(cls, title: str, columns, rows: Iterable[Sequence]) -> "Sheet":
        """The sheet of `columns` (backoffice.tables.Column: its label heads it, its kind formats it)."""
        return cls(title=title, header=[str(c.label) for c in columns], rows=rows, kinds=[c.kind for c in columns])


class Row(list):
    """A row whose cells have kinds of their own instead of their columns' (a money figure in a
    column of counts and shares: the dashboards' figures)."""

    def __init__(self, values: Iterable, kinds: Sequence[str]):
        super().__init__(values)
        self.kinds = kinds


@dataclass
class Written:
    """The sheets the XLSX exports made within `exports_written()` wrote: (title, rows) each."""

    headers_only: bool = False
    sheets: list[tuple[str, int]] = field(default_factory=list)


_written: ContextVar[Written | None] = ContextVar("exports_written", default=None)


@contextmanager
def exports_written(*, headers_only: bool = False):
    """Count the rows of the XLSX exports made within (the `Written` yielded). `headers_only`:
    they write their sheets' headers and read none of their rows — what tells cheaply whether an
    address answers with a spreadsheet."""
    written = Written(headers_only=headers_only)
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


class _Echo:
    def write(self, value):
        return value


def spreadsheet_value(value, fmt="xlsx"):
    """Values as a spreadsheet holds them: local naive datetimes, dates, Decimals and numbers as
    they are, yes/no in the active language, everything else as text without control characters;
    text that would run as a formula is quoted (CSV/formula injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, Decimal, date)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text[:1] in FORMULA_PREFIXES[fmt] else text


def export_response(*sheets: Sheet, fmt, filename):
    """A download of `sheets` as an XLSX workbook, or of the one sheet as CSV."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}.")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{filename}-{stamp}.{fmt}"
    if fmt == "csv":
        if len(sheets) != 1:
            raise ValueError("A CSV file holds one sheet.")
        # The lines are made after the view returned: in the request's language, taken now.
        lines = _csv_lines(sheets[0], translation.get_language(), conventions())
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return FileResponse(xlsx_file(*sheets), as_attachment=True, filename=name, content_type=XLSX_TYPE)


def xlsx_file(*sheets: Sheet):
    """`sheets` as an XLSX workbook in a temporary file, read from its start (closing it deletes it)."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool


def _csv_lines(sheet, language, style):
    writer = csv.writer(_Echo(), delimiter=style.delimiter)
    yield "\ufeff"  # BOM, so spreadsheet programs read UTF-8
    yield writer.writerow([str(label) for label in sheet.header])
    rows = iter(sheet.rows)
    while True:
        with translation.override(language):  # the row's lazy texts, rendered in the reader's language
            row = next(rows, None)
            if row is None:
                return
            line = writer.writerow([_csv_cell(value, style) for value in row])
        yield line


def _csv_cell(value, style):
    value = spreadsheet_value(value, "csv")
    if isinstance(value, datetime):
        return value.strftime(style.datetime)
    if isinstance(value, date):
        return value.strftime(style.date)
    if isinstance(value, float):
        value = Decimal(repr(value))  # its shortest form: 0.1, not 0.100000
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", style.decimal)
    return value


def _write_sheet(workbook, sheet):
    style = conventions()
    written = _written.get()
    ws = workbook.create_sheet(sheet.title[:31])
    rows = iter(() if written and written.headers_only else sheet.rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = _widths(sheet, [[spreadsheet_value(v) for v in row] for row in sample], style)
    for number, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(number)].width = width
    ws.freeze_panes = "A2"  # set before the first row: a write-only sheet is written as it goes
    ws.append([str(label) for label in sheet.header])
    column_formats = [_number_format(kind) for kind in sheet.kinds]
    count = 0
    for count, row in enumerate(chain(sample, rows), start=1):
        formats = [_number_format(kind) for kind in row.kinds] if isinstance(row, Row) else column_formats
        ws.append([_xlsx_cell(ws, spreadsheet_value(value), formats[i] if i < len(formats) else None, style)
                   for i, value in enumerate(row)])
    if written:
        written.sheets.append((ws.title, count))


def _number_format(kind):
    return {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT}.get(kind)


def _xlsx_cell(ws, value, number_format, style):
    if isinstance(value, datetime):
        number_format = style.xlsx_datetime
    elif isinstance(value, date):
        number_format = style.xlsx_date
    elif not isinstance(value, (int, float, Decimal)):
        return value
    if number_format is None:
        return value
    cell = WriteOnlyCell(ws, value)
    cell.number_format = number_format
    return cell


def _widths(sheet, sample, style):
    """Each column as wide as its header and the longest of the sampled cells, as shown."""
    columns = max([len(sheet.header), *(len(row) for row in sample)])
    widths = []
    for i in range(columns):
        header = str(sheet.header[i]) if i < len(sheet.header) else ""
        cells = [_shown(row[i], style) for row in sample if i < len(row)]
        widths.append(min(max([len(header), *(len(text) for text in cells), 6]) + 2, MAX_WIDTH))
    return widths


def _shown(value, style):
    if isinstance(value, date):
        return _csv_cell(value, style)
    if isinstance(value, (Decimal, float)):
        return f"R$ {value:,.2f}"  # at most this wide, money or not
    return str(value)
