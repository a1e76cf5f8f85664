"""A real Chromium logs in and opens every module page: no console error, no HTTP status
>= 400, no Content-Security-Policy violation. Screenshots land in test-artifacts/screenshots/."""

import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.conftest import CHROMIUM
from tests.factories import PASSWORD

SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def watched_page(browser, problems: list):
    """A new page (in a context of its own: its own cookies) whose problems land in `problems`."""
    # An English browser: the back office still opens in pt-BR until the user picks English.
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
    # Every refusal of the Content-Security-Policy, on every page the test opens.
    page.expose_function("reportCspViolation", lambda text: problems.append(f"CSP: {text}"))
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => window.reportCspViolation(`${e.violatedDirective} ${e.blockedURI} "
                         "at ${e.sourceFile}:${e.lineNumber}`))")
    return page


@contextmanager
def chromium(monkeypatch):
    """A real Chromium. Waits go through locators (`expect`): Playwright's wait_for_function evaluates
    its text with eval, which the policy refuses."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made here
    # (fixtures) happen before the browser starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(monkeypatch):
    """A page and the problems seen on it."""
    problems = []
    with chromium(monkeypatch) as browser:
        yield watched_page(browser, problems), problems


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_logs_in_and_opens_every_module_page(role_user, live_server, browser_page):
    from backoffice.audit import audit_record

    admin = role_user("admin", is_staff=True)
    for i in range(30):
        audit_record(actor=admin, action="demo.seen", obj=admin, note=f"row {i}")
    page, problems = browser_page
    SHOTS.mkdir(parents=True, exist_ok=True)

    _login(page, live_server, "admin")
    page.screenshot(path=SHOTS / "home.png", full_page=True)
    links = page.eval_on_selector_all("#sidebar a.nav-link", "els => els.map(e => [e.textContent.trim(), e.href])")
    assert {label for label, _ in links} >= {"Início", "Tarefas", "Saúde", "Registro de auditoria"}
    for label, href in links:
        page.goto(href)
        page.wait_for_load_state("networkidle")
        assert page.locator("main h1").inner_text(), href
        page.screenshot(path=SHOTS / f"{urlsplit(href).path.strip('/') or 'home'}.png", full_page=True)

    # The Django admin (user management, schedules, login unlocks) runs under the policy too. Its
    # pages name no icon: the browser's own request for /favicon.ico, a 404, is not counted.
    seen = len(problems)
    for path in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/", "/admin/axes/accessattempt/"):
        assert page.goto(f"{live_server.url}{path}").status == 200, path
        page.wait_for_load_state("networkidle")
    assert [problem for problem in problems[seen:] if "404" not in problem] == []
    del problems[seen:]

    # Filtering and paging the audit log reload only the table, through HTMX.
    page.goto(f"{live_server.url}/audit/")
    page.evaluate("window.__marker = 'same page'")
    page.fill("input[name=q]", "row 1")
    expect(page.locator("[data-testid=result-count]")).to_contain_text("11")
    assert page.evaluate("window.__marker") == "same page"
    assert parse_qs(urlsplit(page.url).query)["q"] == ["row 1"]

    assert problems == [], "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_browser_runs_the_pages_under_the_content_security_policy(role_user, live_server, browser_page):
    role_user("staff")
    page, problems = browser_page
    login = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in login.headers["content-security-policy"]
    _login(page, live_server, "staff")
    assert problems == [], "\n".join(problems)

    # What the policy refuses is refused, and reported: an inline script and another site's image.
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.body.append(script);
        document.body.insertAdjacentHTML('beforeend', '<img src="https://example.invalid/x.png">');
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected") is None
    assert {problem.split()[1] for problem in problems if problem.startswith("CSP:")} >= {"script-src-elem", "img-src"}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_switch_to_english_in_the_browser(role_user, live_server, browser_page):
    role_user("ops")
    page, problems = browser_page
    _login(page, live_server, "ops")
    page.click("[data-testid=user-menu]")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert "Home" in page.locator("#sidebar").inner_text()
    assert "Jobs" in page.locator("#sidebar").inner_text()
    page.screenshot(path=SHOTS / "english.png")
    assert problems == [], "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_filter_products_and_count_stock_inline_without_reloading(role_user, live_server, browser_page):
    from inventory import services
    from inventory.models import Warehouse
    from tests.factories import ProductFactory

    role_user("staff")
    warehouse = Warehouse.objects.get(code="principal")
    for n in range(30):
        product = ProductFactory(sku=f"CAM-{n:03d}", name=f"Camiseta {n}")
        services.stock_receive(product=product, warehouse=warehouse, quantity=10, unit_cost=product.cost, user=None)
    ProductFactory(sku="CANECA-1", name="Caneca esmaltada")
    page, problems = browser_page
    _login(page, live_server, "staff")

    page.goto(f"{live_server.url}/inventory/products/")
    page.evaluate("window.__marker = 'same page'")
    page.click("a.page-link[rel=next]")
    page.wait_for_url(re.compile(r"[?&]page=2"))
    page.fill("input[name=q]", "caneca")
    expect(page.locator("[data-testid=result-count]")).to_have_text(re.compile(r"^\s*1 "))
    assert page.evaluate("window.__marker") == "same page"

    page.goto(f"{live_server.url}/inventory/products/{product.pk}/")
    page.evaluate("window.__marker = 'same page'")
    page.click("button[data-bs-target='#action-adjust']")
    page.select_option("#id_adjust-warehouse", str(warehouse.pk))
    page.fill("#id_adjust-counted", "7")
    page.click("#action-adjust button[type=submit]")
    expect(page.locator("tr[data-warehouse=principal] [data-available]")).to_have_text("7")
    assert "Estoque atualizado" in page.inner_text("#messages")
    page.click("button[data-bs-target='#action-write_off']")
    page.select_option("#id_write_off-warehouse", str(warehouse.pk))
    page.fill("#id_write_off-quantity", "1")
    page.fill("#id_write_off-reason", "quebrou")
    page.click("#action-write_off button[type=submit]")
    page.wait_for_selector("#action-write_off.show .alert-danger")
    assert "só há 0" in page.inner_text("#action-write_off")
    assert page.evaluate("window.__marker") == "same page"
    page.screenshot(path=SHOTS / "product.png", full_page=True)

    # A form that asks first (static/js/app.js): refused, nothing is sent; confirmed, it is.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button:has-text('Desativar')")
    page.wait_for_timeout(300)
    product.refresh_from_db()
    assert product.active
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Desativar')")
    page.wait_for_selector("h1 .badge")
    product.refresh_from_db()
    assert not product.active
    assert problems == [], "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_register_a_customer_place_an_order_and_move_it_to_delivery(role_user, live_server, browser_page):
    from decimal import Decimal

    from inventory import services
    from inventory.models import StockLevel, Warehouse
    from orders import services as orders
    from orders.models import Order
    from payments.models import ProviderAccount
    from tests.factories import ProductFactory

    role_user("staff")
    ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    product = ProductFactory(sku="CAM-9", name="Camiseta listrada", price=Decimal("80.00"))
    services.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                           unit_cost=Decimal("30"), user=None)
    page, problems = browser_page
    _login(page, live_server, "staff")

    page.goto(f"{live_server.url}/orders/customers/new/")
    page.fill("#id_customer-name", "Joana Souza")
    page.fill("#id_customer-document", "390.533.447-00")
    page.fill("#id_customer-email", "joana@example.com")
    page.fill("#id_address-cep", "20040-002")
    page.press("#id_address-cep", "Tab")
    expect(page.locator("#id_address-uf")).to_have_value("RJ")  # the CEP filled the UF
    page.select_option("#id_address-city", label="Rio de Janeiro")
    page.fill("#id_address-street", "Avenida Rio Branco")
    page.fill("#id_address-number", "10")
    page.fill("#id_address-district", "Centro")
    page.click("main form button[type=submit]")
    assert "CPF inválido" in page.inner_text("main form")
    page.fill("#id_customer-document", "390.533.447-05")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/orders/customers/*/")

    page.click("text=Novo pedido")
    page.fill("#customer-search", "Joana")
    page.click("#customer-results [data-customer]")
    page.wait_for_selector("#id_address option:nth-child(2)", state="attached")
    page.select_option("#id_address", index=1)
    page.fill("#id_items-0-product", "CAM-9")
    page.fill("#id_items-0-quantity", "2")
    page.click("text=Fazer pedido")
    page.wait_for_url("**/orders/*/")
    assert StockLevel.objects.get(product=product).reserved == 2
    # The Pix seen in the bank, registered in the payments panel: a real payment of the amount typed.
    page.fill("[data-testid=manual-payment] input[name=amount]", "160,00")
    page.fill("[data-testid=manual-payment] input[name=reference]", "E2E-PIX-1")
    page.click("text=Registrar pagamento")
    page.wait_for_load_state("networkidle")
    # The order is invoiced when SEFAZ authorizes its NF-e, which finance issue (tests/e2e/test_fiscal.py),
    # shipped with its last parcel and delivered by its carrier (tests/e2e/test_logistics.py): no button here.
    for button in ("Marcar como faturado", "Marcar como enviado", "Marcar como entregue"):
        assert page.locator(f"text={button}").count() == 0
    order = Order.objects.get()
    orders.order_invoice(order=order, user=None)
    orders.order_ship(order=order, user=None)
    orders.order_deliver(order=order)
    page.reload()
    timeline = page.inner_text("[data-testid=timeline]")
    for status in ("Aguardando pagamento", "Pago", "Pronto para envio", "Faturado", "Enviado", "Entregue"):
        assert status in timeline
    page.screenshot(path=SHOTS / "order.png", full_page=True)
    assert StockLevel.objects.get(product=product).on_hand == 3

    # Another order, cancelled from the list's bulk action: its stock comes back.
    page.goto(f"{live_server.url}/orders/new/")
    page.fill("#customer-search", "Joana")
    page.click("#customer-results [data-customer]")
    page.wait_for_selector("#id_address option:nth-child(2)", state="attached")
    page.select_option("#id_address", index=1)
    page.fill("#id_items-0-product", "CAM-9")
    page.click("text=Fazer pedido")
    page.wait_for_url("**/orders/*/")
    assert StockLevel.objects.get(product=product).reserved == 1
    page.goto(f"{live_server.url}/orders/?status=awaiting_payment")
    page.check("input[name=ids]")
    page.select_option("#bulk-action", "cancel")
    page.fill("#bulk input[name=reason]", "cliente desistiu")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#bulk button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "1 pedido cancelado" in page.inner_text(".messages")
    level = StockLevel.objects.get(product=product)
    assert (level.reserved, level.available) == (0, 3)
    assert problems == [], "\n".join(problems)
