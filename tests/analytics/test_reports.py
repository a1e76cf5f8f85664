"""Scheduled reports: their slots in São Paulo's time, a list's own spreadsheet and the dashboards'
workbook e-mailed, each slot once, the owner's permissions, the form's refusals, the screens."""

import io
import smtplib
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from analytics import dashboard, reports, rollups, tasks
from analytics.models import ReportRun, ScheduledReport
from analytics.report_forms import ScheduledReportForm, recipients
from analytics.rollups import SAO_PAULO
from backoffice.exports import MONEY_FORMAT, PERCENT_FORMAT, XLSX_TYPE
from backoffice.metrics import METRICS
from backoffice.models import AuditEvent
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from tests.analytics.support import place
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc


def sp(*args) -> datetime:
    return datetime(*args, tzinfo=SAO_PAULO)


@pytest.fixture
def manager(role_user):
    return role_user("manager", email="gerente@loja.example", first_name="Gerusa", last_name="Lima")




def report(owner, **fields) -> ScheduledReport:
    found = ScheduledReport(**{"name": "Vendas do dia", "recipients": ["ana@loja.example", "bia@loja.example"],
                               **fields})
    return reports.report_save(report=found, user=owner)


def today_at_eight():
    return datetime.combine(timezone.localdate(), time(8), tzinfo=SAO_PAULO)


def sheets(content: bytes) -> dict:
    """Each sheet's cells, by the sheet's title."""
    workbook = load_workbook(io.BytesIO(content))
    return {ws.title: [[cell.value for cell in row] for row in ws.iter_rows()] for ws in workbook.worksheets}


# When ---------------------------------------------------------------------------------------------

def test_a_daily_report_goes_at_its_hour_of_sao_paulo_into_the_next_month():
    daily = ScheduledReport(frequency="daily", hour=8)
    assert reports.slot_after(daily, sp(2026, 1, 31, 7, 59)) == datetime(2026, 1, 31, 11, 0, tzinfo=UTC)
    assert reports.slot_after(daily, sp(2026, 1, 31, 8, 0)) == datetime(2026, 2, 1, 11, 0, tzinfo=UTC)
    assert reports.slot_before(daily, sp(2026, 1, 31, 8, 0)) == sp(2026, 1, 31, 8)
    assert reports.slot_before(daily, sp(2026, 2, 1, 7, 0)) == sp(2026, 1, 31, 8)
    # Late at night in São Paulo is already the next day in UTC: still that evening's slot.
    late = ScheduledReport(frequency="daily", hour=23)
    assert reports.slot_after(late, datetime(2026, 3, 1, 1, 0, tzinfo=UTC)) == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_the_hour_stays_sao_paulos_when_its_clocks_moved():
    # São Paulo's last daylight saving time began on 4 November 2018: 08:00 was 11:00 UTC, then 10:00.
    daily = ScheduledReport(frequency="daily", hour=8)
    first = reports.slot_after(daily, sp(2018, 11, 3, 9, 0))
    assert first == datetime(2018, 11, 4, 10, 0, tzinfo=UTC)
    assert reports.slot_before(daily, first - timedelta(minutes=1)) == datetime(2018, 11, 3, 11, 0, tzinfo=UTC)


def test_a_weekly_report_waits_for_its_weekday():
    monday = ScheduledReport(frequency="weekly", weekday=0, hour=8)
    assert reports.slot_after(monday, sp(2026, 4, 29, 12, 0)) == sp(2026, 5, 4, 8)  # a Wednesday: the next Monday
    assert reports.slot_after(monday, sp(2026, 5, 4, 7, 0)) == sp(2026, 5, 4, 8)
    assert reports.slot_after(monday, sp(2026, 5, 4, 8, 0)) == sp(2026, 5, 11, 8)
    assert reports.slot_before(monday, sp(2026, 5, 3, 23, 0)) == sp(2026, 4, 27, 8)


def test_a_schedule_is_said_in_words():
    with translation.override("en"):
        assert reports.schedule_words(ScheduledReport(frequency="weekly", weekday=0, hour=8)) == \
            "every Monday at 08:00"
        assert reports.schedule_words(ScheduledReport(frequency="weekly", weekday=6, hour=21)) == \
            "every Sunday at 21:00"
        assert reports.schedule_words(ScheduledReport(frequency="monthly", day=5, hour=0)) == \
            "on day 5 of every month at 00:00"
        assert reports.schedule_words(ScheduledReport(frequency="daily", hour=7)) == "every day at 07:00"


