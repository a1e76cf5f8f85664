"""Goals: progress, pace with the weekdays' pattern, status, the screens, and the weekly digest."""

import json
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import goals, rollups, services
from analytics.models import Goal
from analytics.rollups import SAO_PAULO
from backoffice.models import AuditEvent
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from tests.analytics.support import place
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db



@pytest.fixture
def history(customer, address, shirt):
    """Four weeks and today of sales: R$ 300 on Mondays, R$ 100 on the other days."""
    today = timezone.localdate()
    for offset in range(28, -1, -1):
        day = today - timedelta(days=offset)
        at = min(datetime.combine(day, time(0, 30), tzinfo=SAO_PAULO), timezone.now())
        orders.order_create(customer=customer, address=address, channel="web", placed_at=at,
                            items=[orders.ItemInput(shirt, 3 if day.weekday() == 0 else 1, shirt.price)])
    rollups.refresh()
    return today


def goal(**fields) -> Goal:
    today = timezone.localdate()
    return Goal.objects.create(**{"metric": "orders.gmv", "kind": "custom", "start": today - timedelta(days=6),
                                  "end": today + timedelta(days=7), "target": Decimal("1000"), **fields})


def test_the_pace_adds_each_day_left_at_its_weekdays_usual(history):
    # Any seven days in a row hold one Monday: R$ 900 in the goal's first seven days (today included),
    # R$ 900 expected in the seven left, today having sold its usual already.
    [row] = goals.progress([goal(target=Decimal("2000"))])
    assert (row.actual, row.projected, row.status) == (Decimal("900"), Decimal("1800"), goals.AT_RISK)
    assert (row.actual_shown, row.projected_shown, row.target_shown) == ("R$\xa0900,00", "R$\xa01.800,00",
                                                                         "R$\xa02.000,00")
    assert row.bar == 45
    [enough] = goals.progress([goal(target=Decimal("1800"))])
    assert enough.status == goals.ON_TRACK


def test_a_share_ends_where_it_stands_and_a_ceiling_passed_is_missed(history):
    [rate] = goals.progress([goal(metric="orders.cancellation_rate", direction="at_most", target=Decimal("5"))])
    assert rate.actual == 0 and rate.projected == 0 and rate.status == goals.ON_TRACK
    [ceiling] = goals.progress([goal(metric="orders.sold", direction="at_most", target=Decimal("3"))])
    assert ceiling.actual > 3 and ceiling.status == goals.MISSED


def test_ended_and_upcoming_goals(history):
    today = history
    ended = goal(start=today - timedelta(days=20), end=today - timedelta(days=14), target=Decimal("900"))
    failed = goal(start=today - timedelta(days=20), end=today - timedelta(days=14), target=Decimal("901"))
    later = goal(start=today + timedelta(days=1), end=today + timedelta(days=30))
    rows = {row.goal.pk: row for row in goals.progress([ended, failed, later])}
    assert (rows[ended.pk].status, rows[failed.pk].status) == (goals.MET, goals.MISSED)
    assert rows[later.pk].status == goals.UPCOMING and rows[later.pk].actual is None


def test_a_goal_for_one_channel_counts_that_channel_only(history, customer, address, shirt):
    orders.order_create(customer=customer, address=address, channel="shopee",
                        items=[orders.ItemInput(shirt, 5, shirt.price)])
    rollups.refresh()
    [shopee] = goals.progress([goal(dimension="channel", dimension_value="shopee")])
    assert shopee.actual == Decimal("500")


def test_managers_set_a_monthly_goal_typed_the_brazilian_way(client_as, history):
    client = client_as("manager")
    response = client.post("/analytics/goals/new/", {"metric": "orders.gmv", "direction": "at_least",
                                                     "target": "12.345,67", "kind": "month", "scope": "uf:SP"})
    created = Goal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analytics/goals/{created.pk}/"
    today = timezone.localdate()
    assert (created.target, created.start, created.end.month) == (Decimal("12345.67"), today.replace(day=1),
                                                                  today.month)
    assert (created.dimension, created.dimension_value) == ("uf", "SP")
    assert AuditEvent.objects.filter(action="goal.saved").count() == 1
    page = client.get(f"/analytics/goals/{created.pk}/").content.decode()
    assert "R$\xa012.345,67" in page and 'data-testid="status"' in page
    data = json.loads(re.search(r'id="chart-data-goal" type="application/json">(.*?)</script>', page).group(1))
    assert data["annotations"]["target"]["yMin"] == 12345.67


def test_the_goal_form_says_what_is_wrong(client_as):
    client = client_as("manager")
    response = client.post("/analytics/goals/new/", {"metric": "payments.cash_net", "direction": "at_least",
                                                     "target": "100", "kind": "custom", "scope": "channel:web"})
    form = response.context["form"]
    assert set(form.errors) == {"start", "scope"} and not Goal.objects.exists()
    response = client.post("/analytics/goals/new/", {"metric": "nonsense", "direction": "at_least", "target": "-1",
                                                     "kind": "month"})
    assert {"metric", "target"} <= set(response.context["form"].errors)


def test_a_goal_is_deleted_after_a_confirmation(client_as, history):
    doomed = goal()
    client = client_as("manager")
    assert "Excluir a meta" in client.get(f"/analytics/goals/{doomed.pk}/delete/").content.decode()
    assert Goal.objects.exists()
    assert client.post(f"/analytics/goals/{doomed.pk}/delete/").status_code == 302
    assert not Goal.objects.exists() and AuditEvent.objects.filter(action="goal.deleted").exists()


def test_only_managers_see_and_set_goals(client_as, history):
    kept = goal()
    for role in ("staff", "finance", "ops"):
        client = client_as(role)
        assert client.get("/analytics/goals/").status_code == 403
        assert client.post("/analytics/goals/new/", {}).status_code == 403
        assert client.post(f"/analytics/goals/{kept.pk}/delete/").status_code == 403
    assert Goal.objects.filter(pk=kept.pk).exists()


def test_the_dashboard_shows_the_goals_and_their_line(client_as, history):
    kept = goal(target=Decimal("1400"))
    page = client_as("manager").get("/analytics/", {"period": "7d"}).content.decode()
    assert f'data-goal="{kept.pk}"' in page
    data = json.loads(re.search(r'id="chart-data-sales" type="application/json">(.*?)</script>', page).group(1))
    assert data["annotations"][f"goal-{kept.pk}"]["yMin"] == 100.0  # R$ 1.400 over 14 days


def test_the_goal_list_costs_the_same_queries_for_more_goals(client_as, history):
    client = client_as("manager")
    goal()
    client.get("/analytics/goals/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/analytics/goals/").status_code == 200
        return len(captured)

    one = queries()
    for n in range(6):
        goal(target=Decimal(100 + n), metric=["orders.gmv", "orders.sold"][n % 2])
    assert queries() == one + 1  # the second metric's figures: one query more, whatever the goals


def test_the_weekly_digest_goes_once_to_the_managers(history, role_user):
    manager = role_user("manager")
    manager.email = "gerente@example.com"
    manager.save()
    staff = role_user("staff")
    staff.email = "estoque@example.com"
    staff.save()
    goal(name="Vendas da quinzena", target=Decimal("99999"))
    assert services.goals_digest_send() == 1
    assert services.goals_digest_send() == 0
    [message] = mail.outbox
    assert message.to == ["gerente@example.com"]
    assert "Vendas da quinzena" in message.body and "em risco" in message.body
