"""The papers of fulfilment, read back as a printer and a scanner would: the picking lines of
several orders (shelf by shelf, summed, in one query), the picking list, each parcel's 10 × 15 cm
pages (our label or the carrier's own, the DANFE label, the contents) and its packing slip — their
pages counted and measured with pypdf, their text extracted, and their barcodes decoded by zbar
from the pages rendered at 300 dpi."""

import io
import subprocess
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fiscal.danfe import printed_key
from inventory import services as inventory
from inventory.models import StockLevel, Warehouse
from logistics import services
from logistics.documents import (
    DocumentUnavailable,
    package_pages_pdf,
    packing_slip_pdf,
    picking_list_pdf,
    printable,
)
from logistics.models import Shipment
from logistics.selectors import picking_lines
from orders import services as orders
from orders.models import Order
from tests.factories import ProductFactory
from tests.logistics.test_services import scan_all

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ZBARIMG = "/usr/bin/zbarimg"
LABEL_SIZE = (283.46, 425.2)  # 100 × 150 mm in points
A4_SIZE, A5_SIZE = (595.28, 841.89), (419.53, 595.28)


def said(text: str, **params) -> str:
    """`text` as the documents print it in the active language (pt-BR once translated)."""
    return _(text) % params


def units(count: int) -> str:
    return ngettext("%(count)s unit", "%(count)s units", count) % {"count": count}


def pages_of(pdf: bytes):
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf)).pages


def size_of(page) -> tuple[float, float]:
    return round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)


def decoded(pdf: bytes, page: int, tmp_path) -> list[str]:
    """What zbar reads on `page` of `pdf` rendered at 300 dpi, one string per symbol, sorted."""
    image = tmp_path / f"page-{page}.png"
    pypdfium2.PdfDocument(pdf)[page].render(scale=300 / 72).to_pil().save(image)
    scan = subprocess.run([ZBARIMG, "--raw", "-q", str(image)], capture_output=True, text=True, timeout=60)
    assert scan.returncode in (0, 4), scan.stderr  # 4: no symbol found
    return sorted(scan.stdout.splitlines())


def ship(order, service, packer, *, code: str) -> Shipment:
    """`order`'s parcel packed in 25 × 18 × 8 cm, 0,750 kg, and shipped with tracking `code`."""
    shipment = services.shipment_start(order=order, service=service, user=packer)
    scan_all(shipment, packer)
    services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.750"), length_cm=Decimal("25"),
                           width_cm=Decimal("18"), height_cm=Decimal("8"))
    return services.shipment_ship(shipment=shipment, user=packer, tracking_code=code)


