"""Fiscal jobs: sending NF-e, events and voidings to SEFAZ and asking for its answers (retried with
backoff while SEFAZ is unreachable; a timeout is looked up by key, never sent blind), the catch-up of
what waits too long, the SEFAZ status check, and the e-mails (the customer's DANFE, the accountant's
month, the certificate's expiry)."""

from celery import shared_task
from django.utils import timezone

from backoffice.dates import month_before
from backoffice.integrations.errors import ProviderError
from backoffice.queueing import RETRY_MAIL, RETRY_TRANSIENT

from . import mail, selectors, services
from .models import Invoice, InvoiceEvent, VoidedRange

# SEFAZ unreachable or slow (ProviderError) and the database briefly away are retried, with backoff.
RETRY_SEFAZ = {"autoretry_for": (ProviderError, *RETRY_TRANSIENT["autoretry_for"]), "retry_backoff": True,
               "retry_backoff_max": 600, "max_retries": 8}
# How long SEFAZ is given to process a batch before its receipt is asked for (and again, doubling).
RECEIPT_WAIT_SECONDS = 5


def _guarded(model) -> dict:
    """The poison-task guard of a task sending one `model` row (its pk the task's argument): counted
    as the catch-up counts it, and the row's timeline says when its sending stopped the worker."""
    return {"delivery_key": lambda task, pk: services.delivery_key(model, pk),
            "poisoned": lambda task, starts, pk: services.stopped_the_worker(model, pk, starts=starts)}


def _ask_later(invoices) -> None:
    """Ask for SEFAZ's answer to each invoice still waiting, once SEFAZ had time to process it."""
    for invoice in invoices:
        check_invoice.apply_async((invoice.pk,), countdown=RECEIPT_WAIT_SECONDS)


@shared_task(**_guarded(Invoice), **RETRY_SEFAZ)
def send_invoice(invoice_id):
    """Send a signed NF-e (one sent already is looked up by its key); ask for the answer later when
    SEFAZ only received it."""
    invoice = services.invoice_send(invoice=Invoice.objects.get(pk=invoice_id))
    if selectors.in_flight(invoice):
        _ask_later([invoice])


@shared_task(**RETRY_SEFAZ)
def send_invoices(invoice_ids):
    """Send signed NF-e in batches (the order list's batch issue); ask for the answers later. On a
    retry, those a failed batch had sent are looked up by their keys."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids))
    _ask_later([invoice for invoice in invoices if invoice.status == Invoice.Status.SENT])
    _ask_later(services.invoices_send(invoices=invoices))


@shared_task(bind=True, **_guarded(Invoice), **RETRY_SEFAZ)
def check_invoice(self, invoice_id):
    """Ask SEFAZ what became of a sent NF-e; while it still processes it, ask again later (the
    catch-up job takes over once the retries are spent)."""
    invoice = services.invoice_check(invoice=Invoice.objects.get(pk=invoice_id))
    if selectors.in_flight(invoice):
        raise self.retry(countdown=RECEIPT_WAIT_SECONDS * 2 ** self.request.retries)


@shared_task(**_guarded(InvoiceEvent), **RETRY_SEFAZ)
def send_event(event_id):
    """Send a signed cancellation or correction letter (a registered or refused one is left alone)."""
    services.event_send(event=InvoiceEvent.objects.get(pk=event_id))


@shared_task(**_guarded(VoidedRange), **RETRY_SEFAZ)
def send_void(voided_id):
    """Send a signed voiding of numbers (a registered or refused one is left alone)."""
    services.void_send(voided=VoidedRange.objects.get(pk=voided_id))


@shared_task(**RETRY_TRANSIENT)
def catch_up_invoices():
    """Send or look up the NF-e, events and voidings that waited more than five minutes for SEFAZ."""
    return services.fiscal_catch_up()


@shared_task(**RETRY_TRANSIENT)
def check_sefaz_status():
    """Ask SEFAZ whether its NF-e service is up (kept for the fiscal page and the ops home)."""
    status = services.sefaz_status_check()
    return status.status_code if status else None


@shared_task(**RETRY_MAIL)
def email_invoice(invoice_id):
    """E-mail the customer the DANFE and XML of an authorized NF-e, once (a rerun sends nothing)."""
    return mail.invoice_email(Invoice.objects.get(pk=invoice_id))


@shared_task(**RETRY_MAIL)
def email_accountant():
    """E-mail the accountant last month's XML files (on the 1st); a rerun sends nothing."""
    return mail.accountant_monthly(month_before(timezone.localdate()))


@shared_task(**RETRY_MAIL)
def warn_certificate_expiry():
    """E-mail finance and the admins that the A1 certificate expires within 30 days, or expired (once each)."""
    return mail.certificate_expiry_warning()
