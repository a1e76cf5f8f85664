"""`seed_demo` gives the finance screens a history: a payment at a provider for each paid
order of the store's own channels, kept by the sandbox in the provider's format, settled
receivables and expenses in the cash flow — and no order credited twice; each dated when it
happened, over the orders' months."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backoffice.dates import period_bounds
from backoffice.models import AuditEvent, SandboxDocument
from backoffice.states import events_of
from orders.models import Channel, Order
from payments.cashflow import cash_period
from payments.demo import OWN_CHANNELS
from payments.models import CashEntry, Payment, PaymentEvent, ProviderAccount, Receivable
from payments.providers import sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", "--orders", "150", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_each_paid_own_channel_order_has_its_provider_payment_and_marketplace_orders_none(seeded):
    paid = Order.objects.filter(paid_amount__gt=0)
    own = paid.filter(channel__in=OWN_CHANNELS)
    assert own.exists() and paid.exclude(channel__in=OWN_CHANNELS).exists()
    for order in own:
        assert [p.gross for p in order.payments.all()] == [order.paid_amount]
    assert not Payment.objects.exclude(order__channel__in=OWN_CHANNELS).exists()
    assert set(Payment.objects.values_list("provider", flat=True)) == {"mercadopago", "pagbank", "paypal"}
    # The orders were paid by the orders demo: the payments did not credit them again.
    assert Payment.objects.filter(credited_to_order=True).count() == own.count()
    assert not PaymentEvent.objects.filter(raw__has_key="order_refused").exists()
    assert Order.objects.filter(channel=Channel.WEB, paid_amount__gt=0).aggregate(t=Sum("paid_amount"))["t"] == \
        Payment.objects.filter(order__channel=Channel.WEB).aggregate(t=Sum("gross"))["t"]


def test_the_sandbox_keeps_each_payment_as_its_provider_would_answer_it(seeded):
    for payment in [Payment.objects.filter(provider=code).first() for code in ("mercadopago", "pagbank", "paypal")]:
        data = sandbox(payment.provider).provider_payment(payment.provider_payment_id)
        assert (data.provider_payment_id, data.gross, data.status, data.external_reference) == (
            payment.provider_payment_id, payment.gross, "approved", str(payment.order.number))
    assert SandboxDocument.objects.filter(provider="mercadopago", kind="payments").count() == \
        Payment.objects.filter(provider="mercadopago").count()


def test_receivables_due_by_today_are_settled_into_the_cash_flow(seeded):
    today = timezone.localdate()
    assert not Receivable.objects.filter(status="expected", due_date__lte=today).exists()
    assert Receivable.objects.filter(status="expected", due_date__gt=today).exists()  # card installments to come
    settled = Receivable.objects.filter(status="settled")
    assert CashEntry.objects.filter(category="sales").aggregate(t=Sum("amount"))["t"] == \
        settled.aggregate(t=Sum("gross"))["t"]
    assert CashEntry.objects.filter(category="provider_fees").aggregate(t=Sum("amount"))["t"] == \
        settled.aggregate(t=Sum("fee"))["t"]


def test_expenses_are_booked_and_next_months_are_scheduled(seeded):
    today = timezone.localdate()
    assert CashEntry.objects.filter(category="payroll", status="realized", date__lte=today).count() >= 2
    scheduled = CashEntry.objects.filter(status="scheduled")
    assert scheduled.exists() and all(entry.date > today for entry in scheduled)
    assert CashEntry.objects.filter(category="marketplace_fees").exists()
    last_month = (today.replace(day=1) - timedelta(days=1))
    period = cash_period(*period_bounds("month", last_month))
    assert period.inflow > 0 and period.outflow > 0
    assert period.opening + period.inflow - period.outflow == period.closing


def test_seeding_again_changes_nothing(seeded):
    before = (ProviderAccount.objects.count(), Payment.objects.count(), CashEntry.objects.count())
    out = io.StringIO()
    call_command("seed_demo", "--orders", "150", stdout=out)
    assert (ProviderAccount.objects.count(), Payment.objects.count(), CashEntry.objects.count()) == before


def test_each_payment_is_dated_when_its_order_was_paid_over_the_orders_months(seeded):
    payments = list(Payment.objects.select_related("order"))
    for payment in payments:
        paid = payment.order.events.get(code="order.payment").created_at
        assert abs(payment.paid_at - paid) < timedelta(seconds=1)
        assert abs(payment.created_at - paid) < timedelta(seconds=5)
        assert abs(events_of(payment).first().created_at - payment.created_at) < timedelta(seconds=5)
    months = {timezone.localtime(payment.paid_at).strftime("%Y-%m") for payment in payments}
    assert len(months) >= 3


def test_receivables_are_settled_into_the_cash_flow_the_morning_they_were_due(seeded):
    today = timezone.localdate()
    entries = list(CashEntry.objects.filter(category="sales").select_related("receivable"))
    assert len({entry.date.strftime("%Y-%m") for entry in entries}) >= 3
    for entry in entries:
        booked = timezone.localdate(entry.created_at)
        assert booked in (entry.date, entry.date + timedelta(days=1)) or booked == today
        settled = [e for e in events_of(entry.receivable) if e.code == "receivable.settled"]
        assert abs(settled[0].created_at - entry.created_at) < timedelta(seconds=5)


def test_expenses_are_entered_on_their_day_and_audited_then(seeded):
    today = timezone.localdate()
    for entry in CashEntry.objects.filter(created_by__username="finance"):
        entered = timezone.localdate(entry.created_at)
        if entry.status == "realized":
            assert entered == entry.date
        else:
            assert entered < entry.date and entered >= today - timedelta(days=3)
        audited = AuditEvent.objects.get(action="cash.entry", object_id=str(entry.pk))
        assert abs(audited.created_at - entry.created_at) < timedelta(seconds=5)
