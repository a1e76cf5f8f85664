"""Payments registered by hand and the separation of duties around them: who records, who
approves more than an order is due, who refunds, who overrides the order's checks."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from backoffice.models import AuditEvent
from orders.models import Order
from payments import services
from payments.models import CashEntry, Payment, ProviderAccount

pytestmark = pytest.mark.django_db

LONG_REASON = "pagamento a maior conferido no extrato"


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="manual", name="Pix da loja")


def register(client, account, order, amount, reference="E2E-1"):
    """What the order page's panel posts."""
    return client.post("/payments/new/", {
        "account": account.pk, "order": order.number, "method": "pix", "amount": amount, "paid_on": "2026-03-10",
        "reference": reference, "payer_name": "Maria da Silva", "next": f"/orders/{order.pk}/",
    }, follow=True)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_staff_register_a_pix_from_the_order_page_as_a_real_payment(client_as, account, order):
    client = client_as("staff")
    assert 'data-testid="manual-payment"' in client.get(f"/orders/{order.pk}/").content.decode()
    response = register(client, account, order, "58,80")
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    payment = Payment.objects.get()
    assert (payment.provider, payment.status, payment.gross, payment.recorded_by.username) == (
        "manual", "approved", Decimal("58.80"), "staff")
    order.refresh_from_db()
    assert (order.paid_amount, order.status) == (Decimal("58.80"), "ready_to_ship")
    assert order.events.get(code="order.payment").actor.username == "staff"
    assert [r.due_date.isoformat() for r in payment.receivables.all()] == ["2026-03-10"]  # settles into the cash flow
    assert AuditEvent.objects.filter(action="payment.manual", actor__username="staff").exists()


@pytest.mark.parametrize("amount,message", [
    ("", "Este campo é obrigatório"),  # it used to mean "the rest of the total"
    ("0", "maior ou igual a 0"),
    ("-5", "maior ou igual a 0"),
    ("1e3", "dígitos de 0 a 9"),
    ("0,5e0", "dígitos de 0 a 9"),
    ("١٢٥", "dígitos de 0 a 9"),  # Arabic-Indic digits
    ("Infinity", "dígitos de 0 a 9"),
    ("abc", "dígitos de 0 a 9"),
])
def test_a_payment_by_hand_needs_a_plain_amount_above_zero(client_as, account, order, amount, message):
    response = register(client_as("staff"), account, order, amount)
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert not Payment.objects.exists()
    assert Order.objects.get(pk=order.pk).paid_amount == 0


def test_the_service_refuses_a_payment_of_nothing(role_user, account, order):
    with pytest.raises(services.PaymentError):
        services.payment_record_manual(account=account, order_number=order.number, method="pix", amount=Decimal("0"),
                                       paid_on=order.placed_at.date(), reference="X", payer_name="",
                                       user=role_user("staff"))
    assert not Payment.objects.exists()


def test_more_than_the_order_is_due_waits_for_a_second_person_then_counts(client_as, role_user, account, make_order):
    # Finding 7: "1e3" on a R$ 197,62 order, then the same user overrode the checks with reason "x".
    order = make_order(Decimal("197.62"))
    client = client_as("admin")  # may record, approve and override: still not all three alone
    assert any("dígitos de 0 a 9" in m for m in messages_of(register(client, account, order, "1e3")))
    response = register(client, account, order, "1000,00")
    assert any("outra pessoa o aprovar" in m for m in messages_of(response)), messages_of(response)
    payment = Payment.objects.get()
    assert payment.status == "pending" and payment.awaiting_approval
    order.refresh_from_db()
    assert (order.paid_amount, order.status) == (Decimal("0.00"), "awaiting_payment")
    assert not payment.receivables.exists() and not CashEntry.objects.exists()  # no money counts yet

    refused = client.post(f"/payments/{payment.pk}/approve/", {"next": f"/orders/{order.pk}/"}, follow=True)
    assert any("outra pessoa deve aprová-lo" in m for m in messages_of(refused))
    assert Payment.objects.get(pk=payment.pk).status == "pending"

    finance = role_user("finance", username="fernanda")
    approved = services.payment_approve(payment=payment, user=finance)
    assert (approved.status, approved.approved_by, approved.recorded_by.username) == ("approved", finance, "admin")
    assert approved.receivables.get().gross == Decimal("1000.00")
    order.refresh_from_db()
    assert order.paid_amount == Decimal("1000.00") and order.in_validation_queue  # paid more than the total

    for reason, message in [("x", "pelo menos 15 caracteres"), (LONG_REASON, "Você registrou um pagamento")]:
        response = client.post(f"/orders/{order.pk}/override/", {"reason": reason}, follow=True)
        assert any(message in m for m in messages_of(response)), messages_of(response)
    assert Order.objects.get(pk=order.pk).status == "paid"
    client.force_login(role_user("manager", username="marta"))
    client.post(f"/orders/{order.pk}/override/", {"reason": LONG_REASON})
    assert Order.objects.get(pk=order.pk).status == "ready_to_ship"


