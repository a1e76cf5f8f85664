"""After delivery the customer gets one e-mail with a signed link, answers once, and staff see the NPS."""

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail, signing
from django.utils import timezone

from inventory import services as inventory
from inventory.models import Warehouse
from orders import services
from orders.models import SurveyAnswer
from orders.survey import survey_token
from orders.tasks import send_survey
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(customer, address, role_user, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://loja.example.com"
    product = ProductFactory(price=Decimal("50"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    order, _ = services.order_create(customer=customer, address=address, channel="web",
                                     items=[services.ItemInput(product, 1, Decimal("50"))])
    staff = role_user("staff")
    services.order_confirm_payment(order=order, amount=Decimal("50"))
    services.order_invoice(order=order, user=staff)
    services.order_ship(order=order, user=staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.order_deliver(order=order, user=staff)
    assert len(callbacks) == 1  # the survey is queued after commit
    order.refresh_from_db()
    return order


def link_in(message):
    return re.search(r"https://loja\.example\.com(/orders/survey/\S+/)", message.body).group(1)


def test_delivery_sends_one_survey_email_even_if_the_task_runs_twice(delivered):
    send_survey.apply(args=[delivered.pk])
    send_survey.apply(args=[delivered.pk])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@example.com"]
    assert f"#{delivered.number}" in mail.outbox[0].subject
    delivered.refresh_from_db()
    assert delivered.survey_sent_at is not None


def test_the_customer_answers_once_without_logging_in(client, delivered):
    send_survey.apply(args=[delivered.pk])
    url = link_in(mail.outbox[0])
    page = client.get(url)
    assert page.status_code == 200 and "recomendar" in page.content.decode()
    assert "Maria" not in page.content.decode()  # the page reveals nothing but the order number
    client.post(url, {"score": "9", "comment": "Chegou rápido"})
    answer = SurveyAnswer.objects.get()
    assert (answer.order, answer.score, answer.comment) == (delivered, 9, "Chegou rápido")
    again = client.post(url, {"score": "0"})
    assert "já foi respondida" in again.content.decode()
    assert SurveyAnswer.objects.get().score == 9


def test_a_bad_score_is_refused(client, delivered):
    response = client.post(f"/orders/survey/{survey_token(delivered)}/", {"score": "11"})
    assert "Faça uma escolha válida" in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_a_tampered_or_expired_link_gets_a_clear_page(client, delivered):
    token = survey_token(delivered)
    tampered = client.get(f"/orders/survey/{token[:-2]}xx/")
    assert tampered.status_code == 400 and "não é válido" in tampered.content.decode()
    other_order = signing.TimestampSigner(salt="something else").sign(str(delivered.pk))
    assert client.get(f"/orders/survey/{other_order}/").status_code == 400
    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() + 31 * 86400):
        expired = client.get(f"/orders/survey/{token}/")
    assert expired.status_code == 410 and "expirou" in expired.content.decode()


def test_staff_see_the_nps_by_channel(client_as, delivered):
    SurveyAnswer.objects.create(order=delivered, score=10)
    page = client_as("manager").get("/orders/survey/answers/")
    assert page.context["nps"] == {"total": 1, "promoters": 1, "detractors": 0, "score": 100}
    assert [(r["channel"], r["score"]) for r in page.context["by_channel"]] == [("loja virtual", 100)]


def test_a_signed_link_for_an_order_never_delivered_is_refused(client, customer, address):
    product = ProductFactory(price=Decimal("50"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    order, _ = services.order_create(customer=customer, address=address, channel="web",
                                     items=[services.ItemInput(product, 1, Decimal("50"))])
    url = f"/orders/survey/{survey_token(order)}/"  # validly signed, but no survey is sent before delivery
    page = client.get(url)
    assert page.status_code == 400 and "não é válido" in page.content.decode()
    assert client.post(url, {"score": "0"}).status_code == 400
    with pytest.raises(services.OrderError, match="não foi entregue"):
        services.survey_answer(order=order, score=0)
    assert not SurveyAnswer.objects.exists()
