"""What an approved payment will bring, and when."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import ProviderAccount, Receivable, SettlementRule
from payments.providers.mercadopago import MercadoPago
from payments.providers.mercadopago.sandbox import sample_payment
from payments.services import payment_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials={"webhook_secret": "s"})


def card_payment(**changes):
    return MercadoPago().normalize(sample_payment(
        id=777, installments=3, transaction_amount=100.00, date_approved="2026-03-10T15:00:00.000-03:00",
        transaction_details={"net_received_amount": 94.99, "total_paid_amount": 100.0, "installment_amount": 33.34},
        **changes,
    ))


def test_a_three_installment_card_payment_is_expected_in_three_dated_net_parts(account):
    payment = payment_apply(account=account, data=card_payment())
    parts = list(payment.receivables.order_by("number"))
    assert [r.due_date for r in parts] == [date(2026, 4, 9), date(2026, 5, 9), date(2026, 6, 8)]
    assert [r.net for r in parts] == [Decimal("31.67"), Decimal("31.66"), Decimal("31.66")]
    assert sum(r.net for r in parts) == payment.net == Decimal("94.99")
    assert sum(r.gross for r in parts) == payment.gross and sum(r.fee for r in parts) == payment.fees


def test_the_settlement_rule_of_the_provider_and_method_sets_the_dates(account):
    SettlementRule.objects.create(provider="mercadopago", method="credit_card", days_to_first=2, days_between=30)
    payment = payment_apply(account=account, data=card_payment())
    assert payment.receivables.order_by("number").first().due_date == date(2026, 3, 12)


def test_a_notification_repeated_does_not_schedule_twice_and_a_refund_cancels_what_was_expected(account):
    payment_apply(account=account, data=card_payment())
    payment_apply(account=account, data=card_payment())
    assert Receivable.objects.count() == 3
    payment_apply(account=account, data=card_payment(status="refunded", transaction_amount_refunded=100.0))
    assert set(Receivable.objects.values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.parametrize("month", ["9999-12", "1-1", "0001-01", "2026-13", "2101-01", "\x00", "١٢-٢٠٢٦"])
def test_a_month_out_of_range_or_no_month_shows_this_month_and_says_so(client_as, month):
    # 9999-12 overflowed the month's following day; 1-1 reached the database as year 1 (DataError).
    response = client_as("finance").get("/payments/receivables/", {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)
    assert "A data pedida não é válida ou não está entre 2000 e 2100" in response.content.decode()


def test_a_month_in_range_is_shown(client_as):
    response = client_as("finance").get("/payments/receivables/", {"month": "2100-12"})
    assert response.context["month"] == date(2100, 12, 1) and response.context["following"] == date(2101, 1, 1)
