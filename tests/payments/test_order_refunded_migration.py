"""Payments 0014: each order's refunded amount, new in orders 0017, from what the payments credited
to it had given back before."""

from decimal import Decimal

import pytest

BEFORE = [("orders", "0016_remove_order_event"), ("payments", "0013_encrypted_credentials")]
AFTER = [("payments", "0014_orders_refunded_amount_from_payments")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_order_gets_the_refunds_of_the_payments_credited_to_it(migrations):
    apps = migrations(BEFORE)
    Customer, Order = apps.get_model("orders", "Customer"), apps.get_model("orders", "Order")
    ProviderAccount, Payment = apps.get_model("payments", "ProviderAccount"), apps.get_model("payments", "Payment")
    customer = Customer.objects.create(kind="person", name="Maria da Silva", document="39053344705")
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja", credentials={})

    def order(number, paid):
        return Order.objects.create(number=number, customer=customer, items_total=paid, total=paid, paid_amount=paid)

    def payment(key, order, gross, refunded, credited=True):
        Payment.objects.create(account=account, provider="manual", provider_payment_id=key, order=order, method="pix",
                               gross=gross, net=gross, refunded=refunded, status="partially_refunded",
                               credited_to_order=credited)

    two_payments, refused, untouched = order(1, Decimal("100.00")), order(2, Decimal("0.00")), order(3, Decimal("9"))
    payment("a", two_payments, Decimal("60.00"), Decimal("10.00"))
    payment("b", two_payments, Decimal("40.00"), Decimal("5.50"))
    payment("c", refused, Decimal("30.00"), Decimal("30.00"), credited=False)  # never counted on its order
    payment("d", untouched, Decimal("9.00"), Decimal("0.00"))

    Order = migrations(AFTER).get_model("orders", "Order")
    assert list(Order.objects.order_by("number").values_list("number", "refunded_amount")) == [
        (1, Decimal("15.50")), (2, Decimal("0.00")), (3, Decimal("0.00"))]
