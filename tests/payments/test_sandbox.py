"""Sandbox mode: staff pay a demo order at a provider's sandbox, which the app itself plays;
the signed notification goes over HTTP to the real webhook endpoint, and the real client
fetches the payment from the sandbox's API — end to end through a live server."""

from decimal import Decimal

import pytest

from backoffice.celery import app as celery_app
from backoffice.models import SandboxDocument
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from orders.models import Order
from payments.models import Payment, ProviderAccount, Receivable, Refund, WebhookEvent
from tests.factories import ProductFactory

ACCOUNTS = {
    "mercadopago": {"access_token": "TEST-mp-token", "webhook_secret": "mp-sandbox-secret"},
    "pagbank": {"access_token": "pagbank-sandbox-token"},
    "paypal": {"client_id": "AZ-sandbox", "client_secret": "EL-sandbox-secret", "webhook_id": "1JE4291016473214C"},
}


@pytest.fixture
def sandbox_mode(settings, live_server):
    """The app in sandbox mode at the live server's address, its tasks run as they are sent."""
    settings.PAYMENTS_SANDBOX = True
    settings.SITE_URL = live_server.url
    for code in ACCOUNTS:
        setattr(settings, f"{code.upper()}_API_URL", f"{live_server.url}/payments/sandbox/{code}")
    celery_app.conf.task_always_eager = True
    yield live_server
    celery_app.conf.task_always_eager = False


LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@LIVE
@pytest.mark.parametrize("provider,installments,fees", [
    ("mercadopago", 3, Decimal("7.48")),  # 4.99 % of 149.90
    ("pagbank", 1, Decimal("0.00")),  # PagBank states no fee: none configured here
    ("paypal", 1, Decimal("7.78")),  # 4.79 % + 0.60
])
def test_staff_pay_an_order_in_the_sandbox_and_finance_refunds_part_of_it(
        sandbox_mode, client_as, make_order, provider, installments, fees):
    account = ProviderAccount.objects.create(provider=provider, name="Loja (sandbox)", credentials=ACCOUNTS[provider])
    order = make_order(Decimal("149.90"))
    client = client_as("staff")
    page = client.get(f"/orders/{order.pk}/")
    assert b'data-testid="sandbox-pay"' in page.content

    response = client.post(f"/payments/sandbox/pay/{order.pk}/", {"account": account.pk,
                                                                   "installments": installments}, follow=True)
    assert response.status_code == 200

    event = WebhookEvent.objects.get()
    assert (event.account, event.status, event.error) == (account, "processed", "")
    payment = Payment.objects.get()
    assert (payment.provider, payment.order, payment.status) == (provider, order, "approved")
    assert (payment.gross, payment.fees, payment.net) == (Decimal("149.90"), fees, Decimal("149.90") - fees)
    assert payment.payer_name == "Maria da Silva" and payment.payer_document == "39053344705"
    assert Receivable.objects.filter(payment=payment).count() == installments
    order.refresh_from_db()
    assert order.status != "awaiting_payment" and order.paid_amount == Decimal("149.90")
    # Paid: the page offers the sandbox no more.
    assert b'data-testid="sandbox-pay"' not in client.get(f"/orders/{order.pk}/").content

    # A refund goes to the provider's sandbox, which keeps count of it.
    client_as("finance").post(f"/payments/{payment.pk}/refund/", {"amount": "30,00", "reason": "Item faltando"})
    payment.refresh_from_db()
    assert (payment.status, payment.refunded) == ("partially_refunded", Decimal("30.00"))
    assert Refund.objects.get(payment=payment).provider_refund_id  # the sandbox's own refund id


@pytest.mark.parametrize("provider,kind,key,path", [
    ("pagbank", "orders", "ORDE_1", "orders/ORDE_1"),
    ("mercadopago", "payments", "1", "v1/payments/1"),
])
def test_the_sandbox_api_asks_for_the_accounts_credentials(db, client, settings, provider, kind, key, path):
    settings.PAYMENTS_SANDBOX = True
    ProviderAccount.objects.create(provider=provider, name="Loja", credentials={"access_token": "right-token"})
    ProviderAccount.objects.create(provider=provider, name="Old", active=False,
                                   credentials={"access_token": "old-token"})
    SandboxDocument.objects.create(provider=provider, kind=kind, key=key, document={"id": key})
    url = f"/payments/sandbox/{provider}/{path}"
    for authorization in ({}, {"authorization": "Bearer wrong"}, {"authorization": "Bearer old-token"}):
        assert client.get(url, headers=authorization).status_code == 401
    answer = client.get(url, headers={"authorization": "Bearer right-token"})
    assert (answer.status_code, answer.json()) == (200, {"id": key})


def test_without_sandbox_mode_there_is_no_sandbox(db, client_as, order, settings):
    settings.PAYMENTS_SANDBOX = False
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=ACCOUNTS["mercadopago"])
    client = client_as("staff")
    assert b'data-testid="sandbox-pay"' not in client.get(f"/orders/{order.pk}/").content
    assert client.post(f"/payments/sandbox/pay/{order.pk}/", {"account": account.pk}).status_code == 404
    assert client.get("/payments/sandbox/mercadopago/v1/payments/1",
                      headers={"authorization": "Bearer TEST-mp-token"}).status_code == 404
    assert not Payment.objects.exists() and Order.objects.get(pk=order.pk).paid_amount == 0


def test_a_held_order_is_not_offered_to_the_sandbox_and_says_why_until_its_stock_is_reserved(
        db, client_as, customer, address, settings):
    settings.PAYMENTS_SANDBOX = True
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=ACCOUNTS["mercadopago"])
    product = ProductFactory(sku="CAM-1", price=Decimal("174.60"))
    held, _ = orders.order_create(customer=customer, address=address, channel="web",
                                  items=[orders.ItemInput(product, 2, Decimal("87.30"))])
    assert held.status == "new" and held.hold and held.payment_due == Decimal("174.60")
    client = client_as("staff")
    page = client.get(f"/orders/{held.pk}/").content.decode()
    assert 'data-testid="sandbox-pay"' not in page and "Pagar no sandbox" not in page
    assert "Este pedido ainda não pode ser pago." in page
    assert "Ele pode ser pago quando seu estoque for reservado. Em espera: Estoque insuficiente — CAM-1" in page

    # Posted anyway (a stale page): refused, saying why, and nothing is paid.
    refused = client.post(f"/payments/sandbox/pay/{held.pk}/", {"account": account.pk, "installments": 1},
                          follow=True).content.decode()
    assert "Ele pode ser pago quando seu estoque for reservado." in refused
    assert not SandboxDocument.objects.exists() and not Payment.objects.exists()

    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=2,
                            unit_cost=Decimal("1"), user=None)
    orders.order_retry_reservation(order=held, user=None)
    page = client.get(f"/orders/{held.pk}/").content.decode()
    assert 'data-testid="sandbox-pay"' in page and 'data-testid="sandbox-not-payable"' not in page
    assert "pagando os R$\xa0174,60 restantes" in page
