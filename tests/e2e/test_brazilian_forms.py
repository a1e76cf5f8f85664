"""A real Chromium in pt-BR: every form opens with its numbers and dates (a value the browser
refuses, such as "69,90" in <input type="number">, would open empty), saves untouched, and takes
money as Brazilians write it ("1.234,56")."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_modules import _login, browser_page  # noqa: F401 (a fixture)

AMOUNT = Decimal("1234.56")
# What Chromium says of a value an <input> cannot hold (it then shows the input empty).
REFUSED = ("cannot be parsed", "does not conform")


def _refusals(page):
    """The browser's warnings about input values it refused, seen from now on."""
    seen = []
    page.on("console", lambda msg: any(text in msg.text for text in REFUSED) and seen.append(msg.text))
    return seen


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_edit_a_product_and_save_it_without_retyping_anything(role_user, live_server, browser_page):  # noqa: F811
    from inventory.models import Product
    from tests.factories import ProductFactory

    role_user("staff")
    product = ProductFactory(sku="CAM-7", name="Camiseta lisa", price=Decimal("1269.90"),
                             gross_weight_kg=Decimal("0.350"), net_weight_kg=Decimal("0.300"), height_cm=Decimal("4.5"),
                             width_cm=Decimal("25.0"), length_cm=Decimal("30.5"), reorder_point=1200)
    stored = Product.objects.values().get(pk=product.pk)
    page, problems = browser_page
    refused = _refusals(page)
    _login(page, live_server, "staff")

    page.goto(f"{live_server.url}/inventory/products/{product.pk}/edit/")
    # What the browser holds in each input, as the reader writes it.
    shown = {"price": "1.269,90", "gross_weight_kg": "0,350", "net_weight_kg": "0,300", "height_cm": "4,5",
             "width_cm": "25,0", "length_cm": "30,5", "reorder_point": "1200"}
    for name, value in shown.items():
        expect(page.locator(f"#id_{name}")).to_have_value(value)
    for name in ("price", "gross_weight_kg", "height_cm"):
        assert page.get_attribute(f"#id_{name}", "inputmode") == "decimal"
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/inventory/products/{product.pk}/")
    assert "obrigatório" not in page.inner_text("main")

    after = Product.objects.values().get(pk=product.pk)
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in stored.items() if k != "updated_at"}
    assert refused == [] and problems == [], "\n".join(refused + problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_date_fields_and_filter_bars_open_with_their_dates(role_user, live_server, browser_page):  # noqa: F811
    from django.utils import timezone

    from payments.models import ProviderAccount

    role_user("finance")
    ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials={"access_token": "APP_USR-x"})
    page, problems = browser_page
    refused = _refusals(page)
    _login(page, live_server, "finance")

    today = timezone.localdate()
    page.goto(f"{live_server.url}/payments/releases/")
    expect(page.locator("#id_end")).to_have_value(today.isoformat())
    assert page.input_value("#id_start") != ""
    page.goto(f"{live_server.url}/payments/cash-flow/new/")
    expect(page.locator("#id_date")).to_have_value(today.isoformat())
    # A period given as dd/mm/aaaa (a link typed by hand) opens in the date pickers too.
    page.goto(f"{live_server.url}/payments/?created_at_after=25/11/2026&created_at_before=2026-11-30")
    expect(page.locator("[name=created_at_after]")).to_have_value("2026-11-25")
    expect(page.locator("[name=created_at_before]")).to_have_value("2026-11-30")
    assert refused == [] and problems == [], "\n".join(refused + problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_type_1234_56_into_every_money_field_and_it_is_stored(role_user, live_server, browser_page, address):  # noqa: F811
    from inventory import services
    from inventory.models import Movement, Product, Warehouse
    from orders.models import Order
    from payments.models import CashEntry, Payment, ProviderAccount, Refund
    from tests.factories import ProductFactory

    role_user("admin")
    role_user("finance")
    ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    product = ProductFactory(sku="CAM-8", name="Camiseta estampada", price=Decimal("10.00"))
    warehouse = Warehouse.objects.get(code="principal")
    services.stock_receive(product=product, warehouse=warehouse, quantity=5, unit_cost=Decimal("5"), user=None)
    page, problems = browser_page
    refused = _refusals(page)
    _login(page, live_server, "admin")

    # The product's price.
    page.goto(f"{live_server.url}/inventory/products/{product.pk}/edit/")
    page.fill("#id_price", "1.234,56")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/inventory/products/{product.pk}/")
    assert Product.objects.get(pk=product.pk).price == AMOUNT

    # A receipt's unit cost (the form posts through HTMX and comes back empty for the next item).
    page.goto(f"{live_server.url}/inventory/receipt/")
    page.fill("#id_product", "CAM-8")
    page.select_option("#id_warehouse", str(warehouse.pk))
    page.fill("#id_quantity", "2")
    page.fill("#id_unit_cost", "1.234,56")
    page.click("main form button[type=submit]")
    expect(page.locator("#receipt .list-group")).to_contain_text("R$\u00a01.234,56")
    assert Movement.objects.filter(kind="receipt").latest("pk").unit_cost == AMOUNT

    # An order's unit price and shipping.
    page.goto(f"{live_server.url}/orders/new/")
    page.fill("#customer-search", "Maria")
    page.click("#customer-results [data-customer]")
    page.wait_for_selector("#id_address option:nth-child(2)", state="attached")
    page.select_option("#id_address", index=1)
    page.fill("#id_items-0-product", "CAM-8")
    page.fill("#id_items-0-unit_price", "1.234,56")
    page.fill("#id_shipping", "R$ 1.234,56")
    page.click("text=Fazer pedido")
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert (order.items.get().unit_price, order.shipping_total, order.total) == (AMOUNT, AMOUNT, 2 * AMOUNT)

    # A payment received by hand, on the order's page.
    page.fill("[data-testid=manual-payment] input[name=amount]", "1.234,56")
    page.fill("[data-testid=manual-payment] input[name=reference]", "E2E-PIX-1234")
    page.click("text=Registrar pagamento")
    page.wait_for_load_state("networkidle")
    payment = Payment.objects.get(provider="manual")
    assert (payment.gross, payment.status) == (AMOUNT, "approved")

    # Its refund, by someone else than who recorded it: the form opens with what is left, formatted.
    page.context.clear_cookies()
    _login(page, live_server, "finance")
    page.goto(f"{live_server.url}/payments/{payment.pk}/")
    amount = page.locator("[data-testid=refund-form] input[name=amount]")
    expect(amount).to_have_value("1.234,56")
    amount.fill("1.234,56")
    page.fill("[data-testid=refund-form] input[name=reason]", "cliente devolveu")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=refund-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert Refund.objects.get(payment=payment).amount == AMOUNT

    # A cash-flow entry.
    page.goto(f"{live_server.url}/payments/cash-flow/new/")
    page.select_option("#id_category", "other_income")
    page.fill("#id_amount", "1.234,56")
    page.fill("#id_description", "Aluguel do estande")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/payments/cash-flow/?date=*")
    assert CashEntry.objects.get(description="Aluguel do estande").amount == AMOUNT

    # The payments list filtered from R$ 1.234,56 finds the payment.
    page.goto(f"{live_server.url}/payments/?gross_min=1.234,56")
    expect(page.locator("main")).to_contain_text("E2E-PIX-1234")
    assert refused == [] and problems == [], "\n".join(refused + problems)
