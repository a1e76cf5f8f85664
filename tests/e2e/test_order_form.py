"""The staff order form in a real Chromium, by keyboard: the customer's only address comes
chosen, and the free stock and the totals follow what is typed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_modules import SHOTS, _login, browser_page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_type_an_order_and_see_its_free_stock_and_total_before_placing_it(
        role_user, live_server, browser_page, address):
    from inventory import services
    from inventory.models import Warehouse
    from orders.models import Order
    from tests.factories import ProductFactory

    role_user("staff")
    product = ProductFactory(sku="CAM-7", name="Camiseta lisa", price=Decimal("80.00"))
    services.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                           unit_cost=Decimal("30"), user=None)
    page, problems = browser_page
    _login(page, live_server, "staff")

    page.goto(f"{live_server.url}/orders/new/?customer={address.customer_id}")
    expect(page.locator("#id_address")).to_have_value(str(address.pk))  # the only address, chosen
    summary = page.locator("[data-testid=order-summary]")
    page.focus("#id_shipping")
    page.keyboard.press("Control+A")
    page.keyboard.type("12,50")
    page.keyboard.press("Tab")
    page.keyboard.type("CAM-7")  # the Tab went to the first item's code
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    expect(summary.locator("[data-testid=free]")).to_have_text("5")
    expect(summary.locator("[data-testid=line-total]")).to_have_text("R$\xa0160,00")
    expect(summary.locator("[data-testid=order-total]")).to_have_text("R$\xa0172,50")
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    expect(summary).to_contain_text("insuficiente: o pedido aguarda estoque")
    expect(summary.locator("[data-testid=order-total]")).to_have_text("R$\xa0492,50")
    expect(page.locator("#id_items-0-quantity")).to_be_focused()  # the summary reloads beside, not over, the typing
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "order_form.png", full_page=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert (order.total, order.ship_street) == (Decimal("172.50"), address.street)
    assert problems == [], "\n".join(problems)
