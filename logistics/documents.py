"""The papers of fulfilment, as PDF bytes: the picking list of a set of orders (A4), each parcel's
10 × 15 cm pages for the thermal printer (its label — the carrier's own when its API made one, ours
otherwise —, its DANFE label and its contents), and each parcel's packing slip (A5).

Drawn with reportlab's standard Helvetica, which has the Windows-1252 characters (ç, ã, é, –):
anything else is folded to its base letter first (`printable`)."""

import io
import unicodedata
from itertools import groupby
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from pypdf import PdfWriter
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from backoffice.money import format_number
from backoffice.text import format_cep

from .models import Shipment
from .selectors import document_shipments, picking_lines, picking_orders

# The thermal printer's label, 10 × 15 cm, and the margin its printers leave.
LABEL = (100 * mm, 150 * mm)
LABEL_MARGIN = 4 * mm
PAGE_MARGIN = 12 * mm
# What our label's QR code holds: the tracking code and the recipient's CEP, for the sorting scanners.
QR_CONTENT = "{code}|{cep}"
# Dates and times as Brazilians write them (dd/mm/aaaa), in São Paulo's time.
DAY, MINUTE = "%d/%m/%Y", "%d/%m/%Y %H:%M"
# Code 128 bars no wider than this (a short value would otherwise get bars as wide as the space).
WIDEST_BAR = 0.5 * mm

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9)
STRONG = ParagraphStyle("strong", parent=BODY, fontName="Helvetica-Bold")
BIG = ParagraphStyle("big", parent=STRONG, fontSize=12, leading=14.5)
TITLE = ParagraphStyle("title", parent=STRONG, fontSize=15, leading=18, spaceAfter=2 * mm)
HEADING = ParagraphStyle("heading", parent=STRONG, fontSize=11, leading=13, spaceBefore=4 * mm, spaceAfter=1.5 * mm)
CENTERED = ParagraphStyle("centered", parent=SMALL, alignment=1)
LINE = colors.HexColor("#444444")


class DocumentUnavailable(ValueError):
    """A document asked for cannot be printed yet (the message, for the user, says why)."""


def printable(text) -> str:
    """`text` in the characters Helvetica draws (Windows-1252); any other folded to its base letter
    ("Nguyễn" → "Nguyen"), or "?" when it has none."""
    folded = []
    for char in str(text):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            char = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252") or "?"
        folded.append(char)
    return "".join(folded)


def _para(text, style=BODY) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _barcode(value: str, *, width: float, height: float, caption: str | None = None) -> list[Flowable]:
    """`value` as a Code 128 (set C for its runs of digits: a 44-digit key is all Code 128C) at most
    `width` wide with its quiet zones, and its caption (`value` itself unless told) printed under it."""
    modules = Code128(value, barWidth=1, quiet=0).width + 20  # ten modules of quiet zone each side
    bar = min(width / modules, WIDEST_BAR)
    barcode = Code128(value, barWidth=bar, barHeight=height, lquiet=10 * bar, rquiet=10 * bar)
    barcode.hAlign = "CENTER"
    return [barcode, _para(value if caption is None else caption, CENTERED)]


def _qr(value: str, size: float) -> Drawing:
    """`value` as a QR code `size` wide and high, its quiet zone included."""
    widget = QrCodeWidget(value, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


class _Checkbox(Flowable):
    """An empty square, ticked by hand as the line is picked."""

    def __init__(self, size=4 * mm):
        super().__init__()
        self.width = self.height = size

    def draw(self):
        self.canv.rect(0, 0, self.width, self.height)


def _address_lines(name, *, street, number, complement, district, cep, city, uf) -> list[str]:
    first = f"{street}, {number}" + (f" – {complement}" if complement else "")
    return [name, first, district, f"{format_cep(cep)} {city}/{uf}"]


def _sender(profile) -> list[str]:
    return _address_lines(profile.legal_name, street=profile.street, number=profile.number,
                          complement=profile.complement, district=profile.district, cep=profile.cep,
                          city=profile.city.name, uf=profile.city.uf)


def _recipient(order) -> list[str]:
    return _address_lines(order.ship_recipient, street=order.ship_street, number=order.ship_number,
                          complement=order.ship_complement, district=order.ship_district, cep=order.ship_cep,
                          city=order.ship_city_name, uf=order.ship_uf)


def _address_block(title: str, lines: list[str], *, width: float, name_style=STRONG, style=BODY) -> Table:
    """A boxed address: its title (sender, recipient), the name, then the address's lines."""
    name, *rest = lines
    cells = [[_para(title.upper(), SMALL)], [_para(name, name_style)], *([_para(line, style)] for line in rest)]
    block = Table(cells, colWidths=[width])
    block.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, LINE), ("TOPPADDING", (0, 0), (-1, -1), 0.6 * mm),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0.6 * mm)]))
    return block


