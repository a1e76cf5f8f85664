"""An order invoiced from its page in a real Chromium: finance clicks "Emitir NF-e", SEFAZ — the app's
own simulator in sandbox mode, served by the live server — authorizes it, the DANFE opens as a PDF and
the order is invoiced."""

import pytest
from playwright.sync_api import expect

from backoffice.celery import app as celery_app
from tests.e2e.test_modules import SHOTS, _login, browser_page  # noqa: F401 (fixture)
from tests.fiscal.conftest import (  # noqa: F401 (fixtures)
    consumer_order,
    fiscal_profile,
    make_paid_order,
    products,
    series,
    tax_tables,
)


@pytest.fixture
def tasks_run_at_once():
    """The tasks a request queues run in it, as it commits (no worker in this test): the NF-e is sent
    to SEFAZ before the order page is drawn again."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_finance_issue_the_nfe_from_the_order_page_open_its_danfe_and_the_order_is_invoiced(
        settings, role_user, live_server, browser_page, consumer_order, series, tasks_run_at_once):
    from fiscal.models import Invoice

    settings.FISCAL_SANDBOX = True
    settings.SEFAZ_URL = f"{live_server.url}/fiscal/sandbox/sefaz"
    role_user("finance")
    page, problems = browser_page
    _login(page, live_server, "finance")

    page.goto(f"{live_server.url}/orders/{consumer_order.pk}/")
    panel = page.locator("[data-testid=order-fiscal]")
    expect(panel).to_contain_text("Pronto para envio: a mercadoria sai com a sua NF-e.")
    panel.get_by_role("button", name="Emitir NF-e").click()
    page.wait_for_url(f"**/orders/{consumer_order.pk}/")
    expect(panel).to_contain_text("Autorizada")
    expect(page.locator("main h1")).to_contain_text("Faturado")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "order_invoiced.png", full_page=True)

    with page.context.expect_event("response", lambda response: "/danfe/" in response.url) as opened:
        panel.locator("[data-testid=order-danfe]").click()
    danfe = opened.value  # opened in a tab of its own, in Chromium's PDF viewer
    assert (danfe.status, danfe.headers["content-type"]) == (200, "application/pdf")
    assert danfe.headers["content-disposition"].startswith("inline;")
    assert page.request.get(danfe.url).body().startswith(b"%PDF")  # the file itself, as the viewer got it

    invoice = Invoice.objects.get(order=consumer_order)
    consumer_order.refresh_from_db()
    assert (invoice.status, consumer_order.status) == ("authorized", "invoiced")
    page.goto(f"{live_server.url}/fiscal/{invoice.pk}/")
    expect(page.locator("[data-testid=access-key]")).to_have_text(
        " ".join(invoice.key[i:i + 4] for i in range(0, 44, 4)))
    assert problems == [], "\n".join(problems)
