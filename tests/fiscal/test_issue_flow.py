"""An order's NF-e from draft to SEFAZ's answer, through SEFAZ's simulator over HTTPS with the store's
A1: authorized (the order invoiced, the nfeProc valid and its signature sound, the customer e-mailed),
denied, rejected and issued again under the same number, an answer lost after sending (looked up by
key, never a second NF-e), a 204, and many orders in one asynchronous batch."""

import pytest
from django.core import mail
from lxml import etree

from backoffice.states import events_of
from fiscal import selectors, services
from fiscal.certificates import certificate_of
from fiscal.models import FiscalProfile, Invoice, Series
from fiscal.nfe import keys, signing
from fiscal.nfe.xml import NFE_NS, parse
from fiscal.providers import Connection, transport
from orders.models import Customer
from tests.fiscal.referee import xmlsec1
from tests.fiscal.services_support import authorized, errors_of, issue, issuer, sefaz  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
NS = {"n": NFE_NS}


def requests_to(simulator, service: str) -> int:
    return sum(1 for _method, path, _headers, _body in simulator.requests if path.endswith(f"/{service}"))


def test_an_issued_invoice_is_authorized_and_its_order_invoiced(authorized, consumer_order, issuer, tmp_path):
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"
    invoiced = consumer_order.events.get(code="order.invoiced")
    assert invoiced.actor == issuer and invoiced.params == {"text": f"NF-e {authorized.number}/1"}
    assert (authorized.number, authorized.series, authorized.issued_by) == (1, 1, issuer)
    assert keys.is_valid_key(authorized.key) and len(authorized.protocol) == 15
    assert authorized.status_code == "100" and authorized.authorized_at is not None
    assert [event.code for event in events_of(authorized)] == [
        "invoice.created", "invoice.signed", "invoice.sent", "invoice.authorized", "invoice.emailed"]
    # The nfeProc holds the signed NFe byte for byte, valid against procNFe's XSD, its signature sound.
    proc = authorized.authorized_xml.encode()
    assert authorized.xml.encode() in proc
    assert errors_of(authorized.authorized_xml, "nfe") == []
    assert parse(proc).findtext("n:protNFe/n:infProt/n:nProt", namespaces=NS) == authorized.protocol
    assert signing.verify(proc).serial_number == certificate_of(FiscalProfile.objects.get()).certificate.serial_number
    checked = xmlsec1(proc, "infNFe", certificate_of(FiscalProfile.objects.get()), tmp_path)  # the independent referee
    assert checked.returncode == 0, checked.stderr
    # The customer got the DANFE and the XML.
    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert Series.objects.get().next_number == 2


def test_the_signed_xml_is_stored_before_anything_is_sent(sefaz, consumer_order, issuer):
    invoice = services.invoice_issue(invoice=services.invoice_from_order(order=consumer_order, user=issuer),
                                     user=issuer)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SIGNED
    assert errors_of(invoice.xml, "nfe") == []
    assert parse(invoice.xml.encode()).find("n:infNFe", NS).get("Id") == f"NFe{invoice.key}"
    assert sefaz.requests == []


def test_a_company_buys_as_a_company(issue, company_order):
    invoice = issue(company_order)
    assert invoice.status == Invoice.Status.AUTHORIZED
    assert invoice.operation == "sale_company"
    assert (invoice.recipient_document, invoice.recipient_uf) == ("11444777000161", "RJ")


def test_an_answer_lost_after_sending_ends_authorized_under_the_original_key(issue, sefaz, consumer_order):
    sefaz.lose_next_answer()
    invoice = issue(consumer_order)
    assert invoice.status == Invoice.Status.AUTHORIZED
    # SEFAZ authorized the one NF-e it received; it was found by its key, never sent under another.
    assert list(sefaz.nfe) == [invoice.key]
    assert sefaz.nfe[invoice.key]["protocol"] == invoice.protocol
    assert requests_to(sefaz, "NFeAutorizacao4") == 1
    assert requests_to(sefaz, "NFeConsultaProtocolo4") == 1
    assert Invoice.objects.count() == 1 and Series.objects.get().next_number == 2
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"


def test_a_duplicate_answer_is_looked_up_by_key(sefaz, consumer_order, issuer, run_queued_tasks):
    invoice = services.invoice_issue(invoice=services.invoice_from_order(order=consumer_order, user=issuer),
                                     user=issuer)
    # It reached SEFAZ once already (a first attempt whose answer never came back).
    profile = FiscalProfile.objects.get()
    conn = Connection(uf="SP", environment=2, certificate=certificate_of(profile))
    [first] = transport().authorize(conn, batch_id="1", signed_nfes=[invoice.xml.encode()]).protocols
    with run_queued_tasks():
        services.invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.AUTHORIZED
    assert invoice.protocol == first.number
    assert requests_to(sefaz, "NFeConsultaProtocolo4") == 1


