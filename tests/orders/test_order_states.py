"""The order on the state-machine and timeline kit (backoffice.states): a move its machine
refuses, a move repeated, and a timeline — hold reason and failed checks included — kept as
codes and read in the reader's language."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from backoffice.models import AuditEvent
from backoffice.states import TransitionRefused, events_of, transition
from inventory import services as inventory
from inventory.models import Movement, Warehouse
from orders import services
from orders.models import Order, Status
from orders.services import ItemInput
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt(db):
    product = ProductFactory(sku="CAM-1", price=Decimal("59.90"))
    _receive(product, 10)
    return product


def _receive(product, quantity):
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=quantity,
                            unit_cost=Decimal("20"), user=None)


def _place(customer, address, product, quantity=2):
    order, _created = services.order_create(customer=customer, address=address, channel="manual",
                                            items=[ItemInput(product, quantity, Decimal("59.90"), Decimal("9.80"))],
                                            shipping=Decimal("15.00"))
    return order


@pytest.fixture
def delivered(customer, address, shirt, role_user):
    staff = role_user("staff")
    order = services.order_confirm_payment(order=_place(customer, address, shirt), amount=Decimal("125.00"))
    for move in (services.order_invoice, services.order_ship, services.order_deliver):
        order = move(order=order, user=staff)
    return order


def _audit_lines(order):
    return AuditEvent.objects.filter(object_id=str(order.pk)).count()


def test_a_delivered_order_cannot_become_paid_and_the_refusal_changes_and_records_nothing(delivered, role_user):
    events, audit = events_of(delivered).count(), _audit_lines(delivered)
    refused = "não pode passar de “Entregue” para “Pago”"
    with translation.override("pt-br"), pytest.raises(TransitionRefused, match=refused):
        transition(delivered, Status.PAID, changes={"paid_amount": Decimal("1.00")})
    with pytest.raises(services.InvalidTransition):  # through the services, the orders' own refusal
        services.order_invoice(order=delivered, user=role_user("staff"))
    delivered.refresh_from_db()
    assert (delivered.status, delivered.paid_amount) == (Status.DELIVERED, Decimal("125.00"))
    assert (events_of(delivered).count(), _audit_lines(delivered)) == (events, audit)


def test_a_repeated_move_changes_nothing_and_leaves_one_event(customer, address, shirt, role_user):
    staff = role_user("staff")
    order = services.order_confirm_payment(order=_place(customer, address, shirt), amount=Decimal("125.00"))
    services.order_invoice(order=order, user=staff)
    stale = Order.objects.get(pk=order.pk)
    services.order_ship(order=order, user=staff)
    assert transition(stale, Status.SHIPPED) is False  # read before the move: the kit sees it is done
    with pytest.raises(services.InvalidTransition, match="não pode passar a “Enviado”"):  # a person is told
        services.order_ship(order=order, user=staff)
    order.refresh_from_db()
    assert order.status == Status.SHIPPED
    assert [e.code for e in order.events.filter(to_status=Status.SHIPPED)] == ["order.shipped"]
    assert AuditEvent.objects.filter(object_id=str(order.pk), action="order.shipped").count() == 1
    assert Movement.objects.filter(kind="sale", reference=order.reference).count() == 1  # the stock left once


@pytest.fixture
def queued(customer, address, shirt, role_user):
    """An order held for stock, paid (over its total) while it waited, then stocked: it fails
    two checks. Returns it and what it said while it was held."""
    customer.blocked = True
    customer.save()
    order = _place(customer, address, shirt, quantity=20)
    held = Order.objects.get(pk=order.pk)
    services.order_confirm_payment(order=order, amount=Decimal("1234.50"), user=role_user("finance"),
                                   reference="pix E2E1")
    _receive(shirt, 20)
    return services.order_retry_reservation(order=order, user=role_user("staff")), held


EVENTS = {
    "en": [
        ("", "New", "Order received."),
        ("", "", "On hold: Not enough stock — CAM-1: 20 requested, 10 available."),
        ("", "", "Payment of R$\u00a01,234.50 pix E2E1"),
        ("New", "Awaiting payment", "Stock reserved."),
        ("Awaiting payment", "Paid", ""),
        ("", "", "Failed checks: Paid R$\u00a01,234.50, but the order totals R$\u00a01,203.20.; The customer is "
                 "blocked."),
    ],
    "pt-br": [
        ("", "Novo", "Pedido recebido."),
        ("", "", "Retido: Estoque insuficiente — CAM-1: 20 pedidos, 10 disponíveis."),
        ("", "", "Pagamento de R$\u00a01.234,50 pix E2E1"),
        ("Novo", "Aguardando pagamento", "Estoque reservado."),
        ("Aguardando pagamento", "Pago", ""),
        ("", "", "Verificações com falha: Pago R$\u00a01.234,50, mas o pedido soma R$\u00a01.203,20.; O cliente "
                 "está bloqueado."),
    ],
}
HOLD = {"en": "Not enough stock — CAM-1: 20 requested, 10 available.",
        "pt-br": "Estoque insuficiente — CAM-1: 20 pedidos, 10 disponíveis."}
CHECKS = {"en": ["Paid R$\u00a01,234.50, but the order totals R$\u00a01,203.20.", "The customer is blocked."],
          "pt-br": ["Pago R$\u00a01.234,50, mas o pedido soma R$\u00a01.203,20.", "O cliente está bloqueado."]}


def test_the_timeline_keeps_codes_and_parameters_not_text(queued):
    order, held = queued
    assert held.hold == {"code": "inventory.short", "params": {"detail": [
        {"code": "inventory.shortage", "params": {"sku": "CAM-1", "requested": 20, "available": 10}}]}}
    assert order.validation_failures == [
        {"code": "order.check.paid", "params": {"paid": "1234.50", "total": "1203.20"}},
        {"code": "order.check.blocked", "params": {}},
    ]
    assert [(e.code, e.params) for e in events_of(order)] == [
        ("order.received", {}),
        ("order.held", {"reason": held.hold}),
        ("order.payment", {"amount": "1234.50", "reference": "pix E2E1"}),  # money as a string, formatted when read
        ("order.awaiting_payment", {}),
        ("order.paid", {}),
        ("order.validation_failed", {"failures": order.validation_failures}),
    ]


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_events_hold_reasons_and_failed_checks_are_read_in_the_readers_language(queued, language):
    order, held = queued
    with translation.override(language):
        assert [(e.from_label, e.to_label, e.text) for e in events_of(order)] == EVENTS[language]
        assert held.hold_reason == HOLD[language]
        assert order.failed_checks == CHECKS[language]


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_the_order_page_shows_them_in_the_readers_language(queued, client_as, language):
    order, held = queued
    client = client_as("staff")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert all(check in page for check in CHECKS[language])
    assert EVENTS[language][1][2] in page and EVENTS[language][2][2] in page  # the hold and the payment
    Order.objects.filter(pk=order.pk).update(status=Status.NEW, hold=held.hold)
    assert HOLD[language] in client.get(f"/orders/{order.pk}/").content.decode()
