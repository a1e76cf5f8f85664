"""In a real Chromium: ops run a job by hand and the jobs page follows the run by itself, from
queued to its outcome, without reloading."""

import pytest
from playwright.sync_api import expect

from tests.backoffice.test_jobs import _deliver, _drain
from tests.e2e.test_modules import _login, browser_page  # noqa: F401 (the fixture)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ops_run_a_job_and_the_page_shows_it_queued_then_done_without_reloading(role_user, live_server,
                                                                                  browser_page):  # noqa: F811
    role_user("ops")
    page, problems = browser_page
    _drain()
    _login(page, live_server, "ops")
    page.goto(f"{live_server.url}/jobs/")
    row = page.locator("tr", has=page.locator("code", has_text="backoffice.tasks.heartbeat"))
    row.get_by_role("button", name="Executar agora").click()
    expect(page.locator("#messages")).to_contain_text("foi enfileirada")
    expect(row).to_contain_text("na fila")
    page.evaluate("window.__marker = 'same page'")

    _deliver()  # a worker takes the message and runs it
    expect(row).to_contain_text("sucesso", timeout=10_000)
    assert row.locator("td").nth(4).inner_text().strip() == "1"
    assert page.evaluate("window.__marker") == "same page"
    assert page.locator("[data-running]").count() == 0  # finished: the page stops asking
    assert problems == [], "\n".join(problems)
