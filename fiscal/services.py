"""Every change to NF-e. An invoice is drafted from an order ready to ship (or from a customer's
return), numbered once, built, signed and validated against the official XSD, and stored before it is
sent to SEFAZ; SEFAZ's answer is applied where it arrives (authorized: the order becomes invoiced and
the customer gets the DANFE). After a timeout or a 204 an invoice is looked up by its key, never
built again under another. Also the events of an authorized NF-e (cancellation, CC-e), the voiding
of unused numbers (inutilização) and the SEFAZ status check. Every state change goes through
backoffice.states inside transaction.atomic(); the "not their own" rules hold here, for admins too."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from nfelib.nfe.bindings.v4_0 import inut_nfe_v4_00, leiaute_inut_nfe_v4_00
from nfelib.nfe_evento_cancel.bindings import v1_0 as cancel_bindings
from nfelib.nfe_evento_cce.bindings import v1_0 as cce_bindings

from backoffice.audit import audit_record
from backoffice.integrations.errors import ProviderError
from backoffice.queueing import WAITING_TOO_LONG, catch_up, send_after_commit
from backoffice.states import TransitionRefused, record, transition
from backoffice.text import storable
from orders.models import Order
from orders.models import Status as OrderStatus
from orders.services import order_invoice

from . import defaults, selectors, taxes
from .certificates import CertificateError, certificate_of
from .models import (
    UF_CODES,
    Environment,
    FiscalProfile,
    Invoice,
    InvoiceEvent,
    InvoiceItem,
    Operation,
    SefazStatus,
    Series,
    VoidedRange,
)
from .nfe import keys, signing
from .nfe import xml as nfe_xml
from .nfe.build import build
from .providers import DUPLICATE, Connection, transport

logger = logging.getLogger(__name__)

Status = Invoice.Status
REASON_MIN, REASON_MAX = 15, 255  # a cancellation's or a voiding's justification (xJust)
CORRECTION_MIN, CORRECTION_MAX = 15, 1000  # a CC-e's xCorrecao
MAX_CORRECTIONS = 20  # nSeqEvento 1..20
BATCH_SIZE = 50  # NF-e per enviNFe
DUPLICATE_EVENT = "573"  # the event is registered already: it is found in the NF-e's consultation
# What an order may be invoiced from: ready to ship, or invoiced already while its NF-e was cancelled.
INVOICEABLE = (OrderStatus.READY_TO_SHIP, OrderStatus.INVOICED)
# "A Carta de Correcao e disciplinada…": the conditions of use every CC-e carries (the schema's second
# spelling, without accents, beside descEvento "Carta de Correcao").
CCE_CONDITIONS = cce_bindings.DetEventoXCondUso(
    "A Carta de Correcao e disciplinada pelo paragrafo 1o-A do art. 7o do Convenio S/N, de 15 de dezembro de 1970 e "
    "pode ser utilizada para regularizacao de erro ocorrido na emissao de documento fiscal, desde que o erro nao "
    "esteja relacionado com: I - as variaveis que determinam o valor do imposto tais como: base de calculo, "
    "aliquota, diferenca de preco, quantidade, valor da operacao ou da prestacao; II - a correcao de dados "
    "cadastrais que implique mudanca do remetente ou do destinatario; III - a data de emissao ou de saida.")


class FiscalError(Exception):
    """A refused fiscal operation; the message is meant for the user. `errors`: the official
    schema's complaints, when the XML built failed its XSD."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or []


# The issuer, its certificate, the series ----------------------------------------


def _profile() -> FiscalProfile:
    profile = FiscalProfile.objects.select_related("city").filter(pk=1).first()
    if profile is None:
        raise FiscalError(_("Fill in the company's fiscal profile first."))
    return profile


def _certificate(profile: FiscalProfile, environment: int):
    """The profile's A1 certificate, usable now in `environment`, or a FiscalError saying why not."""
    try:
        certificate = certificate_of(profile)
    except CertificateError as exc:
        raise FiscalError(str(exc)) from exc
    if certificate.expired:
        raise FiscalError(_("The A1 certificate expired on %(date)s: upload the new one in the fiscal profile.")
                          % {"date": date_format(timezone.localtime(certificate.not_after), "SHORT_DATE_FORMAT")})
    if certificate.is_test and environment == Environment.PRODUCTION:
        raise FiscalError(_("A test certificate has no fiscal value: it signs homologation's invoices only."))
    return certificate


def _connection(profile: FiscalProfile, environment: int) -> Connection:
    return Connection(uf=profile.uf, environment=environment, certificate=_certificate(profile, environment))


def _series(environment: int, *, lock: bool = False) -> Series:
    """The active series of `environment` new invoices are numbered in (the lowest)."""
    series = Series.objects.filter(environment=environment, active=True).order_by("number")
    found = (series.select_for_update() if lock else series).first()
    if found is None:
        raise FiscalError(_("There is no active series for %(environment)s: add one in the fiscal settings.")
                          % {"environment": Environment(environment).label})
    return found


def _signed(binding, schema: str, certificate) -> bytes:
    """`binding` serialized, signed and checked against its official XSD (which requires the
    signature); FiscalError listing the schema's complaints when it fails."""
    signed, errors = signing.sign_and_validate(nfe_xml.serialize(binding), certificate, schema)
    if errors:
        raise FiscalError(_("The XML does not pass the official schema: %(errors)s") % {"errors": "; ".join(errors)},
                          errors=errors)
    return signed


def _words(text: str) -> str:
    """A justification or correction as the layouts take it: one line, single spaces."""
    return " ".join((text or "").split())


# Drafts -------------------------------------------------------------------------


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _refuse_uninvoiceable(order: Order) -> None:
    if order.status not in INVOICEABLE:
        raise FiscalError(_("Only an order ready to ship gets its NF-e; order %(order)s is “%(status)s”.")
                          % {"order": order, "status": order.get_status_display()})


