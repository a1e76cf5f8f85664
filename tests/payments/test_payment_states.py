"""Payments' stateful records move only through backoffice.states: for a payment, a receivable,
a cash entry and a webhook event, a move their machine refuses changes nothing, a repeated one
changes nothing more, and their events are read in the reader's language."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from backoffice.models import AuditEvent
from backoffice.states import TransitionRefused, events_of, transition
from payments import services
from payments.cashflow import cash_entry_book, receivables_settle
from payments.models import CashEntry, Payment, ProviderAccount, Receivable, WebhookEvent
from payments.providers.mercadopago import MercadoPago
from payments.providers.mercadopago.sandbox import sample_payment
from payments.tasks import process_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                          credentials={"access_token": "APP_USR-token"})


def said(account, order, **changes):
    """What Mercado Pago says of payment 20359978 of `order` (approved, R$ 58,80, unless `changes`)."""
    return services.payment_apply(account=account, data=MercadoPago().normalize(
        sample_payment(external_reference=str(order.number), **changes)))


def moves(document):
    return [(e.code, e.from_status, e.to_status) for e in events_of(document)]


def texts(document, language):
    with translation.override(language):
        return [(e.from_label, e.to_label, e.text) for e in events_of(document)]


# Payment


def test_a_payment_the_provider_moves_back_is_refused_and_its_older_news_changes_nothing(account, order):
    payment = said(account, order, status="refunded", transaction_amount_refunded=58.8)
    with pytest.raises(TransitionRefused):
        transition(payment, Payment.Status.APPROVED)
    said(account, order)  # a late notification of the approval
    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert moves(payment) == [("payment.recorded", "", "refunded")]


def test_a_payment_approved_twice_moves_once(account, order):
    said(account, order, status="pending")
    payment = said(account, order)
    said(account, order)
    assert moves(payment) == [("payment.recorded", "", "pending"), ("payment.approved", "pending", "approved")]
    assert AuditEvent.objects.filter(action="payment.approved", object_id=str(payment.pk)).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "approved"


def test_each_refund_is_one_event_and_one_audit_line_read_in_both_languages(client_as, mercadopago_api, account,
                                                                            order, role_user):
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number))
    payment = said(account, order)
    client = client_as("finance")
    for amount in ("20,00", "10,00"):
        client.post(f"/payments/{payment.pk}/refund/", {"amount": amount, "reason": "produto com defeito"})
    assert moves(payment)[1:] == [("payment.refund", "approved", "partially_refunded"), ("payment.refund", "", "")]
    refunds = AuditEvent.objects.filter(action="payment.refund", object_id=str(payment.pk))
    assert refunds.count() == 2 and {event.actor.username for event in refunds} == {"finance"}
    assert texts(payment, "en") == [
        ("", "approved", "Recorded: R$\u00a058.80."),
        ("approved", "partially refunded", "Refund of R$\u00a020.00: produto com defeito"),
        ("", "", "Refund of R$\u00a010.00: produto com defeito"),
    ]
    assert texts(payment, "pt-br") == [
        ("", "aprovado", "Registrado: R$\u00a058,80."),
        ("aprovado", "reembolsado em parte", "Reembolso de R$\u00a020,00: produto com defeito"),
        ("", "", "Reembolso de R$\u00a010,00: produto com defeito"),
    ]
    with translation.override("pt-br"):
        page = client.get(f"/payments/{payment.pk}/").content.decode()
    assert 'data-testid="timeline"' in page and "Reembolso de R$\u00a020,00: produto com defeito" in page


def test_a_payment_declined_by_hand_is_its_deciders_move(client_as, order, role_user):
    manual = ProviderAccount.objects.create(provider="manual", name="Pix")
    payment = services.payment_record_manual(
        account=manual, order_number=order.number, method="pix", amount=Decimal("99.00"), paid_on=date(2026, 3, 10),
        reference="E2E-9", payer_name="Maria", user=role_user("staff", username="ana"))
    services.payment_decline(payment=payment, user=role_user("finance", username="bia"))
    assert [(e.code, e.to_status, e.actor.username) for e in events_of(payment)] == [
        ("payment.recorded", "pending", "ana"), ("payment.rejected", "rejected", "bia")]
    assert AuditEvent.objects.get(action="payment.rejected").actor.username == "bia"


# Receivable


@pytest.fixture
def receivable(account, order):
    """The approved payment's one receivable (R$ 58,80 gross, R$ 56,16 net), due today."""
    Receivable.objects.filter(payment=said(account, order)).update(due_date=timezone.localdate())
    return Receivable.objects.get()


def test_a_settled_receivable_is_settled_once(client, role_user, receivable):
    assert receivables_settle() == 1
    assert receivables_settle() == 0
    with pytest.raises(TransitionRefused):
        transition(Receivable.objects.get(pk=receivable.pk), Receivable.Status.CANCELLED)
    assert moves(receivable) == [("receivable.settled", "expected", "settled")]
    assert CashEntry.objects.filter(receivable=receivable).count() == 2  # its gross in, its fee out
    assert texts(receivable, "en") == [("expected", "settled", "Released: R$\u00a056.16.")]
    assert texts(receivable, "pt-br") == [("previsto", "liquidado", "Liberado: R$\u00a056,16.")]
    client.force_login(role_user("admin", is_staff=True))
    with translation.override("pt-br"):
        page = client.get(f"/admin/payments/receivable/{receivable.pk}/change/").content.decode()
    assert 'data-testid="timeline"' in page and "Liberado: R$\u00a056,16." in page


