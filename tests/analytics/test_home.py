"""The managers' line on the home page: today's orders, linked to the order list of today, with
today's sales against yesterday's by this hour and against the store's sales goal."""

import html
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import rollups
from analytics.models import Goal
from analytics.rollups import SAO_PAULO
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
CARD = re.compile(r'<a class="card[^"]*work-card[^"]*" href="([^"]+)" data-count="(\d+)">(.*?)</a>', re.S)


def test_managers_see_todays_orders_and_sales_against_yesterday_and_the_goal(client_as, customer, address):
    shirt = ProductFactory(price=Decimal("80.00"))
    inventory.stock_receive(product=shirt, warehouse=Warehouse.objects.get(code="principal"), quantity=50,
                            unit_cost=Decimal("30"), user=None)
    now = timezone.localtime()
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    for at, quantity in [(now, 2), (now, 1),
                         (datetime.combine(yesterday, time(0), tzinfo=SAO_PAULO), 1),  # before this hour
                         (datetime.combine(yesterday, time(23, 59), tzinfo=SAO_PAULO), 5)]:  # after it
        orders.order_create(customer=customer, address=address, channel="web", placed_at=min(at, timezone.now()),
                            items=[orders.ItemInput(shirt, quantity, shirt.price)])
    Goal.objects.create(metric="orders.gmv", kind="custom", start=today, end=today + timedelta(days=1),
                        target=Decimal("2400"))
    rollups.refresh()
    client = client_as("manager")
    [(url, count, text)] = [card for card in CARD.findall(client.get("/").content.decode()) if "placed_at" in card[0]]
    url = html.unescape(url)
    assert url == f"/orders/?placed_at_after={today:%Y-%m-%d}&placed_at_before={today:%Y-%m-%d}"
    shown = client.get(url).context["table"].page.paginator.count
    assert int(count) == shown == 2
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(text)).split())
    yesterday_by_now = "R$ 80,00" if now.hour < 23 else "R$ 480,00"  # the 23:59 order once it is 23h
    assert f"R$ 240,00 em vendas; ontem até esta hora, {yesterday_by_now}." in text
    assert "Meta: 10,0 % de R$ 2.400,00" in text