def _store_items(invoice: Invoice, items: list[InvoiceItem], *, new: bool = False) -> None:
    """Replace the (draft or rejected) invoice's items with `items` and its totals with theirs
    (`new`: an invoice just created, with no items to replace)."""
    if not new:
        InvoiceItem.objects.filter(invoice=invoice).delete()
    for position, item in enumerate(items, start=1):
        item.invoice, item.position = invoice, position
    InvoiceItem.objects.bulk_create(items)
    for name, value in taxes.invoice_totals(items).items():
        setattr(invoice, name, value)


# An item's fields as invoiced: what tells whether items computed again are the ones stored.
ITEM_FIGURES = tuple(field.attname for field in InvoiceItem._meta.concrete_fields
                     if field.attname not in ("id", "invoice_id"))


def _stored_unless_changed(invoice: Invoice, items: list[InvoiceItem]) -> list[InvoiceItem]:
    """The invoice's items: those stored when `items` (computed again) are the same, field by field
    (a draft issued as it was made: nothing written again); else `items`, stored in their place."""
    stored = list(invoice.items.select_related("product").order_by("position"))
    if [[getattr(item, name) for name in ITEM_FIGURES] for item in stored] == [
            [getattr(item, name) for name in ITEM_FIGURES] for item in items]:
        return stored
    _store_items(invoice, items)
    return items


def _sale_items(invoice: Invoice, order: Order, profile: FiscalProfile, *,
                tables: taxes.Tables | None = None) -> list[InvoiceItem]:
    """The sale's operation, recipient, items with their taxes (as due on the invoice's date, or
    today) and totals, from the order, its customer and its products as they are now (staff fix
    them and issue again); the order's shipping is the NF-e's freight, shared among the items.
    Nothing saved: the items go to _store_items once the invoice is. `tables`: the tax tables, read
    once for a batch (read now by default)."""
    customer = order.customer
    invoice.operation = defaults.operation_for(customer)
    invoice.recipient_name = customer.name[:60]
    invoice.recipient_document = customer.document
    invoice.recipient_uf = order.ship_uf
    invoice.recipient_email = customer.email
    contributor = invoice.operation == Operation.SALE_COMPANY
    try:
        items = taxes.tax_items(profile=profile, operation=invoice.operation, destination_uf=order.ship_uf,
                                contributor=contributor, consumer=not contributor, lines=taxes.order_lines(order),
                                freight=order.shipping_total, issued_at=invoice.issued_at, tables=tables)
    except taxes.NoTaxRule as exc:
        raise FiscalError(str(exc)) from exc
    for name, value in taxes.invoice_totals(items).items():
        setattr(invoice, name, value)
    return items


def invoice_from_order(*, order: Order, user, past: bool = False, tables: taxes.Tables | None = None) -> Invoice:
    """The draft NF-e of sale of an order ready to ship (or invoiced, its NF-e cancelled): the
    recipient as the customer is now, the items with their taxes, the operation by the customer (an
    ICMS contributor buys as a company, anyone else as a consumer). The order's draft or rejected
    NF-e is given back as it is — it is fixed and issued again under its number; one authorized or
    on its way to SEFAZ refuses. `past`: the demo's history, an order already moved past invoicing.
    `tables`: the tax tables, read once for a batch."""
    profile = _profile()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
        if not past:
            _refuse_uninvoiceable(order)
        existing = selectors.open_invoice(order)
        if existing is not None:
            if existing.status in (Status.DRAFT, Status.REJECTED):
                return existing
            raise FiscalError(_("Order %(order)s has %(invoice)s already (%(status)s).")
                              % {"order": order, "invoice": existing, "status": existing.get_status_display()})
        invoice = Invoice(order=order, environment=profile.environment, series=_series(profile.environment).number,
                          created_by=user)
        items = _sale_items(invoice, order, profile, tables=tables)
        invoice.save()
        _store_items(invoice, items, new=True)  # the totals it sets are those saved
        record(invoice, "invoice.created", actor=user, to_status=Status.DRAFT)
        audit_record(actor=user, action="invoice.created", obj=invoice, note=str(order))
    return invoice


# Issue: number, key, build, sign, store -----------------------------------------


def _take_number(invoice: Invoice, profile: FiscalProfile) -> None:
    """Give the invoice the next number of its environment's series (the series row locked until
    commit, so two invoices never get the one number, and a rollback gives it back) and its cNF."""
    series = _series(profile.environment, lock=True)
    if series.next_number > 999_999_999:
        raise FiscalError(_("Series %(series)s has used every number: start another series.") % {"series": series})
    invoice.environment, invoice.series, invoice.number = profile.environment, series.number, series.next_number
    invoice.code = keys.new_code(invoice.number)
    Series.objects.filter(pk=series.pk).update(next_number=series.next_number + 1)


