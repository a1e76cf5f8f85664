"""The dashboards page: its tiles against the period before, its charts and their downloads, its
filters, who may open it, and what it costs."""

import csv
import io
import json
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import rollups
from analytics.rollups import SAO_PAULO
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from payments.cashflow import cash_entry_book
from tests.analytics.support import place
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db




def tile(page: str, metric: str) -> dict:
    """The figure and change a tile shows."""
    found = re.search(rf'data-metric="{re.escape(metric)}".*?data-testid="figure">([^<]*)<(.*?)</div>\s*</div>',
                      page, re.S)
    assert found, f"no tile {metric}"
    change = re.search(r'data-testid="change">([^<]*)<', found.group(2))
    return {"figure": found.group(1), "change": change.group(1) if change else ""}


def test_the_tiles_show_the_period_against_the_one_before(client_as, customer, address, shirt):
    for _ in range(3):
        place(customer, address, shirt)  # today: R$ 300,00
    place(customer, address, shirt, days_ago=8, quantity=2)  # the 7 days before: R$ 200,00
    cancelled = place(customer, address, shirt, days_ago=1)
    orders.order_cancel(order=cancelled, user=None, reason="Desistiu")
    cash_entry_book(date=timezone.localdate(), category="other_income", amount=Decimal("1234.56"),
                    description="Aporte")
    rollups.refresh()
    page = client_as("manager").get("/analytics/", {"period": "7d"}).content.decode()
    assert tile(page, "orders.gmv") == {"figure": "R$\xa0300,00", "change": "+50,0 %"}
    assert tile(page, "orders.sold")["figure"] == "3"
    assert tile(page, "orders.aov")["figure"] == "R$\xa0100,00"
    assert tile(page, "orders.cancellation_rate") == {"figure": "25,0 %", "change": "+25,0 p.p."}
    assert tile(page, "payments.cash_net")["figure"] == "R$\xa01.234,56"
    assert tile(page, "orders.nps")["figure"] == "—"  # no answer yet: unknown, not zero
    # A bad move is red, a good one green.
    assert 'class="text-success" data-testid="change">+50,0 %' in page
    assert 'class="text-danger" data-testid="change">+25,0 p.p.' in page


def test_the_tiles_partial_is_what_the_page_polls(client_as, customer, address, shirt):
    client = client_as("manager")
    page = client.get("/analytics/", {"period": "today"}).content.decode()
    assert 'hx-get="/analytics/tiles/?period=today" hx-trigger="every 15s"' in page
    assert tile(page, "orders.sold")["figure"] == "0"
    place(customer, address, shirt)
    rollups.refresh()
    partial = client.get("/analytics/tiles/", {"period": "today"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and tile(partial, "orders.sold")["figure"] == "1"


def test_a_filter_by_channel_keeps_the_tiles_that_have_one(client_as, customer, address, shirt):
    place(customer, address, shirt, channel="web")
    place(customer, address, shirt, channel="mercadolivre", quantity=3)
    rollups.refresh()
    page = client_as("manager").get("/analytics/", {"period": "today", "channel": "mercadolivre"}).content.decode()
    assert tile(page, "orders.gmv")["figure"] == "R$\xa0300,00"
    assert 'data-metric="payments.cash_net"' not in page  # the cash flow has no channel
    assert 'data-testid="chart-channels"' not in page  # one channel: nothing to split


def test_a_bad_period_is_said_and_the_default_shown(client_as):
    for query in ({"period": "custom", "start": "2026-12-10", "end": "2026-12-01"},
                  {"period": "custom", "start": "9999-01-01", "end": "9999-12-31"},
                  {"period": "custom", "start": "2020-01-01", "end": "2026-01-01"},
                  {"period": "nonsense"}, {"start": "\x00"}):
        response = client_as("manager").get("/analytics/", query)
        assert response.status_code == 200
        assert 'class="invalid-feedback d-block"' in response.content.decode()
        assert response.context["period"].days == 30


def test_charts_are_drawn_from_their_data_and_downloaded_as_a_brazilian_spreadsheet(
        client_as, customer, address, shirt):
    place(customer, address, shirt, quantity=12)
    place(customer, address, shirt, days_ago=1, channel="shopee")
    rollups.refresh()
    client = client_as("manager")
    page = client.get("/analytics/", {"period": "7d"}).content.decode()
    data = json.loads(re.search(r'<script id="chart-data-sales" type="application/json">(.*?)</script>', page).group(1))
    assert data["type"] == "line" and len(data["labels"]) == 7 and data["labels"][-1] == timezone.localdate().strftime(
        "%d/%m/%Y")
    assert data["datasets"][0]["data"][-2:] == [100.0, 1200.0] and data["datasets"][1]["dashed"]
    channels = json.loads(re.search(r'id="chart-data-channels" type="application/json">(.*?)</script>', page).group(1))
    # Largest first, each channel by its name.
    assert channels["labels"] == ["loja virtual", "Shopee"] and channels["datasets"][0]["data"] == [1200.0, 100.0]
    response = client.get("/analytics/charts/sales/", {"period": "7d", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Dia" and rows[-1] == [timezone.localdate().strftime("%d/%m/%Y"), "1200,00", "0,00"]
    assert client.get("/analytics/charts/sales/", {"period": "7d", "format": "xlsx"}).status_code == 200
    assert client.get("/analytics/charts/nonsense/").status_code == 404


def test_only_who_may_see_the_dashboards_opens_them(client_as):
    for role in ("staff", "finance", "ops"):
        assert client_as(role).get("/analytics/").status_code == 403
        assert client_as(role).get("/analytics/tiles/").status_code == 403
    assert client_as("manager").get("/analytics/").status_code == 200


def test_the_page_costs_the_same_queries_whatever_the_period_holds(client_as, customer, address, shirt,):
    client = client_as("manager")
    client.get("/analytics/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/analytics/", {"period": "30d"}).status_code == 200
        return len(captured)

    empty = queries()
    for days_ago in range(0, 30, 3):
        place(customer, address, shirt, days_ago=days_ago, channel=["web", "shopee", "amazon"][days_ago % 3])
    rollups.refresh()
    assert queries() == empty
