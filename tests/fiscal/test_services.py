"""The fiscal services' rules: which orders get an NF-e and which draft is reused, what stops an issue
(the XSD, the certificate, the environment), who may cancel and when, correction letters, voided
numbers, and numbers that are never skipped nor given twice, also many at once (PostgreSQL)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.models import TaskDelivery
from backoffice.states import events_of
from fiscal import certificates, services
from fiscal.models import Environment, FiscalProfile, Invoice, InvoiceEvent, Series, VoidedRange
from fiscal.nfe import signing
from fiscal.providers import Connection, transport
from fiscal.providers.sefaz.sandbox import authorize as simulated_authorization
from fiscal.services import FiscalError
from fiscal.tasks import send_invoice
from inventory.models import Product
from orders import services as orders
from orders.models import Address, City, Customer, Order
from tests.concurrency import at_once, raised
from tests.fiscal.referee import xmlsec1
from tests.fiscal.services_support import (  # noqa: F401 (fixtures)
    authorized,
    canceller,
    errors_of,
    issue,
    issuer,
    person,
    sefaz,
)

pytestmark = pytest.mark.django_db
REASON = "Pedido cancelado pelo cliente antes do envio"


def draft_of(order, user):
    return services.invoice_from_order(order=order, user=user)


# Drafts ------------------------------------------------------------------------------------------


def test_an_order_not_ready_to_ship_gets_no_invoice(consumer_order, issuer, series):
    Order.objects.filter(pk=consumer_order.pk).update(status="paid")
    with pytest.raises(FiscalError, match=str(consumer_order)):
        draft_of(consumer_order, issuer)
    assert not Invoice.objects.exists()


def test_the_draft_has_the_recipient_and_the_items_with_their_taxes(consumer_order, issuer, series):
    draft = draft_of(consumer_order, issuer)
    assert (draft.status, draft.number, draft.operation, draft.series) == ("draft", None, "sale_consumer", 1)
    assert (draft.recipient_name, draft.recipient_document, draft.recipient_uf) == ("Maria da Silva", "39053344705",
                                                                                    "SP")
    items = list(draft.items.order_by("position"))
    assert [(item.sku, item.quantity) for item in items] == [("CAM-AZ-M", 2), ("BONE-PT", 1)]
    assert sum(item.total for item in items) == draft.total == consumer_order.total
    assert draft.freight_total == Decimal("15.00")
    assert [event.code for event in events_of(draft)] == ["invoice.created"]


def test_a_draft_is_reused_and_an_open_invoice_refuses_another(authorized, consumer_order, issuer):
    with pytest.raises(FiscalError, match=str(authorized)):
        draft_of(consumer_order, issuer)


def test_the_same_draft_is_given_back(consumer_order, issuer, series):
    assert draft_of(consumer_order, issuer) == draft_of(consumer_order, issuer)
    assert Invoice.objects.count() == 1


def test_a_company_exempt_of_ie_buys_as_a_consumer(company_order, issuer, series):
    Customer.objects.filter(pk=company_order.customer_id).update(state_registration="ISENTO")
    assert draft_of(company_order, issuer).operation == "sale_consumer"


# What stops an issue ------------------------------------------------------------------------------


def test_xml_the_schema_refuses_changes_nothing(consumer_order, issuer, series):
    draft = draft_of(consumer_order, issuer)
    Product.objects.filter(sku="CAM-AZ-M").update(ncm="6109")  # an NCM has 8 digits
    with pytest.raises(FiscalError) as refused:
        services.invoice_issue(invoice=draft, user=issuer)
    assert any("NCM" in error for error in refused.value.errors)
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.xml, draft.issued_by) == ("draft", None, "", None)
    assert Series.objects.get().next_number == 1
    assert draft.items.get(sku="CAM-AZ-M").ncm == "61091000"  # the items as they were


def test_an_expired_certificate_is_refused_clearly(consumer_order, issuer, fiscal_profile, series):
    pfx, password = certificates.test_certificate(cnpj=fiscal_profile.cnpj, name="Loja Teste", days=0)
    certificates.profile_set_certificate(profile=fiscal_profile, pfx=pfx, password=password)
    with pytest.raises(FiscalError, match="A1"):
        services.invoice_issue(invoice=draft_of(consumer_order, issuer), user=issuer)
    assert Series.objects.get().next_number == 1


def test_a_test_certificate_does_not_sign_in_production(consumer_order, issuer, fiscal_profile):
    FiscalProfile.objects.filter(pk=1).update(environment=Environment.PRODUCTION)
    Series.objects.create(environment=Environment.PRODUCTION, number=1)
    with pytest.raises(FiscalError):
        services.invoice_issue(invoice=draft_of(consumer_order, issuer), user=issuer)
    assert Invoice.objects.get().status == "draft"


def test_without_a_fiscal_profile_nothing_is_issued(consumer_order, issuer):
    with pytest.raises(FiscalError):
        draft_of(consumer_order, issuer)


def test_only_a_draft_or_a_rejected_invoice_is_issued(authorized, issuer):
    with pytest.raises(FiscalError):
        services.invoice_issue(invoice=authorized, user=issuer)


def test_a_sale_authorized_after_its_order_was_cancelled_says_so(sefaz, consumer_order, issuer, run_queued_tasks):
    invoice = services.invoice_issue(invoice=draft_of(consumer_order, issuer), user=issuer)
    orders.order_cancel(order=consumer_order, user=issuer, reason="O cliente desistiu")
    with run_queued_tasks():
        services.invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == "authorized"
    consumer_order.refresh_from_db()
    assert consumer_order.status == "cancelled"
    assert "invoice.order_unchanged" in [event.code for event in events_of(invoice)]


def test_the_demos_history_invoices_orders_past_invoicing_and_queues_nothing(consumer_order, issuer, series,
                                                                            django_capture_on_commit_callbacks):
    Order.objects.filter(pk=consumer_order.pk).update(status="delivered")
    with django_capture_on_commit_callbacks() as queued:
        invoice = services.invoice_from_order(order=consumer_order, user=issuer, past=True)
        services.invoice_issue(invoice=invoice, user=issuer, send=False, past=True)
        invoice.refresh_from_db()
        protocol = simulated_authorization(invoice.xml.encode())
        invoice = services.invoice_apply_protocol(invoice=invoice, protocol=protocol, past=True)
    assert queued == []
    assert invoice.status == "authorized" and invoice.authorized_xml
    consumer_order.refresh_from_db()
    assert consumer_order.status == "delivered"
    assert "invoice.order_unchanged" not in [event.code for event in events_of(invoice)]


# Cancellation -----------------------------------------------------------------------------------


def cancel(invoice, user, run_queued_tasks, reason=REASON):
    with run_queued_tasks():
        event = services.invoice_cancel(invoice=invoice, user=user, reason=reason)
    event.refresh_from_db()
    invoice.refresh_from_db()
    return event


def test_someone_else_cancels_within_the_window(authorized, canceller, consumer_order, run_queued_tasks, issue,
                                                tmp_path):
    event = cancel(authorized, canceller, run_queued_tasks)
    assert (event.status, event.status_code, event.kind, event.sequence) == ("registered", "135", "110111", 1)
    assert authorized.status == "cancelled"
    assert errors_of(event.registered_xml, "cancel") == []
    assert event.xml.encode() in event.registered_xml.encode()
    signing.verify(event.registered_xml.encode())
    store = certificates.certificate_of(FiscalProfile.objects.get())
    assert xmlsec1(event.xml.encode(), "infEvento", store, tmp_path).returncode == 0
    cancelled = [event for event in events_of(authorized) if event.code == "invoice.cancelled"]
    assert cancelled[0].actor == canceller and cancelled[0].params["reason"] == REASON
    # The order stays invoiced (its pipeline has no way back), says so, and takes a new NF-e.
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"
    assert consumer_order.events.filter(code="fiscal.order_nfe_cancelled").exists()
    again = issue(consumer_order)
    assert (again.status, again.number) == ("authorized", 2)
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"


def test_the_issuer_never_cancels_what_they_issued_even_as_admin(issue, consumer_order, run_queued_tasks):
    admin = person("admin", "ana")
    invoice = issue(consumer_order, user=admin)
    with pytest.raises(FiscalError):
        services.invoice_cancel(invoice=invoice, user=admin, reason=REASON)
    assert not InvoiceEvent.objects.exists()


@pytest.mark.parametrize("reason", ["Desistiu", "x" * 256, "   " + "a" * 10 + "   "])
def test_a_cancellation_says_why_in_15_to_255_characters(authorized, canceller, reason):
    with pytest.raises(FiscalError):
        services.invoice_cancel(invoice=authorized, user=canceller, reason=reason)


def test_past_the_window_a_return_is_issued_instead(authorized, canceller):
    Invoice.objects.filter(pk=authorized.pk).update(authorized_at=timezone.now() - timedelta(hours=25))
    with pytest.raises(FiscalError, match="24"):
        services.invoice_cancel(invoice=authorized, user=canceller, reason=REASON)


def test_past_sefazs_24_hours_it_registers_a_late_cancellation(authorized, canceller, settings, sefaz,
                                                               run_queued_tasks):
    settings.FISCAL_CANCEL_HOURS = 48  # a UF that takes late cancellations, answered 155
    long_ago = timezone.now() - timedelta(hours=25)
    Invoice.objects.filter(pk=authorized.pk).update(authorized_at=long_ago)
    sefaz.nfe[authorized.key] = {**sefaz.nfe[authorized.key], "received_at": long_ago.isoformat()}
    event = cancel(authorized, canceller, run_queued_tasks)
    assert (event.status, event.status_code, authorized.status) == ("registered", "155", "cancelled")


def test_a_cancellation_sefaz_refuses_is_kept_and_signed_again(authorized, canceller, run_queued_tasks):
    Invoice.objects.filter(pk=authorized.pk).update(protocol="135260000000999")  # not the protocol SEFAZ gave
    event = cancel(authorized, canceller, run_queued_tasks)
    assert (event.status, event.status_code) == ("rejected", "222")
    assert authorized.status == "authorized"
    assert "invoice.cancel_refused" in [item.code for item in events_of(authorized)]
    again = cancel(authorized, canceller, run_queued_tasks)
    assert again.pk == event.pk and again.status == "rejected"
    assert [item.code for item in events_of(again)].count("invoiceevent.signed") == 1


def test_a_cancellation_sefaz_registered_already_is_found_in_the_consultation(authorized, canceller, sefaz,
                                                                            run_queued_tasks):
    event = services.invoice_cancel(invoice=authorized, user=canceller, reason=REASON)
    # It reached SEFAZ once already (an attempt whose answer never came back): a repeat is answered 573.
    conn = Connection(uf="SP", environment=2, certificate=certificates.certificate_of(FiscalProfile.objects.get()))
    assert transport().send_event(conn, batch_id="1", signed_event=event.xml.encode()).registered
    services.event_send(event=event)
    event.refresh_from_db()
    authorized.refresh_from_db()
    assert (event.status, event.status_code, authorized.status) == ("registered", "135", "cancelled")
    assert errors_of(event.registered_xml, "cancel") == []
    assert event.protocol == sefaz.events[f"110111|{authorized.key}|1"]["protocol"]


def test_only_an_authorized_invoice_is_cancelled(consumer_order, issuer, canceller, series):
    with pytest.raises(FiscalError):
        services.invoice_cancel(invoice=draft_of(consumer_order, issuer), user=canceller, reason=REASON)


# Correction letters -------------------------------------------------------------------------------


def correct(invoice, user, text, run_queued_tasks):
    with run_queued_tasks():
        event = services.invoice_correct(invoice=invoice, user=user, text=text)
    event.refresh_from_db()
    return event


def test_two_correction_letters_take_sequences_1_and_2(authorized, issuer, run_queued_tasks, tmp_path):
    first = correct(authorized, issuer, "Complemento do endereço: apartamento 12, bloco B", run_queued_tasks)
    second = correct(authorized, issuer, "Complemento do endereço: apartamento 21, bloco B", run_queued_tasks)
    assert [(event.sequence, event.status, event.status_code) for event in (first, second)] == [
        (1, "registered", "135"), (2, "registered", "135")]
    for event in (first, second):
        assert errors_of(event.registered_xml, "cce") == []
        signing.verify(event.registered_xml.encode())
        assert xmlsec1(event.xml.encode(), "infEvento", certificates.certificate_of(FiscalProfile.objects.get()),
                       tmp_path).returncode == 0
        assert "Carta de Correcao" in event.xml
    assert [item.params["sequence"] for item in events_of(authorized) if item.code == "invoice.corrected"] == [1, 2]


@pytest.mark.parametrize("text", ["Curto demais", "x" * 1001])
def test_a_correction_has_15_to_1000_characters(authorized, issuer, text):
    with pytest.raises(FiscalError):
        services.invoice_correct(invoice=authorized, user=issuer, text=text)


def test_an_invoice_takes_at_most_20_correction_letters(authorized, issuer):
    InvoiceEvent.objects.bulk_create([
        InvoiceEvent(invoice=authorized, kind="110110", sequence=n, text="Correção anterior", xml="<evento/>",
                     status="registered", occurred_at=timezone.now()) for n in range(1, 21)])
    with pytest.raises(FiscalError, match="20"):
        services.invoice_correct(invoice=authorized, user=issuer, text="Complemento do endereço: apartamento 12")


# Voided numbers ---------------------------------------------------------------------------------


def void(run_queued_tasks, **kwargs):
    with run_queued_tasks():
        voided = services.numbers_void(reason="Numeração pulada por falha do sistema", **kwargs)
    voided.refresh_from_db()
    return voided


def test_a_range_the_series_skipped_is_voided(authorized, issuer, run_queued_tasks, tmp_path):
    Series.objects.update(next_number=6)  # numbers 2 to 5 were skipped (the series was moved forward)
    voided = void(run_queued_tasks, series=1, first=2, last=5, user=issuer)
    assert (voided.status, voided.status_code, voided.environment, voided.year) == (
        "registered", "102", 2, timezone.localdate().year)
    assert len(voided.protocol) == 15
    assert errors_of(voided.registered_xml, "inut") == []
    signing.verify(voided.registered_xml.encode())
    store = certificates.certificate_of(FiscalProfile.objects.get())
    assert xmlsec1(voided.xml.encode(), "infInut", store, tmp_path).returncode == 0
    assert Series.objects.get().next_number == 6  # numbers are never given twice


@pytest.mark.parametrize("first,last", [(1, 3), (2, 6), (3, 2)])
def test_it_refuses_numbers_used_not_yet_given_or_upside_down(authorized, issuer, first, last):
    Series.objects.update(next_number=6)
    with pytest.raises(FiscalError):
        services.numbers_void(series=1, first=first, last=last, reason="Numeração pulada por falha", user=issuer)
    assert not VoidedRange.objects.exists()


def test_numbers_voided_once_are_not_voided_again(authorized, issuer, run_queued_tasks):
    Series.objects.update(next_number=6)
    void(run_queued_tasks, series=1, first=2, last=5, user=issuer)
    with pytest.raises(FiscalError):
        services.numbers_void(series=1, first=4, last=4, reason="Numeração pulada por falha", user=issuer)


def test_a_rejected_invoices_number_is_voided(issue, sefaz, consumer_order, issuer, run_queued_tasks):
    FiscalProfile.objects.filter(pk=1).update(cnpj="99888777000166")
    rejected = issue(consumer_order)
    FiscalProfile.objects.filter(pk=1).update(cnpj="11222333000181")
    assert rejected.status == "rejected"
    with run_queued_tasks():
        voided = services.invoice_void_number(invoice=rejected, user=issuer,
                                              reason="NF-e rejeitada que não será emitida")
    voided.refresh_from_db()
    rejected.refresh_from_db()
    assert (voided.first, voided.last, voided.status) == (1, 1, "registered")
    assert rejected.status == "voided"
    with pytest.raises(FiscalError):
        services.invoice_issue(invoice=rejected, user=issuer)
    # The order gets a new NF-e under the next number.
    again = issue(consumer_order)
    assert (again.status, again.number) == ("authorized", 2)


def test_a_number_being_voided_is_not_issued_meanwhile(issue, sefaz, consumer_order, issuer):
    FiscalProfile.objects.filter(pk=1).update(cnpj="99888777000166")
    rejected = issue(consumer_order)
    FiscalProfile.objects.filter(pk=1).update(cnpj="11222333000181")
    services.invoice_void_number(invoice=rejected, user=issuer, reason="NF-e rejeitada que não será emitida")
    with pytest.raises(FiscalError):
        services.invoice_issue(invoice=rejected, user=issuer)


def test_only_a_rejected_invoices_number_is_voided(authorized, issuer):
    with pytest.raises(FiscalError):
        services.invoice_void_number(invoice=authorized, user=issuer, reason="NF-e rejeitada que não será emitida")


# Who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role,issues,cancels", [
    ("finance", True, True), ("admin", True, True), ("manager", False, True), ("staff", False, False),
    ("ops", False, False),
])
def test_who_issues_and_who_cancels(role_user, role, issues, cancels):
    user = role_user(role)
    assert (user.has_perm("fiscal.issue_invoice"), user.has_perm("fiscal.cancel_invoice")) == (issues, cancels)


def test_fiscal_documents_are_never_deleted(authorized, canceller):
    event = services.invoice_cancel(invoice=authorized, user=canceller, reason="o cliente desistiu antes do envio")
    for document in (authorized, event):
        with pytest.raises(PermissionError):
            document.delete()
    assert Invoice.objects.filter(pk=authorized.pk).exists() and InvoiceEvent.objects.filter(pk=event.pk).exists()


def test_the_stuck_delivery_is_left_for_someone_to_check(consumer_order, issuer, series, settings):
    invoice = services.invoice_issue(invoice=draft_of(consumer_order, issuer), user=issuer)
    TaskDelivery.objects.create(key=services.delivery_key(Invoice, invoice.pk), task_name="fiscal.tasks.send_invoice",
                                starts=settings.TASK_MAX_STARTS)
    send_invoice.apply((invoice.pk,))
    invoice.refresh_from_db()
    assert invoice.status == "signed"
    [stuck] = [event for event in events_of(invoice) if event.code == "fiscal.stuck"]
    assert stuck.params == {"starts": settings.TASK_MAX_STARTS}


# Numbers under concurrency (PostgreSQL) -----------------------------------------------------------


def cpf(n: int) -> str:
    """A valid CPF for each n."""
    digits = f"{100000000 + n * 7919:09d}"
    for weight in (10, 11):
        digits += str(sum((weight - i) * int(d) for i, d in enumerate(digits)) * 10 % 11 % 10)
    return digits


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_are_never_skipped_nor_given_twice_when_many_issue_at_once(make_paid_order, fiscal_profile, series):
    clients = 8
    ready = []
    for n in range(clients):
        buyer = Customer.objects.create(kind="person", name=f"Cliente {n}", document=cpf(n))
        ready.append(make_paid_order(buyer, Address.objects.create(
            customer=buyer, recipient=buyer.name, cep="01310100", street="Avenida Paulista", number="1000",
            district="Bela Vista", city=City.objects.get(code="3550308"), is_default=True)))
    user = person("finance", "fernanda")

    def work(n):
        invoice = services.invoice_from_order(order=ready[n], user=user)
        return services.invoice_issue(invoice=invoice, user=user, send=False).number

    results = at_once(work, clients)
    assert raised(results) == []
    assert sorted(results) == list(range(1, clients + 1))
    assert Series.objects.get().next_number == clients + 1
