"""`seed_demo` fills the order pipeline: valid customers and addresses, orders from every
channel in every state, totals that add up, stock books that still balance — each step of
each order dated when it happened, and nothing queued for that history."""

import io
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import TestCase
from django.utils import timezone

from backoffice.models import AuditEvent
from backoffice.states import events_of
from inventory.models import Movement, Reservation
from inventory.selectors import ledger_drift
from orders.models import Address, Customer, Order, OrderItem, Status, SurveyAnswer
from orders.selectors import nps_by_month, survey_answers
from orders.validators import clean_document, uf_of_cep

pytestmark = pytest.mark.django_db

ORDERS = 120


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo store with 120 orders, seeded once for this module inside a transaction
    that is rolled back at its end (each test still runs in its own savepoint); with what
    the seeding left to run after its commit (tasks, e-mails)."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        with TestCase.captureOnCommitCallbacks() as after_commit:
            call_command("seed_demo", "--orders", str(ORDERS), stdout=out)
        yield SimpleNamespace(out=out.getvalue(), after_commit=after_commit, at=timezone.now())
        transaction.set_rollback(True)


def test_it_creates_the_orders_asked_for_held_ones_included(seeded):
    assert Order.objects.count() == ORDERS
    held = Order.objects.filter(status=Status.NEW)
    assert all(order.hold_reason for order in held)
    assert held.count() <= ORDERS // 10
    assert "orders.demo.seed_orders" in seeded.out and "survey answers" in seeded.out


def test_the_orders_come_from_several_channels_and_ship_to_several_states(seeded):
    channels = set(Order.objects.values_list("channel", flat=True))
    assert len(channels) >= 4 and "web" in channels
    assert len(set(Order.objects.values_list("ship_uf", flat=True))) >= 6
    for order in Order.objects.exclude(channel__in=["manual", "phone"]):
        assert order.external_id == f"DEMO-{order.channel}-{order.external_id.rsplit('-', 1)[1]}"


def test_the_orders_are_spread_over_the_last_ninety_days_and_numbered_in_order(seeded):
    placed = list(Order.objects.order_by("number").values_list("placed_at", flat=True))
    assert placed == sorted(placed)
    assert (placed[-1] - placed[0]).days >= 30
    assert (placed[-1] - placed[0]).days <= 90


def test_the_orders_are_found_in_every_stage_of_the_pipeline(seeded):
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {Status.DELIVERED, Status.CLOSED, Status.CANCELLED, Status.AWAITING_PAYMENT, Status.READY_TO_SHIP,
            Status.INVOICED, Status.SHIPPED} <= statuses
    assert any(order.in_validation_queue for order in Order.objects.filter(status=Status.PAID))
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("pk")))
    # Most orders are done; the open ones are a minority.
    assert by_status[Status.DELIVERED] + by_status[Status.CLOSED] > ORDERS // 2


def test_every_customer_document_is_valid(seeded):
    customers = list(Customer.objects.all())
    assert len(customers) >= 50
    kinds = {customer.kind for customer in customers}
    assert kinds == {Customer.Kind.PERSON, Customer.Kind.COMPANY}
    for customer in customers:
        try:
            assert clean_document(customer.document, customer.kind) == (customer.kind, customer.document)
        except ValidationError:  # pragma: no cover - the message names the customer
            pytest.fail(f"{customer.name}: invalid document {customer.document}")
        if customer.kind == Customer.Kind.COMPANY:
            assert customer.state_registration == "ISENTO" or customer.state_registration.isdigit()


def test_every_address_cep_belongs_to_its_city_state(seeded):
    addresses = list(Address.objects.select_related("city"))
    assert len(addresses) >= Customer.objects.count()
    assert all(Address.objects.filter(customer=c, is_default=True).count() == 1 for c in Customer.objects.all())
    for address in addresses:
        assert len(address.cep) == 8 and address.cep.isdigit()
        assert uf_of_cep(address.cep) == address.city.uf, str(address)
    for order in Order.objects.all():
        assert uf_of_cep(order.ship_cep) == order.ship_uf