def invoice_issue(*, invoice: Invoice, user, send: bool = True, past: bool = False,
                  tables: taxes.Tables | None = None) -> Invoice:
    """Sign a draft or rejected NF-e and store it, then (after commit, unless not `send`) send it
    to SEFAZ. A sale's items and taxes are computed again from the order, customer and products as
    they are now (`tables`: the tax tables a batch read once), and stored in place of the invoice's
    when they differ. Its number is taken the first time and kept (a rejected NF-e is issued again
    under the same number, cNF and — within the month — key); the built XML must pass the official
    XSD (FiscalError listing what fails, and nothing changes). `user` is its issuer: someone else
    cancels it. `past`: the demo's history (its order already moved past invoicing)."""
    profile = _profile()
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status not in (Status.DRAFT, Status.REJECTED):
            raise FiscalError(_("%(invoice)s is “%(status)s”: only a draft or a rejected NF-e is issued.")
                              % {"invoice": invoice, "status": invoice.get_status_display()})
        if invoice.number is not None and invoice.environment != profile.environment:
            raise FiscalError(_("%(invoice)s was numbered in %(environment)s: void its number instead.")
                              % {"invoice": invoice, "environment": invoice.get_environment_display()})
        if invoice.number is not None and selectors.number_being_voided(invoice):
            raise FiscalError(_("The number of %(invoice)s is being voided.") % {"invoice": invoice})
        certificate = _certificate(profile, profile.environment)
        invoice.issued_at = timezone.now()
        if invoice.purpose == Invoice.Purpose.NORMAL and invoice.order_id:
            invoice.order = order = Order.objects.select_related("customer").get(pk=invoice.order_id)
            if not past:
                _refuse_uninvoiceable(order)
            items = _stored_unless_changed(invoice, _sale_items(invoice, order, profile, tables=tables))
        else:
            items = list(invoice.items.select_related("product", "returns_item").order_by("position"))
        if invoice.number is None:
            _take_number(invoice, profile)
        invoice.key = keys.access_key(uf_code=UF_CODES[profile.uf], issued_at=invoice.issued_at, cnpj=profile.cnpj,
                                      series=invoice.series, number=invoice.number, code=invoice.code)
        signed = _signed(build(invoice, items, profile), "nfe", certificate)
        invoice.issued_by, invoice.receipt, invoice.status_code, invoice.status_message = user, "", "", ""
        invoice.save()
        transition(invoice, Status.SIGNED, actor=user, params={"number": invoice.number, "key": invoice.key},
                   changes={"xml": signed.decode()})
        if send:
            send_after_commit("fiscal.tasks.send_invoice", invoice.pk)
    return invoice


@dataclass
class IssueReport:
    """What a batch issue did: the invoices signed (and queued to SEFAZ), and each order refused
    with the reason, for the user."""

    issued: list[Invoice] = field(default_factory=list)
    refused: list[tuple[Order, str]] = field(default_factory=list)


def invoices_issue_for_orders(*, orders, user) -> IssueReport:
    """Issue the NF-e of each order (the order list's batch action), each in its own transaction: one
    refused leaves the others issued. Those signed go to SEFAZ together, up to 50 per batch."""
    report = IssueReport()
    for order in orders:
        try:
            with transaction.atomic():
                invoice = invoice_issue(invoice=invoice_from_order(order=order, user=user), user=user, send=False)
        except FiscalError as exc:
            report.refused.append((order, str(exc)))
        else:
            report.issued.append(invoice)
    pks = [invoice.pk for invoice in report.issued]
    for start in range(0, len(pks), BATCH_SIZE):
        send_after_commit("fiscal.tasks.send_invoices", pks[start:start + BATCH_SIZE])
    return report


# Sending and SEFAZ's answers ----------------------------------------------------


def invoice_send(*, invoice: Invoice) -> Invoice:
    """Send a signed NF-e to SEFAZ, the stored bytes exactly, and apply the answer. One already sent
    is looked up (invoice_check), never sent blind; one decided is left as it is. A network failure
    leaves it sent and is raised (ProviderError) for the task to retry — by key."""
    invoice.refresh_from_db()
    if invoice.status == Status.SENT:
        return invoice_check(invoice=invoice)
    invoices_send(invoices=[invoice])
    invoice.refresh_from_db()
    return invoice


def invoices_send(*, invoices) -> list[Invoice]:
    """Send signed NF-e to SEFAZ, up to 50 per batch (enviNFe), and apply the answers; those that
    still wait for SEFAZ (a batch received, its receipt to ask later) are returned. Each one is
    moved to sent and committed before its batch leaves, so a crash meanwhile leaves it to be
    looked up by its key."""
    profile = _profile()
    signed = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices], status=Status.SIGNED)
    sent = []
    for environment in sorted({invoice.environment for invoice in signed}):
        group = list(signed.filter(environment=environment).order_by("pk"))
        conn = _connection(profile, environment)
        for start in range(0, len(group), BATCH_SIZE):
            moved = [invoice for invoice in group[start:start + BATCH_SIZE] if _moved_to_sent(invoice)]
            if moved:
                sent += moved
                _authorize(moved, conn)
    return list(Invoice.objects.filter(pk__in=[invoice.pk for invoice in sent], status=Status.SENT).order_by("pk"))


def _moved_to_sent(invoice: Invoice) -> bool:
    """Move a signed invoice to sent (committed); False when another worker moved it first."""
    try:
        return transition(invoice, Status.SENT)
    except TransitionRefused:
        return False


def _authorize(invoices: list[Invoice], conn: Connection) -> None:
    """Send sent invoices in one batch, their stored bytes, and apply SEFAZ's answer. A batch
    refused whole (no protocol: a schema failure, a certificate not the issuer's) rejects each of
    its invoices with the batch's code."""
    answer = transport().authorize(conn, batch_id=str(invoices[0].pk),
                                   signed_nfes=[invoice.xml.encode() for invoice in invoices])
    if answer.pending or answer.protocols or answer.code == DUPLICATE:
        _apply_answer(invoices, answer, conn)
        return
    for invoice in invoices:
        _reject(invoice, code=answer.code, message=answer.message, raw=_text(answer.raw))


def _apply_answer(invoices: list[Invoice], answer, conn: Connection) -> None:
    """Apply an authorization batch's answer, or its receipt's, to the batch's sent invoices: a
    batch only received keeps its receipt, to be asked later; each protocol is applied to its
    invoice, and a 204 (SEFAZ has that key already) is looked up by the key at once."""
    raw = _text(answer.raw)
    if answer.pending:
        if answer.receipt:
            Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(receipt=answer.receipt,
                                                                                     last_response=raw)
        return
    by_key = {invoice.key: invoice for invoice in invoices}
    duplicates = list(invoices) if answer.code == DUPLICATE else []
    for protocol in answer.protocols:
        if (invoice := by_key.get(protocol.key)) is None:
            continue
        if protocol.code == DUPLICATE:
            duplicates.append(invoice)
        else:
            _apply_protocol(invoice, protocol, raw)
    for invoice in duplicates:
        _look_up(invoice, conn, resend=False)


