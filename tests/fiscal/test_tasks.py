"""The fiscal jobs: what waited too long for SEFAZ (its task never queued, or its retries spent) is
caught up — sent, or looked up by its key —, a batch's receipt is asked again while SEFAZ processes
it, the customer's e-mail goes once, and the status check is kept."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from backoffice.celery import app
from backoffice.integrations.errors import ProviderError
from backoffice.jobs import PERIODIC_JOBS
from fiscal import services, tasks
from fiscal.models import FiscalProfile, Invoice, InvoiceEvent, SefazStatus, Series, VoidedRange
from tests.fiscal.services_support import authorized, canceller, issue, issuer, sefaz  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - timedelta(minutes=10)


def signed(order, user):
    """The order's NF-e signed and stored, its task never queued (the broker was down)."""
    return services.invoice_issue(invoice=services.invoice_from_order(order=order, user=user), user=user)


def test_an_invoice_left_signed_is_sent_by_the_catch_up(sefaz, consumer_order, issuer, run_queued_tasks):
    invoice = signed(consumer_order, issuer)
    with run_queued_tasks():
        assert tasks.catch_up_invoices() == 0  # not waiting long enough yet
    Invoice.objects.filter(pk=invoice.pk).update(updated_at=LONG_AGO)
    with run_queued_tasks():
        assert tasks.catch_up_invoices() == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.AUTHORIZED
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"


def test_an_invoice_whose_answer_was_lost_is_looked_up_by_the_catch_up(sefaz, consumer_order, issuer,
                                                                       run_queued_tasks):
    invoice = signed(consumer_order, issuer)
    sefaz.lose_next_answer()
    with pytest.raises(ProviderError):
        services.invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT and invoice.xml
    Invoice.objects.filter(pk=invoice.pk).update(updated_at=LONG_AGO)
    with run_queued_tasks():
        tasks.catch_up_invoices()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.AUTHORIZED
    assert list(sefaz.nfe) == [invoice.key]


def test_events_and_voidings_left_signed_are_sent_by_the_catch_up(authorized, canceller, issuer, run_queued_tasks):
    event = services.invoice_cancel(invoice=authorized, user=canceller, reason="Pedido cancelado pelo cliente")
    Series.objects.update(next_number=4)
    voided = services.numbers_void(series=1, first=2, last=3, reason="Numeração pulada por falha", user=issuer)
    InvoiceEvent.objects.update(occurred_at=LONG_AGO)
    VoidedRange.objects.update(created_at=LONG_AGO)
    with run_queued_tasks():
        assert tasks.catch_up_invoices() == 2
    event.refresh_from_db()
    voided.refresh_from_db()
    authorized.refresh_from_db()
    assert (event.status, voided.status, authorized.status) == ("registered", "registered", "cancelled")


def test_a_batch_still_processing_is_asked_again_later(sefaz, make_paid_order, customer, address, issuer,
                                                      run_queued_tasks):
    sefaz.processing_polls = 2
    batch = [signed(make_paid_order(customer, address), issuer) for _ in range(2)]
    waiting = services.invoices_send(invoices=batch)
    assert [invoice.pk for invoice in waiting] == [invoice.pk for invoice in batch]
    assert len({invoice.receipt for invoice in waiting}) == 1 and waiting[0].receipt
    with run_queued_tasks():
        tasks.check_invoice.delay(batch[0].pk)
    assert set(Invoice.objects.values_list("status", flat=True)) == {Invoice.Status.AUTHORIZED}
    polls = [path for _method, path, _headers, _body in sefaz.requests if path.endswith("/NFeRetAutorizacao4")]
    assert len(polls) == 3  # 105, 105, then 104 with both protocols


def test_a_batch_whose_answer_was_lost_is_looked_up_invoice_by_invoice(sefaz, make_paid_order, customer, address,
                                                                      issuer, run_queued_tasks):
    batch = [signed(make_paid_order(customer, address), issuer) for _ in range(2)]
    sefaz.lose_next_answer()
    with run_queued_tasks():
        tasks.send_invoices.delay([invoice.pk for invoice in batch])
    assert set(Invoice.objects.values_list("status", flat=True)) == {Invoice.Status.AUTHORIZED}
    assert sorted(sefaz.nfe) == sorted(invoice.key for invoice in batch)
    sends = [path for _method, path, _headers, _body in sefaz.requests if path.endswith("/NFeAutorizacao4")]
    assert len(sends) == 1


def test_the_customer_gets_the_danfe_once(authorized):
    assert len(mail.outbox) == 1
    tasks.email_invoice(authorized.pk)
    assert len(mail.outbox) == 1


def test_the_status_check_is_kept(sefaz):
    assert tasks.check_sefaz_status() == "107"
    assert SefazStatus.objects.get().up


def test_without_a_profile_the_status_check_does_nothing(db):
    assert not FiscalProfile.objects.exists()
    assert tasks.check_sefaz_status() is None
    assert not SefazStatus.objects.exists()


def test_every_fiscal_job_runs_a_registered_task():
    jobs = [job for name, job in PERIODIC_JOBS.items() if name.startswith("fiscal.")]
    assert {job.task for job in jobs} >= {"fiscal.tasks.check_sefaz_status", "fiscal.tasks.catch_up_invoices"}
    for job in jobs:
        assert job.task in app.tasks