def test_a_monthly_report_goes_on_its_day_of_every_month_and_into_the_next_year():
    monthly = ScheduledReport(frequency="monthly", day=28, hour=23)
    assert reports.slot_after(monthly, sp(2026, 2, 28, 23, 30)) == sp(2026, 3, 28, 23)
    assert reports.slot_after(monthly, sp(2026, 2, 28, 23, 30)) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert reports.slot_after(monthly, sp(2026, 12, 29, 0, 0)) == sp(2027, 1, 28, 23)
    assert reports.slot_before(monthly, sp(2026, 3, 1, 0, 0)) == sp(2026, 2, 28, 23)


def test_saving_a_report_sets_its_next_run_from_now(manager, time_machine):
    time_machine.move_to(sp(2026, 6, 10, 9, 0), tick=False)  # a Wednesday
    weekly = report(manager, frequency="weekly", weekday=4, hour=7)
    assert weekly.next_run_at == sp(2026, 6, 12, 7)
    weekly.frequency, weekly.day = "monthly", 10
    reports.report_save(report=weekly, user=manager)
    weekly.refresh_from_db()
    assert weekly.next_run_at == sp(2026, 7, 10, 7)


def test_the_periods_are_whole_days_before_the_run():
    day = date(2026, 3, 1)
    assert reports.report_period("yesterday", day) == reports.Period(date(2026, 2, 28), date(2026, 2, 28))
    seven = reports.report_period("7d", day)
    assert (seven.start, seven.end, seven.days) == (date(2026, 2, 22), date(2026, 2, 28), 7)
    last = reports.report_period("last_month", day)
    assert (last.start, last.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert reports.report_period("30d", date(2026, 3, 15)) == reports.Period(date(2026, 2, 13), date(2026, 3, 14))
    # The 1st's "this month" is the month just ended; later, the month so far.
    assert reports.report_period("month", day) == last
    assert reports.report_period("month", day.replace(day=15)).start == day


# What ---------------------------------------------------------------------------------------------

def test_a_list_report_mails_the_lists_own_spreadsheet_with_its_filters(client, manager, customer, address, shirt):
    for channel in ("web", "web", "shopee"):
        place(customer, address, shirt, channel=channel)
    listed = report(manager, kind="list", address="/orders/?channel=web&sort=number")
    run, made = reports.report_run(report=listed, due_at=today_at_eight())
    assert made and run.outcome == "sent" and run.error == ""
    [message] = mail.outbox
    assert message.to == ["ana@loja.example", "bia@loja.example"]
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"vendas-do-dia-{timezone.localdate():%Y-%m-%d}.xlsx", XLSX_TYPE)

    client.force_login(manager)
    response = client.get("/orders/", {"channel": "web", "sort": "number", "export": "xlsx"})
    own = sheets(b"".join(response.streaming_content))
    sent = sheets(content)
    assert sent == own
    first = next(iter(sent.values()))
    assert len(first) == 3  # the header and the two web orders
    assert (run.rows, run.size, run.recipients) == (2, len(content), 2)


def test_a_dashboard_report_holds_the_figures_and_a_sheet_per_chart_in_reais(manager, customer, address, shirt):
    place(customer, address, shirt, days_ago=1, quantity=2)  # R$ 200,00
    place(customer, address, shirt, days_ago=3)  # R$ 100,00
    place(customer, address, shirt, days_ago=9)  # the 7 days before: R$ 100,00
    place(customer, address, shirt)  # today: not a whole day yet, left out
    rollups.refresh()
    weekly = report(manager, kind="dashboard", period="7d")
    run, _ = reports.report_run(report=weekly, due_at=today_at_eight())
    assert run.outcome == "sent", run.error
    [(_, content, _)] = mail.outbox[0].attachments
    workbook = load_workbook(io.BytesIO(content))
    figures, *charts = workbook.worksheets
    assert [ws.title for ws in charts] == [str(chart.title)[:31] for chart in dashboard.charts({})]
    gmv_label = str(METRICS.metrics["orders.gmv"].label)
    [gmv] = [row for row in figures.iter_rows(min_row=2) if row[1].value == gmv_label]
    assert (gmv[2].value, gmv[3].value) == (300, 100)
    assert gmv[2].number_format == gmv[3].number_format == MONEY_FORMAT
    assert gmv[4].value  # the change, as the tile says it
    cancellations = str(METRICS.metrics["orders.cancellation_rate"].label)
    [rate] = [row for row in figures.iter_rows(min_row=2) if row[1].value == cancellations]
    assert rate[2].value == 0 and rate[2].number_format == PERCENT_FORMAT
    assert run.rows == figures.max_row - 1
    sales = workbook[str(dashboard.chart_by_name("sales").title)[:31]]
    days = list(sales.iter_rows(min_row=2))
    yesterday = timezone.localdate() - timedelta(days=1)
    assert len(days) == 7 and days[-1][0].value.date() == yesterday and days[-1][0].number_format == "dd/mm/yyyy"
    assert days[-1][1].value == 200 and days[-1][1].number_format == MONEY_FORMAT


