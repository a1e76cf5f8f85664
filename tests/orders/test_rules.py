"""The order rules written once (orders.validators, orders.models) and used by the forms,
the intake, the validation queue, the payments and the NPS page."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders.models import TAKES_PAYMENT, Order, Status, SurveyAnswer
from orders.selectors import nps
from orders.validators import cep_in_uf, clean_state_registration, document_kind


@pytest.mark.parametrize("cep, uf, inside", [
    ("01310100", "SP", True), ("20040002", "SP", False), ("70040010", "DF", True), ("72850000", "DF", False),
    ("72850000", "GO", True), ("73000000", "DF", True), ("69300000", "AM", False), ("69400000", "AM", True),
])
def test_a_cep_is_inside_a_uf_by_the_correios_ranges(cep, uf, inside):
    assert cep_in_uf(cep, uf) is inside


@pytest.mark.parametrize("document, kind", [("12345678909", "person"), ("11222333000181", "company"),
                                            ("12ABC34501DE35", "company")])
def test_eleven_characters_are_a_person_and_fourteen_a_company(document, kind):
    assert document_kind(document) == kind


def test_a_company_needs_its_ie_or_isento_and_a_person_does_not():
    with pytest.raises(ValidationError) as refused:
        clean_state_registration("  ", "company")
    assert refused.value.code == "required"
    assert clean_state_registration(" isento ", "company") == "ISENTO"
    assert clean_state_registration("", "person") == ""


def test_only_a_new_or_awaiting_order_takes_a_payment_and_waits_for_what_is_left():
    assert TAKES_PAYMENT == {Status.NEW, Status.AWAITING_PAYMENT}
    for status in Status:
        order = Order(status=status, total=Decimal("100.00"), paid_amount=Decimal("30.00"))
        assert order.payment_due == (Decimal("70.00") if status in TAKES_PAYMENT else 0)
    overpaid = Order(status=Status.AWAITING_PAYMENT, total=Decimal("100.00"), paid_amount=Decimal("120.00"))
    assert overpaid.payment_due == 0


def test_only_an_order_with_its_stock_reserved_and_money_due_can_be_paid_by_the_customer():
    for status in Status:
        order = Order(status=status, total=Decimal("100.00"), paid_amount=Decimal("30.00"))
        assert order.payable == (status == Status.AWAITING_PAYMENT)
        assert bool(order.not_payable_yet) == (status == Status.NEW)  # money due, but no stock reserved yet
    held = Order(status=Status.NEW, total=Decimal("100.00"),
                 hold={"code": "order.note", "params": {"text": "Sem estoque"}})
    assert held.payment_due == Decimal("100.00")  # money that arrives is still credited
    assert held.not_payable_yet == "Ele pode ser pago quando seu estoque for reservado. Em espera: Sem estoque"
    paid = Order(status=Status.AWAITING_PAYMENT, total=Decimal("100.00"), paid_amount=Decimal("100.00"))
    assert not paid.payable and paid.not_payable_yet == ""


@pytest.mark.django_db
def test_the_nps_counts_each_answer_in_the_group_it_shows(customer):
    scores = range(11)
    orders = Order.objects.bulk_create([
        Order(number=90000 + score, customer=customer, ship_recipient=customer.name, ship_cep="01310100",
              ship_street="Avenida Paulista", ship_number="1", ship_district="Bela Vista", ship_city_code="3550308",
              ship_city_name="São Paulo", ship_uf="SP") for score in scores])
    SurveyAnswer.objects.bulk_create([SurveyAnswer(order=order, score=score) for order, score in zip(orders, scores)])
    groups = [SurveyAnswer(score=score).group for score in scores]
    assert groups == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    counts = nps(SurveyAnswer.objects.all())
    assert (counts["promoters"], counts["detractors"]) == (groups.count("promoter"), groups.count("detractor"))
