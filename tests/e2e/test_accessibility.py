"""axe-core, in a real Chromium, on every module page of the demo store: each entry of the
navigation as every role that sees it, the lists with rows and with a filter that matches
nothing, and the pages of an order, a product and a payment. Any WCAG 2.0/2.1 A or AA
violation fails the test, named by rule, with the selectors of the elements at fault.

axe-core is the copy bundled in the axe-playwright-python wheel (the `test` extra). Its source
is evaluated through the DevTools protocol (page.evaluate), which the page's
Content-Security-Policy does not govern: the pages are audited under the policy they ship with."""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.core.management import call_command

from backoffice.demo import demo_password
from backoffice.roles import ROLES
from tests.e2e.test_modules import browser_page

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NOTHING = "zzzz-nada-encontrado"


def axe_violations(page) -> list[str]:
    """The WCAG A/AA violations axe finds on the page as it is now, one readable line per rule."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
    ]


def _login(page, base_url, role):
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", demo_password(role))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_module_page_passes_axe_for_wcag_2_a_and_aa(live_server, browser_page):
    from orders.models import Order
    from payments.models import Payment

    call_command("seed_demo", "--orders", "40", stdout=open("/dev/null", "w"))
    page, problems = browser_page
    base = live_server.url
    found: dict[str, list[str]] = {}
    lists = set()

    def audit(url, label):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            found[label] = violations

    for role in ROLES:
        _login(page, base, role)
        links = page.eval_on_selector_all("#sidebar a.nav-link", "els => els.map(e => e.href)")
        for href in links:
            audit(href, f"{role} {urlsplit(href).path}")
            if page.locator("form.filter-bar input[name=q]").count():
                lists.add(href)
        page.context.clear_cookies()  # logged out

    _login(page, base, "admin")
    for href in sorted(lists):
        audit(f"{href}?q={NOTHING}", f"admin {urlsplit(href).path}?q={NOTHING}")
        assert page.locator("[data-testid=empty-state]").count() == 1, href
    order = Order.objects.order_by("pk").first()
    payment = Payment.objects.order_by("pk").first()
    product = order.items.first().product
    for path in ("/orders/?queue=true", f"/orders/{order.pk}/", f"/inventory/products/{product.pk}/",
                 f"/payments/{payment.pk}/"):
        audit(f"{base}{path}", f"admin {path}")

    report = "\n".join(f"{label}\n  " + "\n  ".join(lines) for label, lines in found.items())
    assert not found, f"axe-core found WCAG 2 A/AA violations:\n{report}"
    assert problems == [], "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_axe_names_the_rule_and_the_elements_of_a_violation(live_server, browser_page):
    page, problems = browser_page
    page.goto(f"{live_server.url}/login/")
    assert axe_violations(page) == []
    page.evaluate("""() => document.querySelector('main, body').insertAdjacentHTML('beforeend',
        '<input id="unnamed" type="text"><p id="faint" class="text-warning">faint</p>')""")
    found = axe_violations(page)
    assert any(line.startswith("label (critical): Form elements must have labels") and "#unnamed" in line
               for line in found), found
    assert any(line.startswith("color-contrast (serious)") and "#faint" in line for line in found), found


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_wide_lists_scroll_in_their_box_and_skus_stay_on_one_line_at_1366_by_768(live_server, browser_page):
    call_command("seed_demo", "--orders", "40", stdout=open("/dev/null", "w"))
    page, problems = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "admin")
    for path in ("/payments/", "/inventory/ledger/"):
        page.goto(f"{live_server.url}{path}")
        box = page.evaluate("""() => {
            const box = document.querySelector('.table-block .table-responsive');
            box.scrollLeft = box.scrollWidth;
            const last = box.querySelector('thead th:last-child').getBoundingClientRect();
            return {page: document.documentElement.scrollWidth, height: box.getBoundingClientRect().height,
                    right: box.getBoundingClientRect().right, lastRight: last.right};
        }""")
        # Nothing sticks out of the page; the last column is reached by scrolling the table's own box,
        # whose scroll bar fits in the window.
        assert box["page"] <= 1366, path
        assert box["lastRight"] <= box["right"] + 1, (path, box)
        assert box["height"] <= 768, (path, box)
    for path in ("/inventory/products/", "/inventory/ledger/"):
        page.goto(f"{live_server.url}{path}")
        lines = page.eval_on_selector_all("td a[href*='/inventory/products/'] .text-nowrap",
                                          "els => els.map(e => [e.textContent, e.getClientRects().length])")
        assert lines and all(count == 1 for _, count in lines), (path, lines)
    assert problems == [], "\n".join(problems)
