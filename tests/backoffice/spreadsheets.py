"""Hostile spreadsheets for the import tests, built here (cheaply: the big ones are written as
XML straight into a zip, never through openpyxl)."""

import io
import zipfile

from openpyxl import Workbook


def xlsx(rows, **cells) -> bytes:
    """A workbook of `rows` (lists), and `cells` set by reference (e.g. XFD1048576="x")."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for reference, value in cells.items():
        sheet[reference] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def count_xlsx_of(rows: int) -> bytes:
    """A cycle count of `rows` data rows that declares no used range, uncompressed (so only the
    row limit refuses it): the sheet is written row by row."""

    def write(stream):
        stream.write(MAIN + b'<row><c t="inlineStr"><is><t>sku</t></is></c><c t="inlineStr"><is><t>warehouse</t>'
                            b'</is></c><c t="inlineStr"><is><t>counted</t></is></c></row>')
        block = b"<row><c><v>1</v></c></row>" * 10_000
        for _ in range(rows // 10_000):
            stream.write(block)
        stream.write(b"</sheetData></worksheet>")

    return _rewrite(xlsx([["x"]]), SHEET, write, zipfile.ZIP_STORED)


def huge_text_xlsx(size: int) -> bytes:
    """A cycle count whose SKU cell holds `size` characters (a whole number of mebibytes); the
    file itself is small."""

    def write(stream):
        stream.write(MAIN + b'<row><c t="inlineStr"><is><t>sku</t></is></c><c t="inlineStr"><is><t>warehouse</t>'
                            b'</is></c><c t="inlineStr"><is><t>counted</t></is></c></row><row><c t="inlineStr"><is><t>')
        chunk = b"x" * (1 << 20)
        for _ in range(size // len(chunk)):
            stream.write(chunk)
        stream.write(b'</t></is></c><c t="inlineStr"><is><t>principal</t></is></c><c><v>1</v></c></row>'
                     b'</sheetData></worksheet>')

    return _rewrite(xlsx([["x"]]), SHEET, write, zipfile.ZIP_DEFLATED)


def sheet_xlsx(xml: bytes, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A workbook whose sheet is `xml` (its rows, without the sheet's envelope)."""
    return _rewrite(xlsx([["x"]]), SHEET, lambda stream: stream.write(MAIN + xml + b"</sheetData></worksheet>"),
                    compression)


def _rewrite(workbook: bytes, name: str, write, compression) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", compression) as target:
        for member in source.infolist():
            if member.filename != name:
                target.writestr(member.filename, source.read(member))
        info = zipfile.ZipInfo(name)
        info.compress_type = compression
        with target.open(info, "w", force_zip64=True) as stream:
            write(stream)
    return out.getvalue()


def count_csv_of(rows: int) -> bytes:
    return b"sku,warehouse,counted\n" + b"A,principal,1\n" * rows