def carrier_pdf(pages: int) -> bytes:
    """A label as a carrier's API sends it: its own pages, 10 × 15 cm."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(100 * mm, 150 * mm))
    for page in range(1, pages + 1):
        canvas.drawString(10 * mm, 140 * mm, f"ETIQUETA DA TRANSPORTADORA {page}/{pages}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.fixture
def annex(db):
    """A second warehouse, after the main one in priority though before it by code."""
    return Warehouse.objects.create(code="anexo", name="Anexo", priority=20)


@pytest.fixture
def more_products(shelved, annex):
    """Socks only in the annex (shelf C-01-1) and a book on no shelf yet in the main warehouse."""
    socks = ProductFactory(sku="MEIA-BR", name="Meia branca", ncm="61159500", price=Decimal("19.90"))
    book = ProductFactory(sku="LIVRO-01", name="Livro de Trần", ncm="49019900", price=Decimal("45.00"))
    for product, warehouse in ((socks, annex), (book, Warehouse.objects.get(code="principal"))):
        inventory.stock_receive(product=product, warehouse=warehouse, quantity=10, unit_cost=Decimal("5"), user=None)
    StockLevel.objects.filter(product=socks).update(location="C-01-1")
    return socks, book


@pytest.fixture
def three_orders(consumer_order, make_paid_order, customer, address, more_products, shelved, packer):
    """The consumer order (2 T-shirts, a cap); a second of 3 T-shirts, socks and the book; a third
    of a cap, cancelled (its stock released)."""
    shirt, cap = shelved
    socks, book = more_products
    second = make_paid_order(customer, address, items=[orders.ItemInput(shirt, 3, Decimal("59.90")),
                                                       orders.ItemInput(socks, 1, Decimal("19.90")),
                                                       orders.ItemInput(book, 1, Decimal("45.00"))])
    third = make_paid_order(customer, address, items=[orders.ItemInput(cap, 1, Decimal("39.90"))])
    orders.order_cancel(order=third, user=packer, reason="Cliente desistiu")
    return consumer_order, second, third


def test_picking_lines_sum_each_shelf_across_orders_in_walking_order(three_orders, django_assert_max_num_queries):
    first, second, cancelled = three_orders
    with django_assert_max_num_queries(1):
        lines = picking_lines([first, second, cancelled])
    assert [(line.warehouse.code, line.location, line.sku, line.quantity, line.orders) for line in lines] == [
        ("principal", "A-01-3", "BONE-PT", 1, (first.number,)),
        ("principal", "B-02-1", "CAM-AZ-M", 5, (first.number, second.number)),
        ("principal", "", "LIVRO-01", 1, (second.number,)),
        ("anexo", "C-01-1", "MEIA-BR", 1, (second.number,)),
    ]
    shirt = lines[1]
    assert (shirt.name, shirt.gtin) == ("Camiseta azul M", first.items.get(sku="CAM-AZ-M").product.gtin)
    with django_assert_max_num_queries(1):
        assert [line.quantity for line in picking_lines([first])] == [1, 2]


def test_the_picking_list_shows_the_lines_by_warehouse_and_each_order_s_number_as_a_barcode(
        three_orders, time_machine, tmp_path, django_assert_max_num_queries):
    first, second, _cancelled = three_orders
    time_machine.move_to(datetime(2026, 12, 2, 10, 5, tzinfo=SAO_PAULO))
    with django_assert_max_num_queries(3):
        one = picking_list_pdf([first])
    with django_assert_max_num_queries(3):
        pdf = picking_list_pdf([first.pk, second.pk])
    assert len(pages_of(one)) == 1
    [page] = pages_of(pdf)
    assert size_of(page) == A4_SIZE
    text = page.extract_text()
    assert "02/12/2026 10:05" in text
    assert "Depósito principal" in text and "Anexo" in text
    assert text.index("A-01-3") < text.index("B-02-1") < text.index("LIVRO-01") < text.index("C-01-1")
    assert f"#{first.number}, #{second.number}" in text
    assert "Boné preto" in text and "Livro de Tran" in text  # Latin-1 kept, the rest folded
    assert "Maria da Silva" in text and "3 × CAM-AZ-M – Camiseta azul M" in text
    assert decoded(pdf, 0, tmp_path) == sorted([str(first.number), str(second.number)])


def test_our_label_carries_the_tracking_code_the_cep_and_the_nfe_key_as_barcodes(
        invoiced_order, authorized, carriers, packer, tmp_path):
    shipment = ship(invoiced_order, carriers["package"], packer, code="JD123456")
    # An address longer than the label holds is shrunk onto its one page.
    Order.objects.filter(pk=invoiced_order.pk).update(
        ship_recipient=("Maria da Silva, aos cuidados de " * 5)[:150],
        ship_complement=("apto 1201, bloco B " * 6)[:100],
        ship_district=("Bela Vista, perto do Parque Trianon " * 3)[:100])
    pdf = package_pages_pdf([shipment])
    pages = pages_of(pdf)
    assert [size_of(page) for page in pages] == [LABEL_SIZE] * 3
    label, danfe, contents = (page.extract_text() for page in pages)
    for expected in ("Jadlog", ".Package", f"#{invoiced_order.number}", "Maria da Silva", "Avenida Paulista, 1000",
                     "01310-100 São Paulo/SP", "0,750 kg",
                     said("%(number)s, series %(series)s", number=authorized.number, series=authorized.series),
                     printed_key(authorized.key), "Loja Teste Comércio Ltda", "Conjunto 12"):
        assert expected in label, expected
    assert decoded(pdf, 0, tmp_path) == sorted(["JD123456", authorized.key, "JD123456|01310100"])
    assert authorized.key in decoded(pdf, 1, tmp_path)  # the DANFE label's own barcode
    assert printed_key(authorized.key) in danfe
    for expected in (said("Contents of parcel %(parcel)s", parcel="JD123456"),
                     said("Order %(order)s", order=invoiced_order), "CAM-AZ-M", "Camiseta azul M", "BONE-PT",
                     "Boné preto", units(3)):
        assert expected in contents, expected


def test_a_carrier_s_own_label_is_printed_as_it_came_and_parcels_keep_the_order_given(
        invoiced_order, authorized, interstate_consumer_order, issue, carriers, packer, tmp_path):
    near = ship(invoiced_order, carriers["package"], packer, code="JD111")
    far_invoice = issue(interstate_consumer_order)
    far = ship(interstate_consumer_order, carriers["package"], packer, code="JD222")
    Shipment.objects.filter(pk=far.pk).update(carrier_label=carrier_pdf(2))  # what the carrier's API made
    pdf = package_pages_pdf([far, near])
    pages = pages_of(pdf)
    assert [size_of(page) for page in pages] == [LABEL_SIZE] * 7
    texts = [page.extract_text() for page in pages]
    assert texts[0].strip() == "ETIQUETA DA TRANSPORTADORA 1/2"
    assert texts[1].strip() == "ETIQUETA DA TRANSPORTADORA 2/2"
    assert decoded(pdf, 0, tmp_path) == []  # nothing of ours drawn on it
    assert printed_key(far_invoice.key) in texts[2]
    assert said("Contents of parcel %(parcel)s", parcel="JD222") in texts[3]
    assert decoded(pdf, 4, tmp_path) == sorted(["JD111", authorized.key, "JD111|01310100"])
    assert printed_key(authorized.key) in texts[5]
    assert said("Contents of parcel %(parcel)s", parcel="JD111") in texts[6]


def test_the_packing_slip_shows_order_addresses_nfe_and_the_tracking_barcode(
        invoiced_order, authorized, make_paid_order, customer, address, carriers, packer, tmp_path):
    shipment = ship(invoiced_order, carriers["package"], packer, code="JD123456")
    other = services.shipment_start(order=make_paid_order(customer, address), service=carriers["own"], user=packer)
    pdf = packing_slip_pdf([other.pk, shipment.pk])
    pages = pages_of(pdf)
    assert [size_of(page) for page in pages] == [A5_SIZE] * 2
    assert said("Packing slip – order %(order)s", order=other.order) in pages[0].extract_text()
    assert decoded(pdf, 0, tmp_path) == []  # packing, no tracking code yet
    text = pages[1].extract_text()
    for expected in (said("Packing slip – order %(order)s", order=invoiced_order), "Loja Teste Comércio Ltda",
                     "Maria da Silva", "01310-100 São Paulo/SP", "Jadlog .Package", "0,750 kg",
                     said("%(number)s, series %(series)s", number=authorized.number, series=authorized.series),
                     printed_key(authorized.key), "CAM-AZ-M", "Camiseta azul M", "BONE-PT", units(3)):
        assert expected in text, expected
    assert decoded(pdf, 1, tmp_path) == ["JD123456"]


def test_a_parcel_still_packing_has_a_packing_slip_but_no_label(invoiced_order, carriers, packer, tmp_path):
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    with pytest.raises(DocumentUnavailable) as refused:
        package_pages_pdf([shipment])
    assert str(refused.value) == said("Parcel %(number)s of order %(order)s has no tracking code yet: ship it to "
                                      "print its label.", number=shipment.pk, order=invoiced_order)
    [page] = pages_of(packing_slip_pdf([shipment]))
    assert said("Tracking code") not in page.extract_text() and "CAM-AZ-M" in page.extract_text()
    assert decoded(packing_slip_pdf([shipment]), 0, tmp_path) == []
    services.shipment_cancel(shipment=shipment, user=packer)
    with pytest.raises(DocumentUnavailable) as refused:
        packing_slip_pdf([shipment])
    assert str(refused.value) == said("Parcel %(number)s of order %(order)s was cancelled: it has no packing slip.",
                                      number=shipment.pk, order=invoiced_order)
    with pytest.raises(DocumentUnavailable) as refused:
        package_pages_pdf([])
    assert str(refused.value) == said("Choose the parcels to print.")


def test_text_outside_what_helvetica_draws_is_folded():
    assert printable("Conceição – São João") == "Conceição – São João"
    assert printable("Nguyễn Trần ≥ 5") == "Nguyen Tran ? 5"
