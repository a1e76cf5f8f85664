"""Migration 0015: the order events, hold reasons and failed checks written as text before
the timeline kept codes are carried over, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from backoffice.states import events_of
from orders.models import Order
from tests.factories import UserFactory
from tests.migrations import migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BEFORE = [("orders", "0014_inbox_processed_by_task")]
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# (kind, from, to, message) as the services wrote them, in the writer's language.
EVENTS = [
    ("status", "", "new", "Pedido recebido."),
    ("hold", "", "", "Estoque insuficiente — CAM-1: 20 pedidos, 10 disponíveis."),
    ("payment", "", "", "Pagamento de R$ 125,00 pix E2E1"),
    ("status", "new", "awaiting_payment", "Estoque reservado."),
    ("validation", "", "", "O cliente está bloqueado."),
    ("override", "paid", "ready_to_ship", "cliente conhecido (ignorado: O cliente está bloqueado.)"),
    ("status", "ready_to_ship", "cancelled", "cliente desistiu"),
    ("note", "", "", "Ligar antes de entregar."),
]


def test_old_events_and_reasons_become_codes_that_keep_their_text(migrations):
    old = migrations(BEFORE)
    staff = UserFactory(username="ana")
    customer = old.get_model("orders", "Customer").objects.create(kind="person", name="Maria", document="39053344705")
    order = old.get_model("orders", "Order").objects.create(
        number=1, customer=customer, ship_recipient="Maria", ship_cep="01310100", ship_street="Av. Paulista",
        ship_number="1000", ship_district="Bela Vista", ship_city_code="3550308", ship_city_name="São Paulo",
        ship_uf="SP", hold_reason="Estoque insuficiente", validation_failures=["O cliente está bloqueado."])
    OrderEvent = old.get_model("orders", "OrderEvent")
    for kind, source, target, message in EVENTS:
        OrderEvent.objects.create(order=order, kind=kind, from_status=source, to_status=target, message=message,
                                  actor_id=staff.pk)
    OrderEvent.objects.update(created_at=WHEN)

    migrate_to_latest()
    order = Order.objects.get(pk=order.pk)
    legacy = {"code": "order.note", "params": {"text": "O cliente está bloqueado."}}
    assert order.hold == {"code": "order.note", "params": {"text": "Estoque insuficiente"}}
    assert order.validation_failures == [legacy]
    events = list(events_of(order))
    assert [(e.code, e.from_status, e.to_status) for e in events] == [
        ("order.received", "", "new"), ("order.held", "", ""), ("order.payment", "", ""),
        ("order.awaiting_payment", "new", "awaiting_payment"), ("order.validation_failed", "", ""),
        ("order.note", "paid", "ready_to_ship"), ("order.cancelled", "ready_to_ship", "cancelled"),
        ("order.note", "", ""),
    ]
    assert events[4].params == {"failures": [legacy]}
    assert {(e.created_at, e.actor.username) for e in events} == {(WHEN, "ana")}
    with translation.override("en"):
        assert order.hold_reason == "Estoque insuficiente" and order.failed_checks == ["O cliente está bloqueado."]
        assert [e.text for e in events] == [
            "Order received.", "On hold: Estoque insuficiente — CAM-1: 20 pedidos, 10 disponíveis.",
            "Pagamento de R$ 125,00 pix E2E1", "Stock reserved.", "Failed checks: O cliente está bloqueado.",
            "cliente conhecido (ignorado: O cliente está bloqueado.)", "cliente desistiu", "Ligar antes de entregar."]