def test_the_totals_add_up(seeded):
    for order in Order.objects.prefetch_related("items"):
        items = list(order.items.all())
        assert 1 <= len(items) <= 3
        for item in items:
            assert 1 <= item.quantity <= 2
            assert item.unit_price == item.product.price
            assert item.total == item.quantity * item.unit_price - item.discount
        assert order.items_total == sum(item.quantity * item.unit_price for item in items)
        assert order.discount_total == sum(item.discount for item in items)
        assert Decimal("0") <= order.shipping_total <= Decimal("30")
        assert order.total == order.items_total - order.discount_total + order.shipping_total
    shipped = Order.objects.filter(status__in=[Status.INVOICED, Status.SHIPPED, Status.DELIVERED, Status.CLOSED])
    assert all(order.paid_amount >= order.total for order in shipped)
    assert OrderItem.objects.filter(discount__gt=0).exists()


def test_the_stock_follows_the_orders_and_the_books_balance(seeded):
    assert ledger_drift() == []
    for order in Order.objects.filter(status__in=[Status.AWAITING_PAYMENT, Status.READY_TO_SHIP, Status.INVOICED]):
        assert Reservation.objects.filter(reference=order.reference, status="active").exists()
    for order in Order.objects.filter(status__in=[Status.SHIPPED, Status.DELIVERED, Status.CLOSED]):
        assert Reservation.objects.filter(reference=order.reference, status="consumed").exists()
    for order in Order.objects.filter(status=Status.CANCELLED):
        assert not Reservation.objects.filter(reference=order.reference, status="active").exists()


def test_some_delivered_orders_have_a_survey_answer(seeded):
    answers = list(SurveyAnswer.objects.select_related("order"))
    assert len(answers) >= 5
    assert all(answer.order.status in (Status.DELIVERED, Status.CLOSED) for answer in answers)
    assert all(0 <= answer.score <= 10 for answer in answers)
    promoters = sum(answer.score >= 9 for answer in answers)
    assert promoters > len(answers) / 3


def test_a_second_run_creates_no_orders_or_customers(seeded):
    counts = (Order.objects.count(), Customer.objects.count(), Address.objects.count(), SurveyAnswer.objects.count())
    out = io.StringIO()
    call_command("seed_demo", "--orders", str(ORDERS), stdout=out)
    assert "orders already there" in out.getvalue()
    assert (Order.objects.count(), Customer.objects.count(), Address.objects.count(),
            SurveyAnswer.objects.count()) == counts


def test_each_step_of_an_order_is_dated_when_it_happened_from_its_placing_on(seeded):
    """Its timeline, its audit lines and its stock movements: not the moment of seeding."""
    for order in Order.objects.all():
        events = list(events_of(order))
        assert events[0].code == "order.received"
        assert timedelta(0) <= events[0].created_at - order.placed_at < timedelta(seconds=5)
        assert [e.pk for e in events] == sorted(e.pk for e in events), "written in the order they happened"
        assert all(e.created_at < seeded.at - timedelta(seconds=30) for e in events)
        audited = AuditEvent.objects.filter(action="order.received", object_id=str(order.pk)).get()
        assert abs(audited.created_at - events[0].created_at) < timedelta(seconds=5)
        shipped = [e for e in events if e.code == "order.shipped"]
        for sale in Movement.objects.filter(reference=order.reference, kind=Movement.Kind.SALE):
            assert abs(sale.created_at - shipped[0].created_at) < timedelta(seconds=5)
    steps = {code: at for code, at in events_of(Order.objects.filter(status=Status.CLOSED).first())
             .values_list("code", "created_at")}
    assert steps["order.received"] < steps["order.paid"] <= steps["order.invoiced"] < steps["order.shipped"] \
        < steps["order.delivered"] < steps["order.closed"]


def test_the_timelines_and_the_survey_answers_span_the_months_of_the_orders(seeded):
    months = {timezone.localtime(e.created_at).strftime("%Y-%m") for order in Order.objects.all()
              for e in events_of(order)}
    assert len(months) >= 3
    by_month = nps_by_month(survey_answers())
    assert len(by_month) >= 2 and all(row["total"] for row in by_month)
    for answer in SurveyAnswer.objects.select_related("order"):
        delivered = answer.order.events.get(code="order.delivered").created_at
        assert delivered < answer.answered_at < seeded.at


def test_seeding_the_history_queues_no_survey_email_nor_any_task(seeded):
    assert Order.objects.filter(status=Status.DELIVERED).exists()
    assert seeded.after_commit == []
    assert not Order.objects.filter(survey_sent_at__isnull=False).exists()
