"""The order pipeline, from receipt to delivery, with stock reserved, consumed or released."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from backoffice.models import AuditEvent
from inventory import services as inventory
from inventory.models import Movement, StockLevel, Warehouse
from orders import services
from orders.models import Order, Status
from orders.services import ItemInput
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt(db):
    product = ProductFactory(sku="CAM-1", price=Decimal("59.90"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=10,
                            unit_cost=Decimal("20"), user=None)
    return product


def place(customer, address, product, quantity=2, **kwargs):
    order, _ = services.order_create(
        customer=customer, address=address, channel=kwargs.pop("channel", "manual"),
        items=[ItemInput(product, quantity, Decimal("59.90"), Decimal("9.80"))], shipping=Decimal("15.00"), **kwargs
    )
    return order


def test_an_order_computes_its_totals_reserves_stock_and_waits_for_payment(customer, address, shirt, role_user):
    order = place(customer, address, shirt, user=role_user("staff"))
    assert (order.items_total, order.discount_total, order.shipping_total, order.total) == (
        Decimal("119.80"), Decimal("9.80"), Decimal("15.00"), Decimal("125.00"))
    assert order.status == Status.AWAITING_PAYMENT
    assert order.ship_city_name == "São Paulo" and order.ship_uf == "SP"
    assert StockLevel.objects.get(product=shirt).reserved == 2
    assert [(e.code, e.to_status) for e in order.events.all()] == [("order.received", "new"),
                                                                   ("order.awaiting_payment", "awaiting_payment")]


def test_order_numbers_are_sequential(customer, address, shirt):
    first, second = place(customer, address, shirt, 1), place(customer, address, shirt, 1)
    assert second.number == first.number + 1


def test_an_order_without_stock_is_held_and_retried_later(customer, address, shirt, role_user):
    order = place(customer, address, shirt, quantity=20)
    assert order.status == Status.NEW and order.hold == {"code": "inventory.short", "params": {"detail": [
        {"code": "inventory.shortage", "params": {"sku": "CAM-1", "requested": 20, "available": 10}}]}}
    assert order.hold_reason == "Estoque insuficiente — CAM-1: 20 pedidos, 10 disponíveis."
    assert order.events.last().params == {"reason": order.hold}
    inventory.stock_receive(product=shirt, warehouse=Warehouse.objects.get(code="principal"), quantity=10,
                            unit_cost=Decimal("20"), user=None)
    order = services.order_retry_reservation(order=order, user=role_user("staff"))
    assert order.status == Status.AWAITING_PAYMENT and order.hold == {} and order.hold_reason == ""


def test_the_same_external_order_received_twice_lands_once(customer, address, shirt):
    first = place(customer, address, shirt, channel="web", external_id="LOJA-1001")
    again, created = services.order_create(customer=customer, address=address, channel="web", external_id="LOJA-1001",
                                           items=[ItemInput(shirt, 1, Decimal("1"))])
    assert (again, created) == (first, False)
    assert Order.objects.count() == 1 and StockLevel.objects.get(product=shirt).reserved == 2


def test_full_payment_validates_and_releases_for_shipping_then_shipping_consumes_stock(customer, address, shirt,
                                                                                      role_user):
    staff = role_user("staff")
    order = place(customer, address, shirt)
    order = services.order_confirm_payment(order=order, amount=Decimal("100.00"), reference="pix E2E1")
    assert order.status == Status.AWAITING_PAYMENT  # not paid in full yet
    order = services.order_confirm_payment(order=order, amount=Decimal("25.00"), reference="pix E2E2")
    assert order.status == Status.READY_TO_SHIP
    services.order_invoice(order=order, user=staff)
    services.order_ship(order=order, user=staff)
    level = StockLevel.objects.get(product=shirt)
    assert (level.on_hand, level.reserved) == (8, 0)
    assert Movement.objects.get(kind="sale").reference == order.reference
    services.order_deliver(order=order)
    services.order_close(order=order, user=staff)
    order.refresh_from_db()
    assert order.status == Status.CLOSED
    assert [e.to_status for e in order.events.exclude(to_status="")] == [
        "new", "awaiting_payment", "paid", "ready_to_ship", "invoiced", "shipped", "delivered", "closed"]


def test_a_failed_check_parks_the_order_in_the_validation_queue_until_fixed_or_overridden(customer, address, shirt,
                                                                                          role_user):
    customer.blocked = True
    customer.save()
    order = place(customer, address, shirt)
    order = services.order_confirm_payment(order=order, amount=Decimal("125.00"))
    assert order.status == Status.PAID and order.in_validation_queue
    assert order.validation_failures == [{"code": "order.check.blocked", "params": {}}]
    assert order.failed_checks == ["O cliente está bloqueado."]
    with pytest.raises(services.OrderError):
        services.order_override_validation(order=order, user=role_user("manager"), reason=" ")
    order = services.order_override_validation(order=order, user=role_user("manager", username="ana"),
                                               reason="cliente conhecido da loja")
    assert order.status == Status.READY_TO_SHIP
    override = order.events.last()
    assert (override.code, override.params) == ("order.ready_to_ship", {
        "reason": "cliente conhecido da loja", "failed": [{"code": "order.check.blocked", "params": {}}]})
    assert override.actor.username == "ana"
    assert override.text == "cliente conhecido da loja (ignorado: O cliente está bloqueado.)"
    assert AuditEvent.objects.filter(action="order.ready_to_ship", actor__username="ana").exists()


@pytest.mark.parametrize("reason", ["x", "  cliente ok    ", "a" * 14 + "\n\t "])
def test_an_override_needs_a_reason_of_at_least_15_characters(customer, address, shirt, role_user, reason):
    customer.blocked = True
    customer.save()
    order = services.order_confirm_payment(order=place(customer, address, shirt), amount=Decimal("125.00"))
    with pytest.raises(services.OrderError, match="pelo menos 15 caracteres"):
        services.order_override_validation(order=order, user=role_user("manager"), reason=reason)
    assert Order.objects.get(pk=order.pk).status == Status.PAID


def test_who_put_a_payment_on_an_order_cannot_override_its_checks(customer, address, shirt, role_user):
    admin = role_user("admin")
    order = services.order_confirm_payment(order=place(customer, address, shirt), amount=Decimal("200.00"), user=admin)
    assert order.in_validation_queue  # paid more than the total
    with pytest.raises(services.OrderError, match="Você registrou um pagamento deste pedido"):
        services.order_override_validation(order=order, user=admin, reason="pagamento a maior conferido")
    order = services.order_override_validation(order=order, user=role_user("manager"),
                                               reason="pagamento a maior conferido")
    assert order.status == Status.READY_TO_SHIP


def test_overriding_is_for_managers_and_admins_not_staff():
    from django.contrib.auth.models import Group

    holders = set(Group.objects.filter(permissions__codename="override_validation").values_list("name", flat=True))
    assert holders == {"manager", "admin"}


@pytest.mark.parametrize("change,message", [
    ({"ship_cep": "20040002"}, "não é de SP"),
    ({"ship_city_code": "3304557"}, "não fica em SP"),
    ({"ship_street": " "}, "endereço de entrega está incompleto"),
])
def test_each_address_check_names_what_is_wrong(customer, address, shirt, change, message):
    order = place(customer, address, shirt)
    Order.objects.filter(pk=order.pk).update(**change)
    order = services.order_confirm_payment(order=Order.objects.get(pk=order.pk), amount=Decimal("125.00"))
    assert order.status == Status.PAID
    assert any(message in failure for failure in order.failed_checks), order.failed_checks


def test_an_invalid_document_fails_validation(customer, address, shirt):
    customer.document = "39053344700"
    customer.save()
    order = services.order_confirm_payment(order=place(customer, address, shirt), amount=Decimal("125.00"))
    assert order.validation_failures == [{"code": "order.check.document", "params": {
        "error": {"code": "order.document.invalid", "params": {"label": "CPF"}}}}]
    assert order.failed_checks == ["Documento do cliente: CPF inválido: confira os dígitos."]


def test_cancelling_releases_the_reserved_stock(customer, address, shirt, role_user):
    order = place(customer, address, shirt)
    with pytest.raises(services.OrderError):
        services.order_cancel(order=order, user=role_user("staff"), reason="")
    services.order_cancel(order=order, user=role_user("staff", username="ana"), reason="cliente desistiu")
    level = StockLevel.objects.get(product=shirt)
    assert (level.reserved, level.available) == (0, 10)
    cancelled = Order.objects.get(pk=order.pk).events.last()
    assert (cancelled.code, cancelled.params, cancelled.text) == ("order.cancelled", {"text": "cliente desistiu"},
                                                                  "cliente desistiu")


ACTIONS = {
    Status.PAID: lambda order, user: services.order_confirm_payment(order=order, amount=order.total),
    Status.INVOICED: lambda order, user: services.order_invoice(order=order, user=user),
    Status.SHIPPED: lambda order, user: services.order_ship(order=order, user=user),
    Status.DELIVERED: lambda order, user: services.order_deliver(order=order, user=user),
    Status.CLOSED: lambda order, user: services.order_close(order=order, user=user),
    Status.CANCELLED: lambda order, user: services.order_cancel(order=order, user=user, reason="x"),
    Status.RETURNED: lambda order, user: services.order_return(order=order, user=user, reason="x"),
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("target", list(ACTIONS))
def test_only_the_pipeline_transitions_are_allowed(customer, address, shirt, role_user, status, target):
    order = place(customer, address, shirt)
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    if (status, target) == (Status.NEW, Status.PAID):
        # A payment for an order still waiting for stock is kept; the order waits on.
        ACTIONS[target](order, role_user("staff"))
        assert Order.objects.get(pk=order.pk).status == Status.NEW
    elif Order.states.allows(status, target):
        ACTIONS[target](order, role_user("staff"))
        assert Order.objects.get(pk=order.pk).status in (target, Status.READY_TO_SHIP)
    else:
        with pytest.raises(services.OrderError), transaction.atomic():
            ACTIONS[target](order, role_user("staff"))
        assert Order.objects.get(pk=order.pk).status == status


def test_the_database_refuses_totals_that_do_not_add_up(customer, address, shirt):
    order = place(customer, address, shirt)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(total=Decimal("1.00"))


def test_merging_customers_moves_their_orders_and_addresses(customer, address, shirt, role_user):
    from orders.models import Customer

    twin = Customer.objects.create(kind="person", name="Maria S.", document="39053344705", email="maria@example.com")
    order = place(twin, address, shirt)
    services.customer_merge(keep=customer, merge=twin, user=role_user("staff"))
    twin.refresh_from_db()
    assert twin.merged_into == customer
    assert Order.objects.get(pk=order.pk).customer == customer
    with pytest.raises(services.OrderError):
        services.customer_merge(keep=customer, merge=twin, user=None)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("Infinity"), Decimal("1e20")])
def test_impossible_payments_are_refused(customer, address, shirt, amount):
    order = place(customer, address, shirt)
    with pytest.raises(services.OrderError):
        services.order_confirm_payment(order=order, amount=amount)
    assert Order.objects.get(pk=order.pk).paid_amount == 0


def test_a_cancelled_order_takes_no_payment(customer, address, shirt, role_user):
    order = place(customer, address, shirt)
    services.order_cancel(order=order, user=role_user("staff"), reason="desistiu")
    with pytest.raises(services.OrderError, match="não aceita pagamento"):
        services.order_confirm_payment(order=order, amount=Decimal("125.00"))


def test_an_order_paid_while_it_waited_for_stock_is_validated_once_the_stock_arrives(customer, address, shirt,
                                                                                    role_user):
    order = place(customer, address, shirt, quantity=20)
    services.order_confirm_payment(order=order, amount=order.total)
    assert Order.objects.get(pk=order.pk).status == Status.NEW
    inventory.stock_receive(product=shirt, warehouse=Warehouse.objects.get(code="principal"), quantity=20,
                            unit_cost=Decimal("20"), user=None)
    order = services.order_retry_reservation(order=order, user=role_user("staff"))
    assert order.status == Status.READY_TO_SHIP


def test_an_order_too_large_for_the_books_is_refused(customer, address, shirt):
    with pytest.raises(services.OrderError, match="grande demais"):
        services.order_create(customer=customer, address=address, channel="manual",
                              items=[ItemInput(shirt, 3, Decimal("999999999999.99"))])


def test_merging_a_blocked_customer_keeps_the_block(customer, role_user):
    from orders.models import Customer

    blocked = Customer.objects.create(kind="person", name="M.", document="39053344705", blocked=True)
    services.customer_merge(keep=customer, merge=blocked, user=role_user("staff"))
    customer.refresh_from_db()
    assert customer.blocked