def _look_up(invoice: Invoice, conn: Connection, *, resend: bool) -> None:
    """What SEFAZ holds under the invoice's key (NFeConsultaProtocolo4), applied; one it does not
    know is sent again when `resend` — the same stored bytes, never another key."""
    consultation = transport().consult(conn, key=invoice.key)
    protocol = consultation.protocol
    if protocol is not None and protocol.key == invoice.key and (protocol.authorized or protocol.denied):
        _apply_protocol(invoice, protocol, _text(consultation.raw))
    elif not consultation.found and resend:
        _authorize([invoice], conn)
    else:
        Invoice.objects.filter(pk=invoice.pk).update(last_response=_text(consultation.raw))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def invoice_apply_protocol(*, invoice: Invoice, protocol, past: bool = False) -> Invoice:
    """Apply a protNFe SEFAZ gave outside this module's calls (the demo's simulator, in process) to
    a signed or sent invoice, as its answer would be. `past`: the demo's history — the order was
    moved by the orders demo already, and nothing is e-mailed now for what happened then."""
    _apply_protocol(invoice, protocol, _text(protocol.raw), past=past)
    invoice.refresh_from_db()
    return invoice


def _apply_protocol(invoice: Invoice, protocol, raw: str, *, past: bool = False) -> None:
    """Apply SEFAZ's protNFe to an invoice signed or sent: authorized (the order invoiced, the
    customer's e-mail queued, unless `past`) or denied — either kept as nfeProc, the signed bytes
    with the protocol, for the issuer keeps a denied NF-e too — or rejected. Safe to repeat."""
    if not (protocol.authorized or protocol.denied):
        _reject(invoice, code=protocol.code, message=protocol.message, raw=raw)
        return
    message = storable(protocol.message, 255)
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status not in selectors.IN_FLIGHT:
            return
        kept = {"protocol": protocol.number, "status_code": protocol.code, "status_message": message,
                "last_response": raw, "authorized_xml": _text(nfe_xml.nfe_proc(invoice.xml.encode(), protocol.raw))}
        if protocol.denied:
            transition(invoice, Status.DENIED, params={"code": protocol.code, "message": message}, changes=kept)
            return
        transition(invoice, Status.AUTHORIZED, params={"protocol": protocol.number},
                   changes={**kept, "authorized_at": protocol.received_at or timezone.now()})
        if not past:
            _order_invoiced(invoice)
            send_after_commit("fiscal.tasks.email_invoice", invoice.pk)


def _reject(invoice: Invoice, *, code: str, message: str, raw: str) -> None:
    """End an invoice signed or sent rejected, with SEFAZ's code and message: it is fixed and
    issued again under its number, or its number voided."""
    message = storable(message, 255)
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status in selectors.IN_FLIGHT:
            transition(invoice, Status.REJECTED, params={"code": code, "message": message},
                       changes={"status_code": code, "status_message": message, "last_response": raw, "receipt": ""})


def _order_invoiced(invoice: Invoice) -> None:
    """A sale authorized: its order becomes invoiced, by the NF-e's issuer. An order invoiced
    already (its earlier NF-e cancelled) stays so; one cancelled meanwhile is left as it is, and
    the NF-e's timeline says so (it must be cancelled if the goods will not leave)."""
    if invoice.order_id is None or invoice.purpose != Invoice.Purpose.NORMAL:
        return
    order = Order.objects.select_for_update().get(pk=invoice.order_id)
    if Order.states.allows(order.status, OrderStatus.INVOICED):
        order_invoice(order=order, user=invoice.issued_by, note=f"NF-e {invoice.number}/{invoice.series}")
    elif order.status != OrderStatus.INVOICED:
        record(invoice, "invoice.order_unchanged")


def invoice_check(*, invoice: Invoice) -> Invoice:
    """Ask SEFAZ what became of a sent NF-e and apply it: by its batch's receipt while SEFAZ
    processes the batch, else by its key (NFeConsultaProtocolo4). One SEFAZ does not know (217) is
    sent again — the same stored bytes, never a new key; one signed and never sent is sent. Safe to
    repeat: an invoice decided is left as it is."""
    invoice.refresh_from_db()
    if invoice.status == Status.SIGNED:
        return invoice_send(invoice=invoice)
    if invoice.status != Status.SENT:
        return invoice
    conn = _connection(_profile(), invoice.environment)
    if invoice.receipt:
        answer = transport().batch_result(conn, receipt=invoice.receipt)
        if answer.pending:
            return invoice
        _apply_answer(list(Invoice.objects.filter(receipt=invoice.receipt, status=Status.SENT)), answer, conn)
        invoice.refresh_from_db()
        if invoice.status != Status.SENT:
            return invoice
        # The receipt is unknown, expired, or says nothing of this one: it is looked up by its key.
        Invoice.objects.filter(pk=invoice.pk).update(receipt="")
    _look_up(invoice, conn, resend=True)
    invoice.refresh_from_db()
    return invoice


# Catch-up: what waits for SEFAZ too long (its task never queued, or lost) ----------


def delivery_key(model, pk: int) -> str:
    """The poison-task guard's count of sending a document (`model`: Invoice, InvoiceEvent or
    VoidedRange): one, whether its task or the catch-up runs it."""
    return f"fiscal.{model._meta.model_name}:{pk}"