def _table(header: list[str], rows: list[list], widths: list[float]) -> Table:
    """A list with its header row (repeated on each page it runs over), ruled between rows; cells
    are text, or flowables as they are."""
    cells = [[_para(title, STRONG) for title in header]]
    cells += [[cell if isinstance(cell, Flowable) else _para(cell) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.8, LINE),
                               ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey)]))
    return table


def _facts(pairs: list[tuple[str, str]], width: float, columns: int = 2) -> Table:
    """Short facts (weight, NF-e, carrier …), `columns` to a row, each its label over its value."""
    cells = [[_para(label, SMALL), _para(value, STRONG)] for label, value in pairs]
    cells += [""] * (-len(cells) % columns)
    table = Table([cells[start:start + columns] for start in range(0, len(cells), columns)],
                  colWidths=[width / columns] * columns)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5 * mm)]))
    return table


def _pdf(story: list, *, pagesize, margin: float, title: str) -> bytes:
    """`story` laid out on pages `pagesize`, its content `margin` from every edge."""
    out = io.BytesIO()
    frame = Frame(margin, margin, pagesize[0] - 2 * margin, pagesize[1] - 2 * margin, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    BaseDocTemplate(out, pagesize=pagesize, pageTemplates=[PageTemplate(frames=[frame])],
                    title=printable(title)).build(story)
    return out.getvalue()


def _merged(parts: list[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _printed_now() -> str:
    return _("Printed on %(when)s") % {"when": timezone.localtime().strftime(MINUTE)}


def _quantity_header() -> str:
    return pgettext("short for quantity, a column's title", "Qty")


def _units(quantity: int) -> str:
    return ngettext("%(count)s unit", "%(count)s units", quantity) % {"count": format_number(quantity, 0)}


def picking_list_pdf(orders) -> bytes:
    """The picking list of `orders` (objects or pks), A4: what to take from each warehouse, shelf by
    shelf, with a box to tick per line; then each order (its number as a barcode for the packing
    station, its customer and items), to sort the units picked."""
    orders = picking_orders(orders)
    lines = picking_lines(orders)
    width = A4[0] - 2 * PAGE_MARGIN
    count = ngettext("%(count)s order", "%(count)s orders", len(orders)) % {"count": len(orders)}
    story = [_para(_("Picking list"), TITLE),
             _para(" · ".join([_printed_now(), count, _units(sum(line.quantity for line in lines))]))]
    if not lines:
        story.append(_para(_("No stock is reserved for these orders: there is nothing to pick."), HEADING))
    for warehouse, picks in groupby(lines, key=lambda line: line.warehouse):
        story.append(_para(warehouse.name, HEADING))
        story.append(_table(
            ["", _("Location"), _("SKU"), _("GTIN"), _("Product"), _quantity_header(), _("Orders")],
            [[_Checkbox(), line.location or "—", line.sku, line.gtin, line.name, format_number(line.quantity, 0),
              ", ".join(f"#{number}" for number in line.orders)] for line in picks],
            [width * share for share in (0.05, 0.12, 0.15, 0.15, 0.28, 0.09, 0.16)]))
    story.append(_para(_("Orders"), HEADING))
    for order in orders:
        items = [_para(f"{item.quantity} × {item.sku} – {item.name}", SMALL) for item in order.items.all()]
        block = Table([[_barcode(str(order.number), width=0.3 * width, height=12 * mm),
                        [_para(f"#{order.number} – {order.customer.name}", STRONG),
                         _para(f"{order.ship_city_name}/{order.ship_uf}", SMALL), *items]]],
                      colWidths=[0.34 * width, 0.66 * width])
        block.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("ALIGN", (0, 0), (0, 0), "CENTER")]))
        story += [KeepTogether(block), Spacer(1, 2 * mm)]
    return _pdf(story, pagesize=A4, margin=PAGE_MARGIN, title=_("Picking list"))


