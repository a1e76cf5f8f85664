"""In a real Chromium: a manager watches the dashboards while staff place an order in another tab;
the sales tile and the goal's progress move within 30 s, without a reload, and the charts are drawn."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_modules import SHOTS, _login, chromium, watched_page


@pytest.fixture
def periodic_refresh():
    """The analytics.refresh job as beat and a worker run it, every REFRESH_SECONDS, in this process."""
    from django.db import connection

    from analytics import rollups

    stop = threading.Event()

    def run():
        try:
            while not stop.wait(rollups.REFRESH_SECONDS / 5):
                rollups.refresh()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sales_tile_and_the_goal_move_in_another_tab_without_a_reload(role_user, live_server, monkeypatch,
                                                                           address, periodic_refresh):
    from analytics.models import Goal
    from inventory import services
    from inventory.models import Warehouse
    from tests.factories import ProductFactory

    role_user("manager")
    role_user("staff")
    product = ProductFactory(sku="CAM-9", name="Camiseta listrada", price=Decimal("80.00"))
    services.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                           unit_cost=Decimal("30"), user=None)
    today = timezone.localdate()
    Goal.objects.create(name="Vendas de hoje", metric="orders.gmv", kind="custom", start=today,
                        end=today + timedelta(days=1), target=Decimal("400"))
    problems = []
    with chromium(monkeypatch) as browser:
        dashboard, orders = watched_page(browser, problems), watched_page(browser, problems)
        _login(dashboard, live_server, "manager")
        dashboard.goto(f"{live_server.url}/analytics/?period=today")
        gmv = dashboard.locator("[data-metric='orders.gmv'] [data-testid=figure]")
        expect(gmv).to_have_text("R$\xa00,00")
        goal = dashboard.locator("[data-goal] progress")
        expect(goal).to_have_attribute("value", "0")
        expect(dashboard.locator("[data-testid=chart-sales] canvas")).to_be_visible()
        dashboard.evaluate("window.__marker = 'same page'")

        _login(orders, live_server, "staff")
        orders.goto(f"{live_server.url}/orders/new/?customer={address.customer_id}")
        orders.focus("#id_shipping")
        orders.keyboard.press("Tab")
        orders.keyboard.type("CAM-9")
        orders.keyboard.press("Tab")
        orders.keyboard.press("Control+A")
        orders.keyboard.type("2")
        orders.keyboard.press("Enter")
        orders.wait_for_url("**/orders/*/")

        expect(gmv).to_have_text("R$\xa0160,00", timeout=30_000)
        expect(goal).to_have_attribute("value", "40", timeout=5_000)  # R$ 160 of R$ 400
        assert dashboard.evaluate("window.__marker") == "same page"  # not reloaded
        # Each chart is destroyed before its swap and drawn again after: one Chart.js chart per canvas.
        charts = dashboard.locator("canvas[data-chart]").count()
        assert charts >= 4 and dashboard.evaluate("Object.keys(window.Chart.instances).length") == charts
        SHOTS.mkdir(parents=True, exist_ok=True)
        dashboard.screenshot(path=SHOTS / "dashboard.png", full_page=True)
    assert problems == [], "\n".join(problems)