def stopped_the_worker(model, pk: int, *, starts: int) -> None:
    """The poison-task guard's verdict on a document whose sending never finished: it stays where it
    is (signed or sent), its timeline says so, for someone to check it at SEFAZ."""
    record(model.objects.get(pk=pk), "fiscal.stuck", {"starts": starts})


def _caught_up(model, waiting, send, *, limit: int) -> int:
    """`send(document)` for the first `limit` documents `waiting`, each under its task's guard; SEFAZ
    unreachable leaves a document waiting for the next run."""
    def process(pk):
        try:
            send(model.objects.get(pk=pk))
        except ProviderError as exc:
            logger.warning("SEFAZ unreachable, %s %s waits: %s", model._meta.model_name, pk, exc)

    return catch_up(list(waiting.order_by("pk").values_list("pk", flat=True)[:limit]),
                    name=f"fiscal.catch_up.{model._meta.model_name}", key=partial(delivery_key, model),
                    process=process, poisoned=partial(stopped_the_worker, model))


def fiscal_catch_up(*, limit: int = 200) -> int:
    """Send or look up what waits for SEFAZ longer than it should — invoices signed or sent, events
    and voided ranges signed — each under its task's poison-task guard; how many."""
    before = timezone.now() - WAITING_TOO_LONG
    return sum((
        _caught_up(Invoice, Invoice.objects.filter(status__in=selectors.IN_FLIGHT, updated_at__lt=before),
                   lambda invoice: invoice_check(invoice=invoice), limit=limit),
        _caught_up(InvoiceEvent, InvoiceEvent.objects.filter(status=InvoiceEvent.Status.SIGNED, occurred_at__lt=before),
                   lambda event: event_send(event=event), limit=limit),
        _caught_up(VoidedRange, VoidedRange.objects.filter(status=VoidedRange.Status.SIGNED, created_at__lt=before),
                   lambda voided: void_send(voided=voided), limit=limit),
    ))


# Events: cancellation, correction letter ----------------------------------------


def _event_binding(bindings, *, kind: str, invoice: Invoice, profile: FiscalProfile, sequence: int, when: datetime,
                   detail):
    """The evento (cancellation or CC-e, by their own bindings) of `invoice`, unsigned."""
    info = bindings.Tevento.InfEvento
    return bindings.Evento(versao="1.00", infEvento=info(
        Id=f"ID{kind}{invoice.key}{sequence:02d}", cOrgao=bindings.TcorgaoIbge(UF_CODES[profile.uf]),
        tpAmb=bindings.Tamb(str(invoice.environment)), CNPJ=profile.cnpj, chNFe=invoice.key,
        dhEvento=nfe_xml.nfe_time(when), tpEvento=bindings.InfEventoTpEvento(kind), nSeqEvento=str(sequence),
        verEvento=bindings.InfEventoVerEvento("1.00"), detEvento=detail,
    ))


def _event_store(*, invoice: Invoice, kind: str, sequence: int, text: str, user, profile: FiscalProfile,
                 detail, bindings, schema: str) -> InvoiceEvent:
    """Sign the event and store it (a refused one of the same sequence is signed again), then send
    it after commit."""
    when = timezone.now()
    signed = _signed(_event_binding(bindings, kind=kind, invoice=invoice, profile=profile, sequence=sequence,
                                    when=when, detail=detail), schema, _certificate(profile, invoice.environment))
    values = {"text": text, "xml": signed.decode(), "occurred_at": when, "created_by": user, "status_code": "",
              "status_message": ""}
    event = InvoiceEvent.objects.select_for_update().filter(invoice=invoice, kind=kind, sequence=sequence).first()
    if event is None:
        event = InvoiceEvent.objects.create(invoice=invoice, kind=kind, sequence=sequence, **values)
    else:
        transition(event, InvoiceEvent.Status.SIGNED, actor=user, changes=values)
    send_after_commit("fiscal.tasks.send_event", event.pk)
    return event


# Each event's bindings, the schema family it is validated against, and the audit line of its request.
EVENT_LAYOUTS = {
    InvoiceEvent.Kind.CANCELLATION: (cancel_bindings, "cancel", "invoice.cancel_requested"),
    InvoiceEvent.Kind.CORRECTION: (cce_bindings, "cce", "invoice.correction_requested"),
}


def _event_request(*, invoice: Invoice, user, kind: str, text: str, not_authorized: str, prepare) -> InvoiceEvent:
    """Request an event of an authorized NF-e: the invoice locked, no event of the kind waiting
    for SEFAZ, then `prepare(invoice)` checks what the kind requires and gives its (sequence,
    detEvento); signed, stored and audited, then sent after commit. `not_authorized`: the refusal
    for an invoice in another status."""
    profile = _profile()
    bindings, schema, action = EVENT_LAYOUTS[kind]
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status != Status.AUTHORIZED:
            raise FiscalError(not_authorized % {"invoice": invoice, "status": invoice.get_status_display()})
        if invoice.events.filter(kind=kind, status=InvoiceEvent.Status.SIGNED).exists():
            raise FiscalError(_("“%(event)s” of %(invoice)s waits for SEFAZ's answer: wait for it first.")
                              % {"event": InvoiceEvent.Kind(kind).label, "invoice": invoice})
        sequence, detail = prepare(invoice)
        event = _event_store(invoice=invoice, kind=kind, sequence=sequence, text=text, user=user, profile=profile,
                             detail=detail, bindings=bindings, schema=schema)
        audit_record(actor=user, action=action, obj=invoice, note=text)
    return event


def cancel_hours() -> int:
    """The legal window to cancel an NF-e, in hours from its authorization."""
    return settings.FISCAL_CANCEL_HOURS


def cancel_deadline(invoice: Invoice) -> datetime | None:
    """Until when an authorized NF-e may be cancelled (None before it is authorized)."""
    return invoice.authorized_at + timedelta(hours=cancel_hours()) if invoice.authorized_at else None


