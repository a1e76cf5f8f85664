"""Every finance list runs the same number of queries for a page of 25 rows as for one of 100."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import CashEntry, Payment, ProviderAccount, Receivable, WebhookEvent
from payments.providers.mercadopago.sandbox import sample_payment
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


def test_the_releases_page_runs_the_same_queries_for_20_rows_as_for_100(client_as, finance_rows, order,
                                                                          mercadopago_api):
    """The statement is not paged: its rows, each matched to our payment of its order, cost no query each."""
    account = ProviderAccount.objects.get(name="Loja")
    account.credentials["access_token"] = "APP_USR-token"
    account.save()
    today = timezone.localdate()
    # Mercado Pago released 20 of the payments this week and 100 the week before.
    for i in range(ROWS):
        released = timezone.now() - timedelta(days=1 if i >= 100 else 8)
        mercadopago_api.payments[str(i)] = sample_payment(id=i, external_reference=str(order.number),
                                                           money_release_date=released.isoformat())
    client = client_as("finance")
    counts, shown = [], []
    for weeks_ago in (0, 1):
        end = today - timedelta(days=7 * weeks_ago)
        query = {"account": account.pk, "start": (end - timedelta(days=6)).isoformat(), "end": end.isoformat()}
        client.get("/payments/releases/", query)  # asks for the report; the next visit reads it
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/payments/releases/", query)
        assert response.status_code == 200
        counts.append(len(queries))
        shown.append(sum(payment is not None and payment.order.number == order.number
                         for _, payment in response.context["rows"]))
    assert shown == [20, 100]
    assert counts[0] == counts[1]
