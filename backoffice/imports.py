"""Spreadsheet imports (CSV or XLSX), all-or-nothing with a row-by-row report.

An app registers an `Importer` (in its `ready()`); the upload screen stores the file as an
ImportFile first, then a task reads it, validates every row, and applies the rows in one
transaction only when none is bad.

A file is read as people and our own exports write it: a header in Portuguese or English (each
column is known by its key, its English label and its pt-BR label, case and accents aside),
";", "," or tabs between cells, UTF-8 (with or without BOM), UTF-16 or Windows-1252, or the XLSX
an export produced; numbers as "1234,56", "1.234,56" or "1234.56", yes/no as Sim/Não,
True/False or 1/0.
"""

import codecs
import csv
import io
import re
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django import forms
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from .exports import FORMULA_PREFIXES
from .money import parse_amount
from .search import folded
from .tables import Column

# Every limit is checked while the file is read, so no file makes a worker read (or hold)
# more than this: a file over a limit is refused as soon as the limit is passed.
MAX_ROWS = 50_000
MAX_COLUMNS = 100
MAX_CELL_LENGTH = 32_767  # Excel's own limit for a cell
# An XLSX is a zip of XML files; each is checked, by what the zip declares, before it is
# inflated (the zip module never inflates a member beyond its declared size).
MAX_MEMBER_SIZE = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # checked for members over a mebibyte (small ones cannot bomb)
# A sheet declares its used range (A1:XFD1048576 for one far cell) and openpyxl pads every row to
# it: a range over the limits is refused, and the rows are read without it.
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit: a row numbered beyond it is not read

# A NUL byte or half of a UTF-16 surrogate pair is not text: the database refuses it.
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


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
    # Each row's data is keyed by its columns' keys; the header names them by key or label.
    columns: tuple[Column, ...]  # required
    optional_columns: tuple[Column, ...] = ()
    example: tuple[tuple, ...] = ()  # rows of the downloadable template, as values (Decimal, bool…)
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
    """A cell as text: stripped, "" for empty, 12 rather than 12.0 for whole numbers, and
    without the quote our exports put before text that would run as a formula (so a
    product named "=HYPERLINK(…)" goes out and comes back as it was)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value)
    if text[:1] == "'" and text[1:2] in FORMULA_PREFIXES["csv"]:
        text = text[1:]
    return text.strip()


def cell_decimal(value, places: int | None = None):
    """A number cell as a Decimal: a number of the XLSX as it is, a text as `parse_amount` reads
    it (to `places` decimals: "1.250" is ambiguous where there are three). ValueError for
    anything else."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a number: {value!r}")
        return number
    return parse_amount(cell_text(value), places=places)


def form_value(value, *, places: int | None = None):
    """A cell as a form takes it: a number of `places` decimals as a Decimal when it reads as
    one (else as typed, for the form to explain), any other cell (`places` None) as text."""
    if places is not None:
        try:
            return cell_decimal(value, places)
        except ValueError:
            pass
    return cell_text(value)


YES = ("1", "true", "sim", "s", "yes", "y", "ativo")
NO = ("0", "false", "não", "nao", "n", "no", "inativo")


def cell_bool(value, default: bool) -> bool:
    """A yes/no cell (Sim/Não, True/False, 1/0…); `default` when empty."""
    text = cell_text(value).lower()
    if not text:
        return default
    if text in YES:
        return True
    if text in NO:
        return False
    raise forms.ValidationError(_("use 1/0, sim/não or true/false"))


def mark_duplicates(rows, key):
    """Mark rows whose `key` repeats an earlier row's."""
    seen = {}
    for row in rows:
        value = key(row)
        if not value:
            continue
        if value in seen:
            row.errors.append(_("duplicated: the same as row %(row)d") % {"row": seen[value]})
        else:
            seen[value] = row.number


def register_importer(importer: Importer):
    IMPORTERS[importer.kind] = importer


def _normalise(header) -> str:
    """A header as it is matched: accents and case ignored (as searches do), single spaces."""
    return " ".join(folded(str(header or "")).split())


def column_names(column: Column) -> set[str]:
    """What a header may call `column`: its key, its English label or its pt-BR label."""
    names = {_normalise(column.key)}
    for language in ("en", "pt-br"):
        with translation.override(language):
            names.add(_normalise(column.label))
    return names


def _csv_encoding(handle) -> str:
    """UTF-16 when the file says so (Excel's "Unicode Text"), UTF-8 when every byte is, else
    Windows-1252; read in chunks, never whole."""
    if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        handle.seek(0)
        return "utf-16"
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        handle.seek(0)


# The header line is what tells the separator (data cells hold commas: "59,90"); read no
# further than this to find it.
HEADER_SNIFF = 64 * 1024