def invoice_cancel(*, invoice: Invoice, user, reason: str) -> InvoiceEvent:
    """Ask SEFAZ to cancel an authorized NF-e: within settings.FISCAL_CANCEL_HOURS of its
    authorization (past them, goods that came back take a return NF-e), with a justification of
    15 to 255 characters, never by its issuer. The event is signed and stored, then sent; once SEFAZ
    registers it the NF-e is cancelled. Its order stays invoiced (the order's pipeline has no way
    back): a new NF-e can be issued for it before the goods leave."""
    reason = _words(reason)
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise FiscalError(_("Say why the NF-e is cancelled, in %(min)d to %(max)d characters.")
                          % {"min": REASON_MIN, "max": REASON_MAX})

    def prepare(invoice):
        if user is not None and invoice.issued_by_id == user.pk:
            raise FiscalError(_("You issued this NF-e: someone else must cancel it."))
        if timezone.now() > cancel_deadline(invoice):
            raise FiscalError(_("An NF-e can be cancelled within %(hours)d hours of its authorization, and %(invoice)s "
                                "was authorized on %(date)s: for goods that come back, issue a return NF-e instead.")
                              % {"hours": cancel_hours(), "invoice": invoice,
                                 "date": date_format(timezone.localtime(invoice.authorized_at),
                                                     "SHORT_DATETIME_FORMAT")})
        return 1, cancel_bindings.Tevento.InfEvento.DetEvento(
            versao=cancel_bindings.DetEventoVersao("1.00"),
            descEvento=cancel_bindings.DetEventoDescEvento("Cancelamento"), nProt=invoice.protocol, xJust=reason)

    return _event_request(invoice=invoice, user=user, kind=InvoiceEvent.Kind.CANCELLATION, text=reason,
                          not_authorized=_("Only an authorized NF-e can be cancelled; %(invoice)s is “%(status)s”."),
                          prepare=prepare)


def invoice_correct(*, invoice: Invoice, user, text: str) -> InvoiceEvent:
    """A correction letter (CC-e) for an authorized NF-e: 15 to 1000 characters, numbered per invoice
    (1 to 20; each replaces the ones before), with the conditions of use the layout requires;
    signed and stored, then sent. What a CC-e may not correct (amounts, taxes, the parties, the
    date) is the issuer's responsibility, as the conditions it carries say."""
    text = _words(text)
    if not CORRECTION_MIN <= len(text) <= CORRECTION_MAX:
        raise FiscalError(_("Write the correction in %(min)d to %(max)d characters.")
                          % {"min": CORRECTION_MIN, "max": CORRECTION_MAX})

    def prepare(invoice):
        registered = invoice.events.filter(kind=InvoiceEvent.Kind.CORRECTION, status=InvoiceEvent.Status.REGISTERED)
        sequence = (registered.aggregate(last=Max("sequence"))["last"] or 0) + 1
        if sequence > MAX_CORRECTIONS:
            raise FiscalError(_("An NF-e takes at most %(count)d correction letters.") % {"count": MAX_CORRECTIONS})
        return sequence, cce_bindings.Tevento.InfEvento.DetEvento(
            versao=cce_bindings.DetEventoVersao("1.00"),
            descEvento=cce_bindings.DetEventoDescEvento("Carta de Correcao"), xCorrecao=text, xCondUso=CCE_CONDITIONS)

    return _event_request(invoice=invoice, user=user, kind=InvoiceEvent.Kind.CORRECTION, text=text,
                          not_authorized=_("Only an authorized NF-e takes a correction letter; %(invoice)s is "
                                           "“%(status)s”."),
                          prepare=prepare)


def event_send(*, event: InvoiceEvent) -> InvoiceEvent:
    """Send a signed event to SEFAZ, the stored bytes exactly, and apply the answer: registered (a
    cancellation cancels the NF-e) or refused, with SEFAZ's code. An event SEFAZ registered already
    (573, a repeat after a timeout) is found in the NF-e's consultation. ProviderError is raised for
    the task to retry. Safe to repeat."""
    event.refresh_from_db()
    if event.status != InvoiceEvent.Status.SIGNED:
        return event
    invoice = event.invoice
    conn = _connection(_profile(), invoice.environment)
    answer = transport().send_event(conn, batch_id=str(event.pk), signed_event=event.xml.encode())
    if answer.registered:
        _event_decided(event, code=answer.code, message=answer.message, protocol=answer.protocol,
                       registered_at=answer.registered_at,
                       registered_xml=_text(nfe_xml.event_proc(event.xml.encode(), answer.raw)))
    elif answer.code == DUPLICATE_EVENT and (found := _registered_event(conn, event)) is not None:
        _event_decided(event, **found)
    else:
        _event_decided(event, code=answer.code, message=answer.message)
    event.refresh_from_db()
    return event


def _registered_event(conn: Connection, event: InvoiceEvent) -> dict | None:
    """The registration of `event` as the NF-e's consultation lists it (its procEventoNFe, byte for
    byte), or None."""
    ns = {"n": nfe_xml.NFE_NS}
    for proc in transport().consult(conn, key=event.invoice.key).events:
        answer = nfe_xml.parse(proc).find("n:retEvento/n:infEvento", ns)
        if (answer is not None and answer.findtext("n:tpEvento", namespaces=ns) == event.kind
                and int(answer.findtext("n:nSeqEvento", "0", namespaces=ns)) == event.sequence):
            when = answer.findtext("n:dhRegEvento", namespaces=ns)
            return {"code": answer.findtext("n:cStat", namespaces=ns), "protocol": answer.findtext("n:nProt", "",
                                                                                                  namespaces=ns),
                    "message": answer.findtext("n:xMotivo", "", namespaces=ns), "registered_xml": _text(proc),
                    "registered_at": datetime.fromisoformat(when) if when else None}
    return None


