"""Refunds from the order page through the provider, and payments recorded by hand."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from backoffice.models import AuditEvent
from backoffice.states import events_of
from orders.models import Order
from payments.models import CashEntry, Payment, ProviderAccount, Refund
from payments.providers.mercadopago import MercadoPago
from payments.providers.mercadopago.sandbox import sample_payment
from payments.services import payment_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(mercadopago_api):
    return mercadopago_api


@pytest.fixture
def paid(fake, order):
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token"})
    fake.payments["20359978"] = sample_payment(external_reference=str(order.number))
    return payment_apply(account=account, data=MercadoPago().normalize(fake.payments["20359978"]))


def refund(client, payment, amount, order):
    return client.post(f"/payments/{payment.pk}/refund/", {"amount": amount, "reason": "produto com defeito",
                                                            "next": f"/orders/{order.pk}/"}, follow=True)


def test_finance_refunds_part_then_the_rest_from_the_order_page(client_as, paid, fake, order):
    client = client_as("finance")
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="order-payments"' in page and 'data-testid="refund-form"' in page

    response = refund(client, paid, "20,00", order)
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    method, path, headers, body = fake.requests[-1]
    assert (method, path, body) == ("POST", "/v1/payments/20359978/refunds", b'{"amount": 20.0}')
    assert headers["authorization"] == "Bearer APP_USR-token" and headers["x-idempotency-key"]
    payment = Payment.objects.get(pk=paid.pk)
    assert (payment.status, payment.refunded) == ("partially_refunded", Decimal("20.00"))
    assert Refund.objects.get().provider_refund_id
    assert not CashEntry.objects.exists()  # taken from the release still to come
    assert [(r.gross, r.net) for r in payment.receivables.all()] == [(Decimal("38.80"), Decimal("36.16"))]
    assert AuditEvent.objects.filter(action="payment.refund").count() == 1

    refund(client, paid, "38,80", order)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded) == ("refunded", Decimal("58.80"))
    # The provider's own notification of the same refund later changes nothing more.
    payment_apply(account=payment.account, data=MercadoPago().normalize(fake.payments["20359978"]))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded) == ("refunded", Decimal("58.80"))
    # Nothing had been released yet: the provider keeps it all back, no cash moves, nothing is expected.
    assert not CashEntry.objects.exists()
    assert [(r.status, r.gross) for r in payment.receivables.all()] == [("cancelled", Decimal("0.00"))]


def _order_refunds(order):
    return [(e.params["amount"], e.params["reason"], e.actor and e.actor.username)
            for e in events_of(order) if e.code == "order.refund"]


def test_a_partial_refund_shows_paid_refunded_and_net_on_the_order_page_and_its_timeline(client_as, paid, fake, order):
    order.refresh_from_db()
    status = order.status
    client = client_as("finance")
    page = refund(client, paid, "20,00", order).content.decode()
    order.refresh_from_db()
    assert (order.paid_amount, order.refunded_amount, order.net_received) == (
        Decimal("58.80"), Decimal("20.00"), Decimal("38.80"))
    assert 'data-testid="order-paid">R$\xa058,80<' in page
    assert 'data-testid="order-refunded">-R$\xa020,00<' in page
    assert 'data-testid="order-net-received">R$\xa038,80<' in page
    assert "Reembolso de R$\xa020,00 Mercado Pago 20359978: produto com defeito" in page
    assert _order_refunds(order) == [("20.00", "produto com defeito", "finance")]

    # The rest: fully refunded, the order's status stays as it was.
    refund(client, paid, "38,80", order)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, order.net_received) == (status, Decimal("58.80"), Decimal("0.00"))
    # The provider's own notification of the same refunds adds nothing to the order.
    payment_apply(account=paid.account, data=MercadoPago().normalize(fake.payments["20359978"]))
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("58.80")
    assert _order_refunds(order) == [("20.00", "produto com defeito", "finance"),
                                     ("38.80", "produto com defeito", "finance")]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Refund of R$\xa038.80 Mercado Pago 20359978: produto com defeito" in english
    assert 'data-testid="order-net-received">R$\xa00.00<' in english


def test_a_refund_made_at_the_provider_reaches_the_order_with_its_notification(paid, fake, order):
    fake.payments["20359978"].update(status="refunded", transaction_amount_refunded=15.0)
    payment_apply(account=paid.account, data=MercadoPago().normalize(fake.payments["20359978"]))
    order.refresh_from_db()
    assert (order.refunded_amount, order.net_received) == (Decimal("15.00"), Decimal("43.80"))
    assert _order_refunds(order) == [("15.00", "", None)]
    with translation.override("pt-br"):
        assert [e.text for e in events_of(order) if e.code == "order.refund"] == [
            "Reembolso de R$\xa015,00 Mercado Pago 20359978"]
    # Told again, the same refund changes nothing more.
    payment_apply(account=paid.account, data=MercadoPago().normalize(fake.payments["20359978"]))
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("15.00") and len(_order_refunds(order)) == 1


@pytest.mark.parametrize("amount", ["0", "58,81", "abc"])
def test_a_refund_beyond_what_was_paid_is_refused_and_asks_nothing_of_the_provider(client_as, paid, fake, order,
                                                                                    amount):
    before = len(fake.requests)
    response = refund(client_as("finance"), paid, amount, order)
    assert len(fake.requests) == before
    assert not Refund.objects.exists() and Payment.objects.get(pk=paid.pk).refunded == 0
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_when_the_provider_refuses_nothing_is_recorded(client_as, paid, fake, order):
    fake.payments["20359978"]["transaction_amount_refunded"] = 58.8  # refunded at the provider meanwhile
    response = refund(client_as("finance"), paid, "10,00", order)
    messages = [str(m) for m in response.context["messages"]]
    assert any("Invalid refund amount" in m for m in messages)
    assert not Refund.objects.exists() and Payment.objects.get(pk=paid.pk).status == "approved"


def test_staff_see_no_payments_on_the_order_page_and_cannot_refund(client_as, paid, order):
    client = client_as("staff")
    assert 'data-testid="order-payments"' not in client.get(f"/orders/{order.pk}/").content.decode()
    assert client.post(f"/payments/{paid.pk}/refund/", {"amount": "1", "reason": "x"}).status_code == 403


def test_finance_records_a_pix_received_by_hand_and_the_order_is_paid(client_as, order):
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    client = client_as("finance")
    data = {"account": account.pk, "order": order.number, "method": "pix", "amount": "58,80", "paid_on": "2026-03-10",
            "reference": "E12345678202603101500abcdefghijk", "payer_name": "Maria da Silva"}
    assert client.post("/payments/new/", data).status_code == 302
    payment = Payment.objects.get()
    assert (payment.provider, payment.order_id, payment.gross, payment.status) == ("manual", order.pk, Decimal("58.80"),
                                                                                     "approved")
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")
    assert [r.due_date.isoformat() for r in payment.receivables.all()] == ["2026-03-10"]
    again = client.post("/payments/new/", data)
    assert again.status_code == 200 and "reference" in again.context["form"].errors
    assert Payment.objects.count() == 1
    wrong = client.post("/payments/new/", {**data, "reference": "other", "order": 999999})
    assert "order" in wrong.context["form"].errors


def test_refunds_of_a_payment_received_by_hand_add_up_and_stop_at_what_was_paid(client_as, role_user, order):
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    client = client_as("finance")
    client.post("/payments/new/", {"account": account.pk, "order": order.number, "method": "pix", "amount": "58,80",
                                   "paid_on": "2026-03-10", "reference": "E1234", "payer_name": "Maria da Silva"})
    payment = Payment.objects.get()
    client.force_login(role_user("finance", username="fernanda"))  # not its recorder
    refund(client, payment, "20,00", order)
    refund(client, payment, "30,00", order)
    response = refund(client, payment, "10,00", order)
    assert "no máximo R$\xa08,80" in response.content.decode()  # at most what is left
    payment.refresh_from_db()
    assert (payment.status, payment.refunded) == ("partially_refunded", Decimal("50.00"))
    assert [r.provider_refund_id for r in Refund.objects.all()] == ["", ""]