def test_a_dashboard_report_keeps_its_channel_filter(manager, customer, address, shirt):
    place(customer, address, shirt, days_ago=1, channel="shopee")
    place(customer, address, shirt, days_ago=1, quantity=4)
    rollups.refresh()
    shopee = report(manager, kind="dashboard", period="yesterday", channel="shopee")
    reports.report_run(report=shopee, due_at=today_at_eight())
    [(_, content, _)] = mail.outbox[0].attachments
    figures = next(iter(sheets(content).values()))
    [gmv] = [row for row in figures if row[1] == str(METRICS.metrics["orders.gmv"].label)]
    assert gmv[2] == 100
    assert "channels" not in {chart.name for chart in dashboard.charts(shopee.where)}
    assert str(dashboard.chart_by_name("channels").title)[:31] not in sheets(content)


# Once per slot, as the owner ----------------------------------------------------------------------

def test_the_same_slot_run_twice_sends_once(manager, time_machine):
    time_machine.move_to(sp(2026, 6, 10, 7, 0), tick=False)
    daily = report(manager, kind="dashboard", hour=8)
    time_machine.move_to(sp(2026, 6, 10, 8, 5), tick=False)
    assert tasks.send_scheduled_reports() == 1
    assert tasks.send_scheduled_reports() == 0
    first, made = reports.report_run(report=daily, due_at=sp(2026, 6, 10, 8))
    assert not made and first.outcome == "sent"
    assert len(mail.outbox) == 1 and ReportRun.objects.get().due_at == sp(2026, 6, 10, 8)
    daily.refresh_from_db()
    assert daily.next_run_at == sp(2026, 6, 11, 8)


def test_a_job_stopped_for_days_sends_the_latest_slot_only(manager, time_machine):
    time_machine.move_to(sp(2026, 6, 10, 7, 0), tick=False)
    report(manager, kind="dashboard", hour=8)
    time_machine.move_to(sp(2026, 6, 13, 9, 0), tick=False)
    assert reports.reports_send_due() == 1
    assert reports.reports_send_due() == 0
    assert list(ReportRun.objects.values_list("due_at", flat=True)) == [sp(2026, 6, 13, 8)]


def test_an_owner_who_lost_the_permission_gets_a_failed_run_and_nothing_is_sent(manager, customer, address, shirt):
    place(customer, address, shirt)
    listed = report(manager, kind="list", address="/orders/")
    manager.groups.clear()
    run, made = reports.report_run(report=listed, due_at=today_at_eight())
    assert made and run.outcome == "failed" and "Gerusa Lima" in run.error
    assert mail.outbox == [] and (run.recipients, run.size) == (0, 0)
    listed.refresh_from_db()
    assert listed.next_run_at > today_at_eight()  # on to its next slot


def test_an_owner_who_lost_the_dashboards_gets_a_failed_run(manager):
    figures = report(manager, kind="dashboard")
    manager.groups.set([Group.objects.get(name="staff")])
    run, _ = reports.report_run(report=figures, due_at=today_at_eight())
    assert run.outcome == "failed" and "Gerusa Lima" in run.error and mail.outbox == []


def test_an_address_that_is_no_longer_a_list_fails_the_run(manager):
    kept = report(manager, kind="list", address="/orders/")
    ScheduledReport.objects.filter(pk=kept.pk).update(address="/analytics/goals/new/")
    kept.refresh_from_db()
    run, _ = reports.report_run(report=kept, due_at=today_at_eight())
    assert run.outcome == "failed" and run.error and mail.outbox == []