def test_a_receivable_given_back_whole_is_cancelled_with_the_amount_and_never_settled(account, order, receivable):
    said(account, order, status="refunded", transaction_amount_refunded=58.8)
    assert receivables_settle() == 0
    with pytest.raises(TransitionRefused):
        transition(receivable, Receivable.Status.SETTLED)  # a copy read before it was cancelled
    receivable.refresh_from_db()
    assert (receivable.status, receivable.gross) == ("cancelled", 0) and not CashEntry.objects.exists()
    assert moves(receivable) == [("receivable.given_back", "expected", "cancelled")]
    assert texts(receivable, "en") == [("expected", "cancelled", "Given back to the payer: R$\u00a058.80.")]
    assert texts(receivable, "pt-br") == [("previsto", "cancelado", "Devolvido ao pagador: R$\u00a058,80.")]


# Cash entry


def test_a_scheduled_entry_is_done_once_and_a_done_one_is_never_scheduled_again(client_as):
    today = timezone.localdate()
    entry = cash_entry_book(date=today + timedelta(days=3), category="suppliers", amount=Decimal("120.00"),
                            status=CashEntry.Status.SCHEDULED, description="tecidos")
    client = client_as("finance")
    client.post(f"/payments/cash-flow/{entry.pk}/realize/")
    entry.refresh_from_db()
    assert (entry.status, entry.date) == ("realized", today)
    with pytest.raises(TransitionRefused):
        transition(entry, CashEntry.Status.SCHEDULED)
    CashEntry.objects.filter(pk=entry.pk).update(date=today - timedelta(days=1))
    client.post(f"/payments/cash-flow/{entry.pk}/realize/")  # again: already done
    assert CashEntry.objects.get(pk=entry.pk).date == today - timedelta(days=1)
    assert moves(entry) == [("cashentry.realized", "scheduled", "realized")]
    assert AuditEvent.objects.get(action="cashentry.realized").actor.username == "finance"
    scheduled = today + timedelta(days=3)
    with translation.override("en"):
        done_en = f"Done on {today:%m/%d/%Y} (scheduled for {scheduled:%m/%d/%Y})."
    assert texts(entry, "en") == [("scheduled", "realized", done_en)]
    assert texts(entry, "pt-br") == [("agendado", "realizado",
                                      f"Realizado em {today:%d/%m/%Y} (agendado para {scheduled:%d/%m/%Y}).")]


# Webhook event


@pytest.fixture
def unknown(account, mercadopago_api):
    """A notification of a payment the provider does not know (fetching it fails)."""
    return WebhookEvent.objects.create(account=account, body="{}", resource_id="404404")


def test_a_notification_failing_twice_fails_once_with_the_latest_error(unknown, mercadopago_api):
    for _ in range(2):
        with pytest.raises(Exception):
            process_webhook.apply(args=[unknown.pk], throw=True)
        assert WebhookEvent.objects.filter(pk=unknown.pk, status="failed").update(error="an older error")
    process_webhook.apply(args=[unknown.pk])
    unknown.refresh_from_db()
    assert unknown.status == "failed" and "404404" in unknown.error
    assert moves(unknown) == [("webhookevent.failed", "received", "failed")]
    [(_, _, english)] = texts(unknown, "en")
    [(_, _, portuguese)] = texts(unknown, "pt-br")
    assert english.startswith("Failed: ") and portuguese.startswith("Falhou: ") and "404404" in english


def test_only_a_failed_notification_is_queued_again_by_whom_and_read_in_both_languages(client_as, role_user,
                                                                                      account):
    failed = WebhookEvent.objects.create(account=account, status="failed", error="timeout", resource_id="9")
    done = WebhookEvent.objects.create(account=account, status="processed", resource_id="8")
    with pytest.raises(TransitionRefused):
        transition(done, WebhookEvent.Status.RECEIVED)
    client = client_as("ops")
    for event in (failed, failed, done):
        client.post(f"/payments/webhooks/{event.pk}/replay/")
    assert transition(failed, WebhookEvent.Status.RECEIVED) is False  # a copy read before it was queued
    assert WebhookEvent.objects.get(pk=done.pk).status == "processed" and not events_of(done).exists()
    assert moves(failed) == [("webhookevent.received", "failed", "received")]
    assert events_of(failed).get().actor.username == "ops"
    assert texts(failed, "en") == [("failed", "received", "Queued again to be processed.")]
    assert texts(failed, "pt-br") == [("falhou", "recebido", "Enfileirado de novo para processar.")]
    client.force_login(role_user("admin", is_staff=True))
    with translation.override("pt-br"):
        page = client.get(f"/admin/payments/webhookevent/{failed.pk}/change/").content.decode()
    assert 'data-testid="timeline"' in page and "Enfileirado de novo para processar." in page


def test_a_notification_that_stopped_the_worker_is_kept_failed_unless_processed(account):
    waiting = WebhookEvent.objects.create(account=account, resource_id="7")
    done = WebhookEvent.objects.create(account=account, status="processed", resource_id="8")
    for event in (waiting, done):
        services.webhook_stopped_the_worker(event_id=event.pk, starts=3)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.error) == ("failed", "processing stopped the worker 3 times")
    assert WebhookEvent.objects.get(pk=done.pk).status == "processed" and not events_of(done).exists()
    assert texts(waiting, "en") == [("received", "failed", "Processing stopped the worker 3 times.")]
    assert texts(waiting, "pt-br") == [("recebido", "falhou", "O processamento derrubou o worker 3 vezes.")]
