"""Every finance list runs the same number of queries for a page of 25 rows as for one of 100."""

from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import CashEntry, Payment, ProviderAccount, Receivable, WebhookEvent
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db
ROWS = 120


@pytest.fixture
def finance_rows(order):
    """ROWS of each: payments (of one order), their receivables this month, cash entries, notifications."""
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja")
    today = timezone.localdate()
    payments = Payment.objects.bulk_create([
        Payment(account=account, provider="mercadopago", provider_payment_id=str(i), order=order, method="pix",
                status="approved", gross=Decimal("10.00"), fees=Decimal("0.50"), net=Decimal("9.50"))
        for i in range(ROWS)])
    Receivable.objects.bulk_create([
        Receivable(payment=payment, number=1, due_date=today, gross=Decimal("10.00"), fee=Decimal("0.50"),
                   net=Decimal("9.50")) for payment in payments])
    CashEntry.objects.bulk_create([
        CashEntry(date=today, category="suppliers", direction="out", amount=Decimal("1.00"), description=f"{i}")
        for i in range(ROWS)])
    WebhookEvent.objects.bulk_create([WebhookEvent(account=account, body="{}", resource_id=str(i))
                                      for i in range(ROWS)])


@pytest.mark.parametrize("url", ["/payments/", "/payments/receivables/", "/payments/cash-flow/", "/payments/webhooks/"])
def test_a_finance_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, finance_rows, url):
    counts, shown = queries_per_page_size(client_as("admin"), url)
    assert shown == [25, 100]
    assert counts[0] == counts[1]