def _event_decided(event: InvoiceEvent, *, code: str, message: str, protocol: str = "", registered_at=None,
                   registered_xml: str = "") -> None:
    """Apply SEFAZ's answer to a signed event (and, for a registered cancellation, to its NF-e)."""
    message = storable(message, 255)
    with transaction.atomic():
        event = InvoiceEvent.objects.select_for_update().get(pk=event.pk)
        if event.status != InvoiceEvent.Status.SIGNED:
            return
        invoice = _locked(event.invoice)
        cancellation = event.kind == InvoiceEvent.Kind.CANCELLATION
        if not registered_xml:
            transition(event, InvoiceEvent.Status.REJECTED, params={"code": code, "message": message},
                       changes={"status_code": code, "status_message": message})
            params = {"code": code, "message": message} if cancellation else {
                "sequence": event.sequence, "code": code, "message": message}
            record(invoice, "invoice.cancel_refused" if cancellation else "invoice.correction_refused", params,
                   actor=event.created_by)
            return
        transition(event, InvoiceEvent.Status.REGISTERED, params={"protocol": protocol}, changes={
            "status_code": code, "status_message": message, "protocol": protocol,
            "registered_at": registered_at or timezone.now(), "registered_xml": registered_xml})
        if not cancellation:
            record(invoice, "invoice.corrected", {"sequence": event.sequence, "protocol": protocol, "text": event.text},
                   actor=event.created_by)
            return
        transition(invoice, Status.CANCELLED, actor=event.created_by, params={"reason": event.text,
                                                                               "protocol": protocol})
        if invoice.order_id and invoice.purpose == Invoice.Purpose.NORMAL:
            record(invoice.order, "fiscal.order_nfe_cancelled", {"number": f"{invoice.number}/{invoice.series}",
                                                                 "reason": event.text}, actor=event.created_by)


# Voiding unused numbers (inutilização) ----------------------------------------


def numbers_void(*, environment: int | None = None, series: int, first: int, last: int, reason: str,
                 user) -> VoidedRange:
    """Ask SEFAZ to void the numbers `first` to `last` of a series (the profile's environment unless
    given): only numbers the series has passed and no NF-e holds but a rejected one — never one
    authorized, cancelled, denied or on its way. Signed and stored, then sent; once SEFAZ registers
    it, the rejected NF-e of the range are voided. The series' next number stays where it is:
    numbers are never given twice."""
    reason = _words(reason)
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise FiscalError(_("Say why the numbers are voided, in %(min)d to %(max)d characters.")
                          % {"min": REASON_MIN, "max": REASON_MAX})
    profile = _profile()
    environment = environment or profile.environment
    if not 1 <= first <= last:
        raise FiscalError(_("Give the first and the last number of the range, the first not above the last."))
    with transaction.atomic():
        row = Series.objects.select_for_update().filter(environment=environment, number=series).first()
        if row is None:
            raise FiscalError(_("There is no series %(series)s in %(environment)s.")
                              % {"series": series, "environment": Environment(environment).label})
        if last >= row.next_number:
            raise FiscalError(_("Only numbers the series has given can be voided: its next number is %(next)s.")
                              % {"next": row.next_number})
        used = list(Invoice.objects.filter(environment=environment, series=series, number__range=(first, last))
                    .exclude(status=Status.REJECTED).order_by("number").values_list("number", flat=True))
        if used:
            raise FiscalError(_("These numbers belong to NF-e that are not rejected: %(numbers)s.")
                              % {"numbers": ", ".join(str(number) for number in used)})
        if selectors.voided_overlapping(environment=environment, series=series, first=first, last=last).exists():
            raise FiscalError(_("Some of these numbers are voided already, or waiting for SEFAZ to void them."))
        now = timezone.now()
        cnpj, uf_code, year = profile.cnpj, UF_CODES[profile.uf], f"{timezone.localtime(now):%y}"
        inut = leiaute_inut_nfe_v4_00
        binding = inut_nfe_v4_00.InutNfe(versao="4.00", infInut=inut.TinutNfe.InfInut(
            Id=f"ID{uf_code}{year}{cnpj}55{series:03d}{first:09d}{last:09d}", tpAmb=inut.Tamb(str(environment)),
            xServ=inut.InfInutXServ("INUTILIZAR"), cUF=inut.TcodUfIbge(uf_code), ano=year, CNPJ=cnpj,
            mod=inut.Tmod("55"), serie=str(series), nNFIni=str(first), nNFFin=str(last), xJust=reason))
        signed = _signed(binding, "inut", _certificate(profile, environment))
        voided = VoidedRange.objects.create(environment=environment, series=series, first=first, last=last,
                                            year=timezone.localtime(now).year, reason=reason, xml=signed.decode(),
                                            created_by=user)
        audit_record(actor=user, action="voidedrange.requested", obj=voided, note=reason)
        send_after_commit("fiscal.tasks.send_void", voided.pk)
    return voided


def invoice_void_number(*, invoice: Invoice, user, reason: str) -> VoidedRange:
    """Void the number of a rejected NF-e that will not be issued again (a range of one)."""
    if invoice.status != Status.REJECTED or invoice.number is None:
        raise FiscalError(_("Only the number of a rejected NF-e can be voided."))
    return numbers_void(environment=invoice.environment, series=invoice.series, first=invoice.number,
                        last=invoice.number, reason=reason, user=user)