def test_an_invoice_sefaz_never_received_is_sent_again_as_it_was(sefaz, consumer_order, issuer, run_queued_tasks):
    invoice = services.invoice_issue(invoice=services.invoice_from_order(order=consumer_order, user=issuer),
                                     user=issuer)
    stored = invoice.xml
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.SENT)  # the connection failed on the way
    with run_queued_tasks():
        services.invoice_check(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.AUTHORIZED and invoice.xml == stored
    [sent] = [body for _method, path, _headers, body in sefaz.requests if path.endswith("/NFeAutorizacao4")]
    assert stored.encode() in sent


def test_a_rejected_invoice_is_fixed_and_issued_again_under_its_number(issue, sefaz, consumer_order, issuer):
    profile = FiscalProfile.objects.get()
    profile.cnpj = "99888777000166"  # a typo: not the certificate's company
    profile.save()
    rejected = issue(consumer_order)
    assert (rejected.status, rejected.status_code) == (Invoice.Status.REJECTED, "213")
    assert "Certificado" in rejected.status_message
    consumer_order.refresh_from_db()
    assert consumer_order.status == "ready_to_ship"
    # The next draft of the order is the rejected one, fixed and issued again: same number and cNF.
    profile.cnpj = "11222333000181"
    profile.save()
    fixed = issue(consumer_order)
    assert fixed.pk == rejected.pk
    assert fixed.status == Invoice.Status.AUTHORIZED
    assert (fixed.number, fixed.code) == (rejected.number, rejected.code)
    assert fixed.key[6:20] == "11222333000181" and fixed.key[25:34] == f"{rejected.number:09d}"
    assert Series.objects.get().next_number == 2
    assert [event.code for event in events_of(fixed)][:6] == [
        "invoice.created", "invoice.signed", "invoice.sent", "invoice.rejected", "invoice.signed", "invoice.sent"]


def test_a_customer_sefaz_finds_irregular_is_denied(issue, sefaz, consumer_order):
    sefaz.deny_recipient("39053344705")
    invoice = issue(consumer_order)
    assert (invoice.status, invoice.status_code) == (Invoice.Status.DENIED, "302")
    assert invoice.protocol and errors_of(invoice.authorized_xml, "nfe") == []  # kept, as the issuer must
    consumer_order.refresh_from_db()
    assert consumer_order.status == "ready_to_ship"


def test_many_orders_go_in_one_asynchronous_batch(sefaz, make_paid_order, customer, address, issuer,
                                                  run_queued_tasks, consumer_order):
    sefaz.processing_polls = 1  # the first look at the receipt finds it still processing
    orders = [consumer_order, *(make_paid_order(customer, address) for _ in range(2))]
    unpaid = make_paid_order(customer, address)
    unpaid.status = "paid"
    unpaid.save()
    with run_queued_tasks():
        report = services.invoices_issue_for_orders(orders=[*orders, unpaid], user=issuer)
    assert [invoice.order for invoice in report.issued] == orders
    [(refused, reason)] = report.refused
    assert refused == unpaid and str(unpaid) in reason
    assert requests_to(sefaz, "NFeAutorizacao4") == 1
    assert requests_to(sefaz, "NFeRetAutorizacao4") >= 2
    invoices = Invoice.objects.filter(order__in=orders).order_by("number")
    assert [invoice.number for invoice in invoices] == [1, 2, 3]
    assert {invoice.status for invoice in invoices} == {Invoice.Status.AUTHORIZED}
    assert len({invoice.receipt for invoice in invoices}) == 1
    for invoice in invoices:
        invoice.order.refresh_from_db()
        assert invoice.order.status == "invoiced"


def test_the_status_check_keeps_whether_sefaz_is_up(sefaz):
    status = services.sefaz_status_check()
    assert (status.uf, status.environment, status.up, status.status_code) == ("SP", 2, True, "107")
    sefaz.set_service(up=False)
    status = services.sefaz_status_check()
    assert (status.up, status.status_code) == (False, "109")
    assert "SVC" in selectors.contingency_hint(selectors.sefaz_status())


def test_the_status_check_keeps_sefaz_unreachable_as_down(sefaz):
    sefaz.close()
    status = services.sefaz_status_check()
    assert status.up is False and status.status_message


def test_a_customer_edited_after_its_draft_is_invoiced_as_it_is_now(issue, sefaz, consumer_order, issuer):
    draft = services.invoice_from_order(order=consumer_order, user=issuer)
    assert draft.recipient_name == "Maria da Silva"
    Customer.objects.filter(pk=consumer_order.customer_id).update(name="Maria da Silva Santos")
    invoice = issue(consumer_order)
    assert invoice.pk == draft.pk and invoice.recipient_name == "Maria da Silva Santos"
    assert etree.fromstring(invoice.xml.encode()).find("n:infNFe/n:dest/n:CPF", NS).text == "39053344705"