def test_a_payment_above_the_due_can_be_declined_and_then_never_counts(client_as, role_user, account, order):
    services.payment_record_manual(account=account, order_number=order.number, method="pix", amount=Decimal("99.00"),
                                   paid_on=order.placed_at.date(), reference="E2E-9", payer_name="",
                                   user=role_user("staff"))
    payment = Payment.objects.get()
    client = client_as("manager")
    assert 'data-testid="approval"' in client.get(f"/orders/{order.pk}/").content.decode()
    client.post(f"/payments/{payment.pk}/decline/")
    payment.refresh_from_db()
    assert payment.status == "rejected"
    with pytest.raises(services.PaymentError):
        services.payment_approve(payment=payment, user=role_user("finance"))
    assert Order.objects.get(pk=order.pk).paid_amount == 0 and not payment.receivables.exists()


def test_up_to_what_is_due_needs_no_approval_and_the_rest_of_a_paid_order_does(role_user, account, order):
    staff = role_user("staff")

    def record(amount, reference):
        return services.payment_record_manual(account=account, order_number=order.number, method="pix",
                                              amount=Decimal(amount), paid_on=order.placed_at.date(),
                                              reference=reference, payer_name="", user=staff)

    assert [record("30.00", "A").status, record("28.80", "B").status, record("0.01", "C").status] == [
        "approved", "approved", "pending"]
    assert Order.objects.get(pk=order.pk).paid_amount == Decimal("58.80")


def test_money_by_hand_for_no_order_waits_for_a_second_person(role_user, account):
    payment = services.payment_record_manual(account=account, order_number=None, method="transfer",
                                             amount=Decimal("500.00"), paid_on=date(2026, 3, 10), reference="TED-1",
                                             payer_name="", user=role_user("finance"))
    assert payment.awaiting_approval and not payment.receivables.exists()
    approved = services.payment_approve(payment=payment, user=role_user("manager"))
    assert [r.gross for r in approved.receivables.all()] == [Decimal("500.00")]


@pytest.mark.parametrize("role,url,data", [
    ("staff", "/payments/{payment}/approve/", {}),
    ("staff", "/payments/{payment}/decline/", {}),
    ("staff", "/payments/{payment}/refund/", {"amount": "1,00", "reason": "defeito"}),
    ("staff", "/orders/{order}/override/", {"reason": LONG_REASON}),
    ("manager", "/payments/new/", {}),
    ("manager", "/payments/{payment}/refund/", {"amount": "1,00", "reason": "defeito"}),
    ("ops", "/payments/new/", {}),
])
def test_each_money_moving_act_is_refused_to_a_role_without_its_permission(client_as, role_user, account, order,
                                                                            role, url, data):
    payment = services.payment_record_manual(account=account, order_number=order.number, method="pix",
                                             amount=Decimal("80.00"), paid_on=order.placed_at.date(), reference="P",
                                             payer_name="", user=role_user("finance", username="fernanda"))
    response = client_as(role).post(url.format(payment=payment.pk, order=order.pk), data)
    assert response.status_code == 403
    assert Payment.objects.get().status == "pending" and Order.objects.get(pk=order.pk).paid_amount == 0


def test_a_payment_by_hand_is_refunded_by_someone_other_than_its_recorder(client_as, role_user, account, order):
    client = client_as("finance")
    register(client, account, order, "58,80")
    payment = Payment.objects.get()
    response = client.post(f"/payments/{payment.pk}/refund/", {"amount": "10,00", "reason": "defeito"}, follow=True)
    assert any("outra pessoa deve estorná-lo" in m for m in messages_of(response))
    payment.refresh_from_db()
    assert payment.refunded == 0 and not payment.refunds.exists()
    services.payment_refund(payment=payment, amount=Decimal("10.00"), reason="defeito",
                            user=role_user("finance", username="fernanda"))
    assert Payment.objects.get(pk=payment.pk).refunded == Decimal("10.00")


def test_the_roles_table_as_granted():
    def holders(codename):
        return set(Group.objects.filter(permissions__codename=codename).values_list("name", flat=True))

    assert holders("register_payment") == {"staff", "finance", "admin"}
    assert holders("approve_payment") == {"finance", "manager", "admin"}
    assert holders("add_refund") == {"finance", "admin"}
    assert holders("override_validation") == {"manager", "admin"}