def test_a_spreadsheet_over_the_limit_fails_the_run_with_the_reason(manager, customer, address, shirt, monkeypatch):
    place(customer, address, shirt)
    listed = report(manager, kind="list", address="/orders/")
    monkeypatch.setattr(reports, "MAX_BYTES", 1000)
    run, _ = reports.report_run(report=listed, due_at=today_at_eight())
    assert run.outcome == "failed" and "1000" in run.error.replace(".", "") and mail.outbox == []


class RefusingBackend(EmailBackend):
    """A mail server that refuses: every address (for good), or for now."""

    error: Exception

    def send_messages(self, messages):
        raise self.error


def test_a_mail_server_down_leaves_the_slot_to_retry_and_one_refusing_for_good_fails_it(manager, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    daily = report(manager, kind="dashboard")
    RefusingBackend.error = ConnectionRefusedError("the server is down")
    with pytest.raises(OSError):
        reports.report_run(report=daily, due_at=today_at_eight())
    assert not ReportRun.objects.exists()
    RefusingBackend.error = smtplib.SMTPRecipientsRefused({"ana@loja.example": (550, b"no such user")})
    run, _ = reports.report_run(report=daily, due_at=today_at_eight())
    assert run.outcome == "failed" and "ana@loja.example" in run.error


# The form -----------------------------------------------------------------------------------------

def report_form(response) -> ScheduledReportForm:
    """The page's report form (a page the form checked renders its own templates in the same request)."""
    return next(context["form"] for context in response.context
                if isinstance(context.get("form"), ScheduledReportForm))


FORM = {"name": "Pedidos entregues", "kind": "list", "period": "7d", "frequency": "weekly", "weekday": "0",
        "day": "1", "hour": "8", "recipients": "ana@loja.example", "active": "on"}


@pytest.mark.parametrize("address", [
    "/analytics/goals/new/", "/admin/", "/../", "/orders/../admin/", "https://evil.example/orders/",
    "//evil.example/orders/", "/orders/\x00", "/orders/%00?status=new", "/orders/?q=%00", "orders/", "/nowhere/",
    "javascript:alert(1)", "/jobs/",
])
def test_the_form_refuses_what_is_not_a_list_it_may_open(client, manager, address):
    client.force_login(manager)
    response = client.post("/analytics/reports/new/", {**FORM, "address": address})
    assert response.status_code == 200
    assert list(report_form(response).errors) == ["address"], address
    assert not ScheduledReport.objects.exists()


def test_the_form_keeps_a_lists_filters_and_drops_its_page_and_download(client, manager, settings):
    settings.SITE_URL = "https://loja.example"
    client.force_login(manager)
    pasted = "https://loja.example/orders/?status=delivered&channel=web&page=3&export=csv"
    response = client.post("/analytics/reports/new/", {**FORM, "address": pasted})
    created = ScheduledReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analytics/reports/{created.pk}/"
    assert (created.address, created.created_by, created.kind) == ("/orders/?status=delivered&channel=web",
                                                                   manager, "list")
    assert created.next_run_at.astimezone(SAO_PAULO).weekday() == 0
    assert created.next_run_at.astimezone(SAO_PAULO).time() == time(8)


def test_recipients_are_read_normalised_and_counted():
    assert recipients("Ana <Ana@LOJA.example>; bia@Loja.Example,\nana@loja.example\n\n") == [
        "Ana@loja.example", "bia@loja.example"]
    with pytest.raises(Exception) as wrong:
        recipients("ana@loja.example, não é e-mail; bia@")
    assert "não é e-mail" in str(wrong.value) and "bia@" in str(wrong.value)
    with pytest.raises(Exception):
        recipients(", ".join(f"pessoa{n}@loja.example" for n in range(21)))
    assert len(recipients(", ".join(f"pessoa{n}@loja.example" for n in range(20)))) == 20


def test_the_form_says_what_is_wrong_with_the_recipients_and_the_list(client, manager):
    client.force_login(manager)
    response = client.post("/analytics/reports/new/", {**FORM, "address": "", "recipients": "ana@"})
    assert set(report_form(response).errors) == {"address", "recipients"}
    response = client.post("/analytics/reports/new/", {**FORM, "kind": "dashboard", "address": "", "recipients": ""})
    assert set(report_form(response).errors) == {"recipients"}


def test_the_dashboards_link_opens_the_form_with_their_period_and_filters(client, manager):
    client.force_login(manager)
    page = client.get("/analytics/", {"period": "today", "channel": "web"}).content.decode()
    assert 'href="/analytics/reports/new/?kind=dashboard&amp;period=today&amp;channel=web"' in page
    form = client.get("/analytics/reports/new/", {"kind": "dashboard", "period": "today", "channel": "web"}
                      ).context["form"]
    assert (form["kind"].value(), form["period"].value(), form["channel"].value()) == ("dashboard", "yesterday",
                                                                                       "web")


# The screens --------------------------------------------------------------------------------------

def test_send_now_sends_the_current_slot_once(client, manager):
    kept = report(manager, kind="dashboard")
    client.force_login(manager)
    said = []
    for _ in range(2):
        response = client.post(f"/analytics/reports/{kept.pk}/send/", follow=True)
        assert response.redirect_chain == [(f"/analytics/reports/{kept.pk}/", 302)]
        said.append([message.level_tag for message in response.context["messages"]])
    assert said == [["success"], ["info"]]
    assert len(mail.outbox) == 1
    [run] = response.context["table"].page.object_list
    assert (run.outcome, run.due_at) == ("sent", reports.slot_before(kept, timezone.now()))


def test_the_report_page_lists_its_runs_newest_first_with_their_reason(client, manager):
    kept = report(manager, kind="list", address="/orders/")
    manager.groups.clear()
    for days in (2, 1):
        reports.report_run(report=kept, due_at=today_at_eight() - timedelta(days=days))
    manager.groups.add(Group.objects.get(name="manager"))
    client.force_login(manager)
    response = client.get(f"/analytics/reports/{kept.pk}/")
    runs = list(response.context["table"].page.object_list)
    assert [run.due_at for run in runs] == [today_at_eight() - timedelta(days=1), today_at_eight() - timedelta(days=2)]
    assert runs[0].error in response.content.decode()


def test_changes_are_audited_and_a_report_is_deleted_after_a_confirmation(client, manager):
    kept = report(manager, kind="dashboard")
    client.force_login(manager)
    response = client.post(f"/analytics/reports/{kept.pk}/edit/", {**FORM, "kind": "dashboard", "hour": "9"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.hour == 9 and kept.created_by == manager
    assert client.get(f"/analytics/reports/{kept.pk}/delete/").status_code == 200
    assert ScheduledReport.objects.exists()
    assert client.post(f"/analytics/reports/{kept.pk}/delete/").status_code == 302
    assert not ScheduledReport.objects.exists()
    actions = list(AuditEvent.objects.filter(action__startswith="scheduled_report.").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["scheduled_report.created", "scheduled_report.changed", "scheduled_report.deleted"]
    changed = AuditEvent.objects.get(action="scheduled_report.changed")
    assert changed.changes["hour"] == [8, 9]


def test_only_managers_see_and_set_scheduled_reports(client_as, manager):
    kept = report(manager, kind="dashboard")
    for role in ("staff", "finance", "ops"):
        client = client_as(role)
        for url in ("/analytics/reports/", "/analytics/reports/new/", f"/analytics/reports/{kept.pk}/",
                    f"/analytics/reports/{kept.pk}/edit/", f"/analytics/reports/{kept.pk}/delete/"):
            assert client.get(url).status_code == 403, (role, url)
        assert client.post(f"/analytics/reports/{kept.pk}/send/").status_code == 403
        assert client.post(f"/analytics/reports/{kept.pk}/delete/").status_code == 403
    assert ScheduledReport.objects.filter(pk=kept.pk).exists() and mail.outbox == []
    client = client_as("manager")
    for url in ("/analytics/reports/", "/analytics/reports/new/", f"/analytics/reports/{kept.pk}/"):
        assert client.get(url).status_code == 200, url


def test_the_reports_list_costs_the_same_queries_for_more_reports(client, manager):
    client.force_login(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/analytics/reports/")
        assert response.status_code == 200
        return len(captured), len(response.context["table"].page.object_list)

    kept = report(manager, kind="dashboard")
    reports.report_run(report=kept, due_at=today_at_eight())
    one = queries()
    for n in range(5):
        more = report(manager, kind="dashboard", name=f"Relatório {n}", frequency="weekly", weekday=n)
        reports.report_run(report=more, due_at=today_at_eight())
    assert queries() == (one[0], 6)
