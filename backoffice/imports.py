"""Spreadsheet imports (CSV or XLSX), all-or-nothing with a row-by-row report.

An app registers an `Importer` (in its `ready()`); the upload screen stores the file as an
ImportFile first, then a task reads it, validates every row, and applies the rows in one
transaction only when none is bad.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook

MAX_ROWS = 50_000


class TableError(Exception):
    """The file as a whole cannot be read (format, encoding, columns)."""


class RowError(Exception):
    """Raised by `Importer.apply_row` when the domain refuses a row."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    data: dict
    cleaned: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


class Importer:
    kind: str
    label: str
    permission: str
    columns: tuple[str, ...]  # required
    optional_columns: tuple[str, ...] = ()
    example: tuple[tuple, ...] = ()  # rows of the downloadable template
    return_url_name: str = "home"

    def clean_rows(self, rows: list[Row]) -> None:
        """Fill each row's `cleaned` or `errors` (may look across rows, e.g. duplicates)."""
        raise NotImplementedError

    def apply_row(self, row: Row, *, user, reference: str) -> None:
        """Apply one clean row; raise RowError to refuse it (the whole import rolls back)."""
        raise NotImplementedError

    def finish(self, rows: list[Row], *, user, reference: str) -> None:
        """After every row was applied, in the same transaction (e.g. links between rows)."""


IMPORTERS: dict[str, Importer] = {}


def cell_text(value) -> str:
    """A cell as text: stripped, "" for empty, and 12 rather than 12.0 for whole numbers."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def register_importer(importer: Importer):
    IMPORTERS[importer.kind] = importer


def _normalise(header) -> str:
    return str(header or "").strip().lower()


def _csv_rows(raw: bytes):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _xlsx_rows(raw: bytes):
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(_("The XLSX file could not be read (%(error)s).") % {"error": type(exc).__name__}) from exc
    sheet = workbook.worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def read_table(raw: bytes, name: str, importer: Importer) -> list[Row]:
    """The file's data rows as dicts keyed by the importer's column names."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(raw)
    elif suffix == ".xlsx":
        table = _xlsx_rows(raw)
    else:
        raise TableError(_("Send a .csv or .xlsx file."))
    # Numbered as the spreadsheet shows them (header = 1), blank lines skipped but counted.
    numbered = [(n, row) for n, row in enumerate(table, start=1) if any(str(cell).strip() for cell in row)]
    if not numbered:
        raise TableError(_("The file is empty."))
    header = [_normalise(h) for h in numbered[0][1]]
    known = set(importer.columns) | set(importer.optional_columns)
    missing = [c for c in importer.columns if c not in header]
    unknown = [h for h in header if h and h not in known]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
    if repeated:
        problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(repeated)})
    if problems:
        expected = ", ".join([*importer.columns, *importer.optional_columns])
        raise TableError(_("Wrong columns (%(problems)s). Expected: %(expected)s.") % {
            "problems": "; ".join(problems), "expected": expected})
    if len(numbered) - 1 > MAX_ROWS:
        raise TableError(_("At most %(max)d rows per file.") % {"max": MAX_ROWS})
    if len(numbered) == 1:
        raise TableError(_("The file has a header but no rows."))
    return [
        Row(number, {h: (v.strip() if isinstance(v, str) else v) for h, v in zip(header, cells) if h})
        for number, cells in numbered[1:]
    ]
