"""Spreadsheet export of any list: CSV streamed row by row, XLSX written in openpyxl's
write-only mode (constant memory) to a temporary file that is then streamed."""

import csv
import tempfile
from datetime import datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMATS = ("csv", "xlsx")
# What makes a spreadsheet program run a CSV field, or openpyxl write an XLSX cell, as a formula.
FORMULA_PREFIXES = {"csv": ("=", "+", "-", "@", "\t", "\r"), "xlsx": ("=",)}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value):
        return value


def spreadsheet_value(value, fmt="xlsx"):
    """Values as a spreadsheet holds them: local naive datetimes, Decimals and numbers as
    they are, everything else as text without control characters; text that would run as
    a formula is quoted (CSV/formula injection)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text[:1] in FORMULA_PREFIXES[fmt] else text


def export_response(*, header, rows, fmt, filename):
    """A download of `header` and `rows` (an iterable of lists) as CSV or XLSX."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}.")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{filename}-{stamp}.{fmt}"
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # BOM, so spreadsheet programs read UTF-8
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow([_csv_cell(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([spreadsheet_value(v) for v in row])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX_TYPE)


def _csv_cell(value):
    value = spreadsheet_value(value, "csv")
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value