def _delimiter(header_line: str) -> str:
    """The separator the header uses most: ";" (Excel in Portuguese), "," or a tab."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_rows(handle):
    text = io.TextIOWrapper(handle, encoding=_csv_encoding(handle), newline="")
    try:
        # Blank lines before the header are skipped, as the reader skips them.
        header_line = next((line for line in text.read(HEADER_SNIFF).splitlines() if line.strip()), "")
        text.seek(0)
        reader = csv.reader(text, delimiter=_delimiter(header_line))
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield cells
        except csv.Error as exc:
            # Also what a quote left open does: the rest of the file becomes one cell.
            raise TableError(_("Row %(row)d could not be read: a cell is longer than %(max)d characters or a quote "
                               "is not closed.") % {"row": number + 1, "max": MAX_CELL_LENGTH}) from exc
    except UnicodeError as exc:
        raise TableError(_("The file is not text in UTF-8, UTF-16 or Windows-1252: save it again as “CSV UTF-8”."))\
            from exc
    finally:
        text.detach()  # the caller closes the file


def _check_zip(handle):
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableError(_("The XLSX file could not be read (%(error)s).") % {"error": type(exc).__name__}) from exc
    for member in members:
        too_large = member.file_size > MAX_MEMBER_SIZE
        ratio = member.file_size / max(member.compress_size, 1)
        if too_large or (member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise TableError(_("The XLSX file holds more data than an import may have (%(member)s: %(size)d MB). "
                               "Send at most %(max)d rows, or a CSV file.") % {
                "member": member.filename[:100], "size": member.file_size // (1024 * 1024), "max": MAX_ROWS})
    handle.seek(0)


def _xlsx_rows(handle):
    _check_zip(handle)
    workbook = None
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > MAX_ROWS + 1 or (sheet.max_column or 0) > MAX_COLUMNS:
            raise TableError(_("The sheet's used range is %(rows)d rows by %(columns)d columns; an import may have "
                               "at most %(max_rows)d rows and %(max_columns)d columns (delete the rows and columns "
                               "after your data).") % {"rows": sheet.max_row, "columns": sheet.max_column,
                                                        "max_rows": MAX_ROWS + 1, "max_columns": MAX_COLUMNS})
        # The declared range may be wrong: the real cells are read, never more than one
        # column past the limit (so a cell far to the right is not padded to).
        sheet.reset_dimensions()
        yield from sheet.iter_rows(max_row=MAX_SHEET_ROWS, max_col=MAX_COLUMNS + 1, values_only=True)
    except TableError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(_("The XLSX file could not be read (%(error)s).") % {"error": type(exc).__name__}) from exc
    finally:
        if workbook is not None:
            workbook.close()


def _check_row(number, cells):
    if not all(_blank(cell) for cell in cells[MAX_COLUMNS:]):
        raise TableError(_("Row %(row)d has more than %(max)d columns.") % {"row": number, "max": MAX_COLUMNS})
    for cell in cells:
        if isinstance(cell, str):
            if len(cell) > MAX_CELL_LENGTH:
                raise TableError(_("Row %(row)d has a cell longer than %(max)d characters.") % {
                    "row": number, "max": MAX_CELL_LENGTH})
            if NOT_TEXT.search(cell):
                raise TableError(_("Row %(row)d holds a character that is not text (such as a NUL byte): save the "
                                   "file again as “CSV UTF-8” or XLSX.") % {"row": number})


def _blank(cell) -> bool:
    return cell is None or not str(cell).strip()


def read_table(handle, name: str, importer: Importer) -> list[Row]:
    """The data rows of the open (binary, seekable) file as dicts keyed by the importer's
    column keys; read as a stream, refused as soon as it passes a limit."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(handle)
    elif suffix == ".xlsx":
        table = _xlsx_rows(handle)
    else:
        raise TableError(_("Send a .csv or .xlsx file."))
    header, rows = None, []
    # Numbered as the spreadsheet shows them (header = 1), blank lines skipped but counted;
    # the reader is closed here, while the file is still open.
    with closing(table):
        for number, cells in enumerate(table, start=1):
            _check_row(number, cells)
            if all(_blank(cell) for cell in cells):
                continue
            if header is None:
                header = _header(cells, importer)
            elif len(rows) == MAX_ROWS:
                raise TableError(_("At most %(max)d rows per file.") % {"max": MAX_ROWS})
            else:
                rows.append(Row(number, {h: (v.strip() if isinstance(v, str) else v)
                                         for h, v in zip(header, cells) if h}))
    if header is None:
        raise TableError(_("The file is empty."))
    if not rows:
        raise TableError(_("The file has a header but no rows."))
    return rows


def _header(cells, importer) -> list[str]:
    """The header's columns as the importer's keys ("" for an empty cell), or TableError."""
    columns = [*importer.columns, *importer.optional_columns]
    by_name = {name: column for column in columns for name in column_names(column)}
    labels = {column.key: str(column.label) for column in columns}
    header, unknown = [], []
    for cell in cells:
        name = _normalise(cell)
        column = by_name.get(name)
        if name and column is None:
            unknown.append(cell_text(cell))
        header.append(column.key if column else "")
    missing = [labels[c.key] for c in importer.columns if c.key not in header]
    repeated = [labels[c.key] for c in columns if header.count(c.key) > 1]
    problems = []
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
    if repeated:
        problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(repeated)})
    if problems:
        raise TableError(_("Wrong columns (%(problems)s). Expected: %(expected)s.") % {
            "problems": "; ".join(problems), "expected": ", ".join(labels.values())})
    return header
