"""The DANFE: a PDF drawn from the authorized XML, in the layout of the invoice's date, showing the
access key as printed, "SEM VALOR FISCAL" in homologação, "CANCELADA" once cancelled; in batch."""

import io

import pytest
from pypdf import PdfReader

from fiscal import services
from fiscal.danfe import DanfeUnavailable, danfe_batch, danfe_label, danfe_pdf, printed_key
from fiscal.models import Environment, Invoice
from fiscal.nfe.xml import validate
from tests.fiscal.books_fixtures import authorize, make_invoice, sao_paulo

ITEMS = [{"cfop": "5102", "icms_code": "102", "total": "59.90"}]


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_the_danfe_is_a_pdf_showing_the_key_as_printed_and_no_fiscal_value_in_homologation(db):
    invoice = make_invoice(number=101, issued_at=sao_paulo(2026, 12, 10, 14, 30), items=ITEMS)
    text = text_of(danfe_pdf(invoice))
    assert printed_key(invoice.key) in text
    assert len(printed_key(invoice.key).split()) == 11
    assert "SEM VALOR FISCAL" in text
    assert "CANCELADA" not in text


def test_an_invoice_from_december_2026_gets_the_nt_2026_010_layout_and_an_older_one_moc_7(db):
    new = make_invoice(number=102, issued_at=sao_paulo(2026, 12, 1, 0, 5), items=ITEMS)
    old = make_invoice(number=103, issued_at=sao_paulo(2026, 11, 30, 23, 55), items=ITEMS)
    # The NT 2026.010 layout prints the IBS/CBS totals block and the issuer's regime of them.
    assert "TOTAL DO IBS / CBS / IS" in text_of(danfe_pdf(new))
    assert "TOTAL DO IBS / CBS / IS" not in text_of(danfe_pdf(old))


def test_a_production_danfe_has_no_watermark(db):
    invoice = make_invoice(number=104, issued_at=sao_paulo(2026, 12, 10), items=ITEMS,
                           environment=Environment.PRODUCTION)
    text = text_of(danfe_pdf(invoice))
    assert printed_key(invoice.key) in text
    assert "SEM VALOR FISCAL" not in text


def test_a_cancelled_invoice_s_danfe_says_so(db):
    invoice = make_invoice(number=105, issued_at=sao_paulo(2026, 12, 10), items=ITEMS, status=Invoice.Status.CANCELLED)
    assert "CANCELADA - SEM VALOR FISCAL" in text_of(danfe_pdf(invoice))


def test_an_issuer_with_an_alphanumeric_cnpj_gets_its_key_printed(db):
    invoice = make_invoice(number=107, issued_at=sao_paulo(2026, 12, 10), items=ITEMS, cnpj="12ABC34501DE35")
    assert invoice.key[6:20] == "12ABC34501DE35"
    assert printed_key(invoice.key) in text_of(danfe_pdf(invoice))


@pytest.mark.parametrize("status", [Invoice.Status.REJECTED, Invoice.Status.SIGNED, Invoice.Status.DENIED])
def test_an_invoice_sefaz_did_not_authorize_has_no_danfe(db, status):
    invoice = make_invoice(number=106, issued_at=sao_paulo(2026, 12, 10), items=ITEMS, status=status)
    with pytest.raises(DanfeUnavailable):
        danfe_pdf(invoice)


def test_a_batch_is_one_pdf_of_every_danfe_in_order_and_refuses_one_without_before_drawing(db):
    invoices = [make_invoice(number=n, issued_at=sao_paulo(2026, 12, 10), items=ITEMS) for n in (110, 111, 112)]
    batch = danfe_batch(invoices)
    assert pages_of(batch) == 3
    reader = PdfReader(io.BytesIO(batch))
    for page, invoice in zip(reader.pages, invoices):
        assert printed_key(invoice.key) in page.extract_text()
    rejected = make_invoice(number=113, issued_at=sao_paulo(2026, 12, 10), items=ITEMS,
                            status=Invoice.Status.REJECTED, with_xml=False)
    with pytest.raises(DanfeUnavailable, match="113"):
        danfe_batch([*invoices, rejected])


def test_the_label_is_a_small_pdf_with_the_key(db):
    invoice = make_invoice(number=114, issued_at=sao_paulo(2026, 12, 10), items=ITEMS)
    label = danfe_label(invoice)
    reader = PdfReader(io.BytesIO(label))
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 100  # mm
    assert printed_key(invoice.key) in text_of(label)


def test_the_danfe_of_the_store_s_own_nfe_shows_its_key_recipient_and_items(consumer_order, series, role_user):
    user = role_user("finance")
    invoice = services.invoice_issue(invoice=services.invoice_from_order(order=consumer_order, user=user), user=user,
                                     send=False)
    invoice = authorize(invoice)
    assert validate(invoice.authorized_xml.encode(), "nfe") == []
    text = text_of(danfe_pdf(invoice))
    assert printed_key(invoice.key) in text
    assert "SEM VALOR FISCAL" in text  # homologação: the recipient's name is replaced by the warning
    assert "Camiseta azul M" in text and "CAM-AZ-M" in text
