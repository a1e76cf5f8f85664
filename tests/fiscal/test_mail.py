"""The fiscal e-mails: the customer's DANFE and XML, the accountant's monthly ZIP, the certificate's
expiry warning — each with what it must carry, each sent once."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail as outbox
from django.utils import timezone
from django.utils.translation import gettext
from pypdf import PdfReader

from backoffice.states import events_of
from fiscal import mail
from fiscal.danfe import printed_key
from fiscal.models import Environment, Invoice, InvoiceEvent
from fiscal.nfe.xml import parse
from tests.fiscal.books_fixtures import make_event, make_invoice, make_voided, sao_paulo
from tests.fiscal.test_books import production  # noqa: F401 (a fixture)

ITEMS = [{"cfop": "5102", "icms_code": "102", "total": "89.90"}]


def _invoice(**kwargs):
    kwargs.setdefault("email", "maria@example.com")
    return make_invoice(number=kwargs.pop("number", 1), issued_at=sao_paulo(2026, 12, 10, 11), items=ITEMS,
                        environment=Environment.PRODUCTION, **kwargs)


def test_the_customer_gets_the_danfe_and_the_xml_once(production):
    invoice = _invoice()
    assert mail.invoice_email(invoice) is True
    [message] = outbox.outbox
    assert message.to == ["maria@example.com"]
    assert "1/1" in message.subject and production.trade_name in message.subject
    assert printed_key(invoice.key) in message.body
    (pdf_name, pdf, pdf_type), (xml_name, xml, xml_type) = message.attachments
    assert (pdf_name, pdf_type) == (f"DANFE-{invoice.key}.pdf", "application/pdf")
    assert printed_key(invoice.key) in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert (xml_name, xml_type) == (f"{invoice.key}-procNFe.xml", "application/xml")
    assert xml.decode() == invoice.authorized_xml and parse(xml).tag.endswith("nfeProc")
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    assert [event.code for event in events_of(invoice)] == ["invoice.emailed"]

    assert mail.invoice_email(invoice) is False  # the task retried: nothing more
    assert len(outbox.outbox) == 1


def test_no_e_mail_without_an_address_or_for_an_invoice_not_authorized(production):
    assert mail.invoice_email(_invoice(number=1, email="")) is False
    assert mail.invoice_email(_invoice(number=2, status=Invoice.Status.CANCELLED)) is False
    assert outbox.outbox == []


def test_a_homologation_invoice_s_e_mail_says_it_has_no_fiscal_value(production):
    invoice = make_invoice(number=3, issued_at=sao_paulo(2026, 12, 10), items=ITEMS, email="maria@example.com")
    mail.invoice_email(invoice)
    assert gettext("This NF-e was issued in SEFAZ's test environment (homologação) and has no fiscal value.") in (
        outbox.outbox[0].body)


def test_the_accountant_gets_the_month_s_zip_once(production):
    production.accountant_email = "contador@example.com"
    production.save()
    invoice = _invoice()
    make_event(invoice, kind=InvoiceEvent.Kind.CORRECTION, when=sao_paulo(2026, 12, 11))
    make_voided(first=2, last=3, when=sao_paulo(2026, 12, 12), environment=Environment.PRODUCTION)

    assert mail.accountant_monthly(date(2026, 12, 1)) is True
    [message] = outbox.outbox
    assert message.to == ["contador@example.com"] and "12/2026" in message.subject
    [(name, data, kind)] = message.attachments
    assert (name, kind) == ("nfe-xml-2026-12.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".xml")]) == 3
    production.refresh_from_db()
    assert production.accountant_sent_month == date(2026, 12, 1)

    assert mail.accountant_monthly(date(2026, 12, 15)) is False
    assert mail.accountant_monthly(date(2026, 11, 1)) is False  # an earlier month is not sent after a later one
    assert len(outbox.outbox) == 1


def test_a_zip_too_large_to_attach_is_sent_as_a_link(production, monkeypatch):
    production.accountant_email = "contador@example.com"
    production.save()
    _invoice()
    monkeypatch.setattr(mail, "ATTACHMENT_LIMIT", 100)
    assert mail.accountant_monthly(date(2026, 12, 1)) is True
    [message] = outbox.outbox
    assert message.attachments == []
    assert "/fiscal/books/xml/?first=2026-12-01&last=2026-12-31" in message.body


def test_no_accountant_no_e_mail(production):
    assert mail.accountant_monthly(date(2026, 12, 1)) is False
    assert outbox.outbox == []


def _expiring(profile, days, serial="0A1B"):
    profile.certificate_expires_at = timezone.now() + timedelta(days=days)
    profile.certificate_serial = serial
    profile.certificate_subject = "CN=LOJA TESTE LTDA:11222333000181"
    profile.save()


def test_finance_is_warned_30_days_before_the_certificate_expires_then_when_it_has(production, role_user, client):
    finance = role_user("finance", email="financeiro@loja.example")
    role_user("admin", email="dono@loja.example")
    role_user("staff", email="estoque@loja.example")
    _expiring(production, 45)
    assert mail.certificate_expiry_warning() is False

    _expiring(production, 29)
    assert mail.certificate_expiry_warning() is True
    [message] = outbox.outbox
    assert message.to == ["dono@loja.example", "financeiro@loja.example"]
    assert "28" in message.subject or "29" in message.subject
    assert "0A1B" in message.body
    site = settings.SITE_URL.rstrip("/")
    [link] = [line for line in message.body.splitlines() if line.startswith(site)]
    client.force_login(finance)  # the link opens the page with the upload form
    assert 'data-testid="certificate-form"' in client.get(link.removeprefix(site)).content.decode()
    assert mail.certificate_expiry_warning() is False  # once

    _expiring(production, -1)
    assert mail.certificate_expiry_warning() is True
    assert len(outbox.outbox) == 2
    assert mail.certificate_expiry_warning() is False

    _expiring(production, 20, serial="0C2D")  # a new certificate, expiring soon too: warned about anew
    assert mail.certificate_expiry_warning() is True
    assert len(outbox.outbox) == 3


@pytest.mark.parametrize("days", [29, -1])
def test_no_one_to_warn_is_not_a_warning_sent(production, days):
    _expiring(production, days)
    assert mail.certificate_expiry_warning() is False
    production.refresh_from_db()
    assert production.certificate_warning == ""