def void_send(*, voided: VoidedRange) -> VoidedRange:
    """Send a signed voiding to SEFAZ, the stored bytes exactly, and apply the answer: registered
    (procInutNFe kept; the rejected NF-e of the range voided) or rejected with SEFAZ's code.
    ProviderError is raised for the task to retry. Safe to repeat."""
    voided.refresh_from_db()
    if voided.status != VoidedRange.Status.SIGNED:
        return voided
    answer = transport().void(_connection(_profile(), voided.environment), signed_inut=voided.xml.encode())
    message = storable(answer.message, 255)
    with transaction.atomic():
        voided = VoidedRange.objects.select_for_update().get(pk=voided.pk)
        if voided.status != VoidedRange.Status.SIGNED:
            return voided
        if not answer.registered:
            transition(voided, VoidedRange.Status.REJECTED, params={"code": answer.code, "message": message},
                       changes={"status_code": answer.code, "status_message": message})
            return voided
        transition(voided, VoidedRange.Status.REGISTERED, params={"protocol": answer.protocol}, changes={
            "status_code": answer.code, "status_message": message, "protocol": answer.protocol,
            "registered_at": answer.registered_at or timezone.now(),
            "registered_xml": _text(nfe_xml.inut_proc(voided.xml.encode(), answer.raw))})
        rejected = Invoice.objects.select_for_update().filter(
            environment=voided.environment, series=voided.series, number__range=(voided.first, voided.last),
            status=Status.REJECTED).order_by("pk")
        for invoice in rejected:
            transition(invoice, Status.VOIDED, actor=voided.created_by,
                       params={"reason": voided.reason, "protocol": answer.protocol})
    return voided


# Returns: an entry NF-e giving back part of a sale -----------------------------


def return_invoice(*, original: Invoice, quantities: dict, user, reason: str = "") -> Invoice:
    """An entry NF-e (tpNF 0, finNFe 4) for goods a customer sent back, referring to the authorized
    sale `original` (refNFe, and each item to the original's item): `quantities` by the original's
    InvoiceItem (or its pk). Each item's figures are the original's, in proportion to the quantity
    returned — and never more than was sold less what earlier returns gave back (FiscalError) —
    under the CFOP and CST/CSOSN of the regime's return rules. Then issued like any NF-e."""
    profile = _profile()
    with transaction.atomic():
        original = _locked(original)
        if (original.status != Status.AUTHORIZED or original.direction != Invoice.Direction.OUTGOING
                or original.purpose != Invoice.Purpose.NORMAL):
            raise FiscalError(_("Goods come back against an authorized NF-e of sale; %(invoice)s is “%(status)s”.")
                              % {"invoice": original, "status": original.get_status_display()})
        sold = {item.pk: item for item in original.items.all()}
        wanted = {}
        for item, quantity in quantities.items():
            pk = getattr(item, "pk", item)
            if pk not in sold:
                raise FiscalError(_("That item is not on %(invoice)s.") % {"invoice": original})
            try:
                quantity = Decimal(str(quantity))
            except InvalidOperation:
                quantity = Decimal("NaN")
            if not quantity.is_finite() or quantity < 0:
                raise FiscalError(_("%(sku)s: type the quantity that came back, zero or more.") % {"sku": sold[pk].sku})
            if quantity:
                wanted[pk] = quantity
        if not wanted:
            raise FiscalError(_("Say how many of each item came back."))
        returned = selectors.returned_quantities(original)
        for pk, quantity in wanted.items():
            item, before = sold[pk], returned.get(pk, Decimal(0))
            if before + quantity > item.quantity:
                raise FiscalError(_("%(sku)s: %(sold)s sold, %(returned)s returned before; %(quantity)s more is too "
                                    "many.") % {"sku": item.sku, "sold": item.quantity.normalize(),
                                                "returned": before.normalize(), "quantity": quantity.normalize()})
        contributor = original.operation == Operation.SALE_COMPANY
        try:
            items = taxes.tax_items(
                profile=profile, operation=Operation.RETURN, destination_uf=original.recipient_uf,
                contributor=contributor, consumer=not contributor,
                lines=[taxes.Line(product=sold[pk].product, quantity=quantity, unit_price=sold[pk].unit_price,
                                  returns_item=sold[pk]) for pk, quantity in wanted.items()])
        except taxes.NoTaxRule as exc:
            raise FiscalError(str(exc)) from exc
        invoice = Invoice.objects.create(
            order=original.order, refers_to=original, operation=Operation.RETURN, direction=Invoice.Direction.INCOMING,
            purpose=Invoice.Purpose.RETURN, environment=profile.environment,
            series=_series(profile.environment).number, recipient_name=original.recipient_name,
            recipient_document=original.recipient_document, recipient_uf=original.recipient_uf,
            recipient_email=original.recipient_email, created_by=user)
        _store_items(invoice, items)
        invoice.save()
        record(invoice, "invoice.created", actor=user, to_status=Status.DRAFT)
        audit_record(actor=user, action="invoice.created", obj=invoice, note=f"{original} {reason}".strip())
        return invoice_issue(invoice=invoice, user=user)


# SEFAZ's status ------------------------------------------------------------------


def sefaz_status_check() -> SefazStatus | None:
    """Ask the authorizer of the profile's UF, in its environment, whether the NF-e service is up
    (NFeStatusServico4: 107) and keep the answer; SEFAZ unreachable is kept as down. None when the
    store has no fiscal profile or usable certificate yet (nothing to ask as)."""
    try:
        profile = _profile()
        conn = _connection(profile, profile.environment)
    except FiscalError:
        return None
    try:
        answer = transport().status(conn)
        values = {"up": answer.up, "status_code": answer.code, "status_message": storable(answer.message, 255),
                  "average_seconds": answer.average_seconds}
    except ProviderError as exc:
        values = {"up": False, "status_code": "", "status_message": storable(str(exc), 255), "average_seconds": None}
    status, _created = SefazStatus.objects.update_or_create(uf=profile.uf, environment=profile.environment,
                                                            defaults={**values, "checked_at": timezone.now()})
    return status