def _store():
    from fiscal.models import FiscalProfile

    profile = FiscalProfile.objects.select_related("city").filter(pk=1).first()
    if profile is None:
        raise DocumentUnavailable(_("Fill in the store's fiscal profile first: its name and address are the "
                                    "sender's."))
    return profile


def _parcels(shipments, *, refused, reason: str) -> list[Shipment]:
    """`shipments` loaded for their documents; DocumentUnavailable when there is none, or with
    `reason` (naming the parcel's %(number)s and %(order)s) for the first one `refused` says cannot
    be printed."""
    shipments = document_shipments(shipments)
    if not shipments:
        raise DocumentUnavailable(_("Choose the parcels to print."))
    for shipment in shipments:
        if refused(shipment):
            raise DocumentUnavailable(reason % {"number": shipment.pk, "order": shipment.order})
    return shipments


def _invoice(shipment: Shipment):
    """The parcel's NF-e: its order's authorized one (document_shipments loads it), None if none."""
    return next(iter(shipment.order.authorized_invoices), None)


def _weight(shipment: Shipment) -> str:
    return f"{format_number(shipment.weight_kg, 3)} kg" if shipment.weight_kg else "—"


def _invoice_number(invoice) -> str:
    return _("%(number)s, series %(series)s") % {"number": invoice.number, "series": invoice.series}


def _label(shipment: Shipment, store, invoice) -> bytes:
    """Our label of a parcel, on one 10 × 15 cm page (shrunk to fit when its addresses run long)."""
    from fiscal.danfe import printed_key

    order, width = shipment.order, LABEL[0] - 2 * LABEL_MARGIN
    header = Table([[[_para(shipment.carrier.name, BIG), _para(shipment.service.name)],
                     [_para(_("Order"), SMALL), _para(str(order), BIG)]]],
                   colWidths=[0.65 * width, 0.35 * width])
    header.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 1.2, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    code = Table([[_qr(QR_CONTENT.format(code=shipment.tracking_code, cep=order.ship_cep), 24 * mm),
                   [_para(_("Tracking code"), SMALL),
                    *_barcode(shipment.tracking_code, width=0.66 * width, height=15 * mm)]]],
                 colWidths=[0.28 * width, 0.72 * width])
    code.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    facts = [(_("Weight"), _weight(shipment))]
    if invoice is not None:
        facts.append((_("NF-e"), _invoice_number(invoice)))
    story = [header, Spacer(1, 1.5 * mm), code, Spacer(1, 1.5 * mm),
             _address_block(_("Recipient"), _recipient(order), width=width, name_style=BIG),
             Spacer(1, 1 * mm), _facts(facts, width)]
    if invoice is not None:
        story += [_para(_("NF-e access key"), SMALL),
                  *_barcode(invoice.key, width=width, height=11 * mm, caption=printed_key(invoice.key))]
    story += [Spacer(1, 1.5 * mm), _address_block(_("Sender"), _sender(store), width=width, name_style=STRONG,
                                                  style=SMALL)]
    fitted = KeepInFrame(width, LABEL[1] - 2 * LABEL_MARGIN - 1 * mm, story, mode="shrink")
    return _pdf([fitted], pagesize=LABEL, margin=LABEL_MARGIN, title=shipment.tracking_code)


