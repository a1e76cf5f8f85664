"""The finance screens: for finance, not for staff."""

from decimal import Decimal

import pytest

from payments.models import Payment, ProviderAccount, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials={"webhook_secret": "s"})


@pytest.mark.parametrize("url", ["/payments/", "/payments/webhooks/"])
def test_staff_cannot_open_finance_pages_and_finance_can(client_as, url):
    assert client_as("staff").get(url).status_code == 403
    assert client_as("finance").get(url).status_code == 200


def test_finance_filter_payments_and_open_one(client_as, account):
    Payment.objects.create(account=account, provider="mercadopago", provider_payment_id="1", method="pix",
                           payer_name="Maria", gross=Decimal("10.00"), net=Decimal("9.90"), fees=Decimal("0.10"))
    Payment.objects.create(account=account, provider="mercadopago", provider_payment_id="2", method="credit_card",
                           payer_name="João", gross=Decimal("500.00"), net=Decimal("480.00"), fees=Decimal("20.00"))
    client = client_as("finance")
    listed = client.get("/payments/", {"method": "pix", "gross_min": "5"}).context["table"].page.object_list
    assert [p.provider_payment_id for p in listed] == ["1"]
    page = client.get(f"/payments/{Payment.objects.get(provider_payment_id='2').pk}/")
    assert page.status_code == 200 and "R$\u00a0480,00" in page.content.decode()


def test_only_a_failed_event_is_replayed(client_as, account):
    failed = WebhookEvent.objects.create(account=account, status="failed", error="timeout", resource_id="9")
    done = WebhookEvent.objects.create(account=account, status="processed", resource_id="8")
    client = client_as("ops")
    client.post(f"/payments/webhooks/{failed.pk}/replay/")
    client.post(f"/payments/webhooks/{done.pk}/replay/")
    assert WebhookEvent.objects.get(pk=failed.pk).status == "received"
    assert WebhookEvent.objects.get(pk=done.pk).status == "processed"