def _contents(shipment: Shipment, width: float) -> list:
    """The parcel's items (SKU, product, quantity) and their total, as a list `width` wide."""
    items = list(shipment.items.all())
    return [_table([_("SKU"), _("Product"), _quantity_header()],
                   [[item.order_item.sku, item.order_item.name, format_number(item.quantity, 0)] for item in items],
                   [0.28 * width, 0.56 * width, 0.16 * width]),
            Spacer(1, 1.5 * mm), _para(_units(sum(item.quantity for item in items)), STRONG)]


def _contents_page(shipment: Shipment) -> bytes:
    """The parcel's contents on 10 × 15 cm pages, for whoever opens it."""
    title = _("Contents of parcel %(parcel)s") % {"parcel": shipment}
    story = [_para(title, HEADING), _para(_("Order %(order)s") % {"order": shipment.order}, STRONG),
             Spacer(1, 2 * mm), *_contents(shipment, LABEL[0] - 2 * LABEL_MARGIN)]
    return _pdf(story, pagesize=LABEL, margin=LABEL_MARGIN, title=title)


def package_pages_pdf(shipments) -> bytes:
    """Every page `shipments` (objects or pks, shipped: they have their tracking code) travel with,
    10 × 15 cm, parcel after parcel in the order given: its label (the carrier's PDF as it came,
    each of its pages, when its API made one; ours otherwise), its DANFE label (when its order has
    an authorized NF-e) and its contents. DocumentUnavailable names the first parcel not shipped,
    before anything is drawn."""
    from fiscal.danfe import danfe_label

    shipments = _parcels(shipments, refused=lambda shipment: not shipment.tracking_code,
                         reason=_("Parcel %(number)s of order %(order)s has no tracking code yet: ship it to "
                                  "print its label."))
    store = _store()
    parts = []
    for shipment in shipments:
        invoice = _invoice(shipment)
        parts.append(bytes(shipment.carrier_label) or _label(shipment, store, invoice))
        if invoice is not None:
            parts.append(danfe_label(invoice))
        parts.append(_contents_page(shipment))
    return _merged(parts)


def packing_slip_pdf(shipments) -> bytes:
    """The packing slip (romaneio, declaration of contents) of each of `shipments` (objects or pks),
    A5, in the order given: the order, sender and recipient, the carrier, the weight, the NF-e's
    number and key, the tracking code as a barcode, and the items. DocumentUnavailable names the
    first cancelled parcel, before anything is drawn."""
    from fiscal.danfe import printed_key

    shipments = _parcels(shipments, refused=lambda shipment: shipment.status == Shipment.Status.CANCELLED,
                         reason=_("Parcel %(number)s of order %(order)s was cancelled: it has no packing slip."))
    store, width = _store(), A5[0] - 2 * PAGE_MARGIN
    story = []
    for shipment in shipments:
        order, invoice = shipment.order, _invoice(shipment)
        addresses = Table([[_address_block(_("Sender"), _sender(store), width=width / 2 - 2 * mm, style=SMALL),
                            _address_block(_("Recipient"), _recipient(order), width=width / 2 - 2 * mm)]],
                          colWidths=[width / 2] * 2)
        addresses.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        facts = [(_("Order"), str(order)), (_("Placed"), timezone.localtime(order.placed_at).strftime(DAY)),
                 (_("Carrier"), str(shipment.service)), (_("Weight"), _weight(shipment))]
        if invoice is not None:
            facts.append((_("NF-e"), _invoice_number(invoice)))
        story += [_para(_("Packing slip – order %(order)s") % {"order": order}, TITLE), addresses,
                  Spacer(1, 2 * mm), _facts(facts, width)]
        if invoice is not None:
            story += [_para(_("NF-e access key"), SMALL), _para(printed_key(invoice.key), STRONG)]
        if shipment.tracking_code:
            story += [Spacer(1, 1 * mm), _para(_("Tracking code"), SMALL),
                      *_barcode(shipment.tracking_code, width=0.7 * width, height=13 * mm)]
        story += [Spacer(1, 2 * mm), *_contents(shipment, width), PageBreak()]
    return _pdf(story[:-1], pagesize=A5, margin=PAGE_MARGIN, title=_("Packing slip"))
