import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from backoffice.audit import audit_record
from backoffice.models import AuditEvent
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db


def test_it_keeps_only_the_fields_that_changed(role_user):
    admin = role_user("admin")
    event = audit_record(
        actor=admin,
        action="user.update",
        obj=admin,
        before={"email": "a@loja.example", "first_name": "Ana"},
        after={"email": "b@loja.example", "first_name": "Ana", "is_active": False},
    )
    event.refresh_from_db()
    assert event.changes == {"email": ["a@loja.example", "b@loja.example"], "is_active": [None, False]}
    assert event.actor == admin
    assert event.object_id == str(admin.pk)
    assert event.content_type.model == "user"


def test_audit_events_cannot_be_deleted(role_user):
    event = audit_record(actor=role_user("admin"), action="login")
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


ACTIONS = ("product.create", "product.update", "job.run_now")


def _events(actor, count):
    now = timezone.now()
    for i in range(count):
        event = audit_record(actor=actor, action=ACTIONS[i % 3], obj=actor, note=f"note {i}")
        AuditEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(minutes=i))


def test_the_audit_list_filters_sorts_and_paginates(client_as, role_user):
    client = client_as("admin")
    _events(role_user("ops"), 30)
    page = client.get("/audit/")
    assert page.status_code == 200
    assert page.content.decode().count("<tr>") == 25 + 1  # header row + one page
    assert "31 resultados" in page.content.decode()  # and the admin's own login

    only = client.get("/audit/", {"action": "product.update"})
    assert only.context["table"].page.paginator.count == 10

    oldest_first = client.get("/audit/", {"sort": "created_at"})
    rows = list(oldest_first.context["table"].page.object_list)
    assert rows[0].note == "note 29"

    bogus_sort = client.get("/audit/", {"sort": "password"})
    assert bogus_sort.context["table"].sort == "-created_at"

    second = client.get("/audit/", {"page": 2})
    assert len(second.context["table"].page.object_list) == 6


def test_an_htmx_request_gets_only_the_results_block(client_as, role_user):
    client = client_as("admin")
    _events(role_user("ops"), 3)
    response = client.get("/audit/", {"q": "note 1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "navbar" not in html and "filter-bar" not in html
    assert response.context["table"].page.paginator.count == 1
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client_as):
    response = client_as("admin").get("/audit/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "navbar" in response.content.decode()


def test_an_expired_session_sends_an_htmx_request_to_the_login_page(client):
    response = client.get("/audit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/audit/"


def test_an_anonymous_failed_login_cannot_break_the_xlsx_export(client, client_as):
    client.post("/login/", {"username": "evil\x01", "password": "x"})
    client.post("/login/", {"username": "admin-to-be", "password": "wrong"})
    admin = client_as("admin")
    failed = AuditEvent.objects.filter(action="user.login_failed")
    assert failed.count() == 2 and set(failed.values_list("object_id", "note")) == {("", "")}
    response = admin.get("/audit/", {"export": "xlsx"})
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.max_row == 4


def disable_the_heartbeat_in_the_django_admin(client):
    """`client`'s user, made staff, switches the heartbeat job off in the Django admin: (the user, the job)."""
    from django_celery_beat.models import PeriodicTask

    ops = client.get("/").wsgi_request.user
    ops.is_staff = True
    ops.save()
    job = PeriodicTask.objects.get(name="heartbeat")
    url = f"/admin/django_celery_beat/periodictask/{job.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"name": "heartbeat", "task": job.task, "regtask": job.task, "interval": job.interval_id,
                 "enabled": "", "args": "[]", "kwargs": "{}", "headers": "{}"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    return ops, job


def test_changes_made_in_the_django_admin_are_audited(client_as):
    ops, job = disable_the_heartbeat_in_the_django_admin(client_as("ops"))
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == ops and event.object_id == str(job.pk)


def test_the_audit_list_runs_the_same_number_of_queries_whatever_the_page_size(client_as, role_user):
    _events(role_user("ops"), 120)
    counts, _ = queries_per_page_size(client_as("admin"), "/audit/")
    assert counts[0] == counts[1]


def test_the_audit_list_exports_the_filtered_rows_as_csv_and_xlsx(client_as, role_user):
    client = client_as("admin")
    _events(role_user("ops"), 40)
    response = client.get("/audit/", {"action": "job.run_now", "export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Quando", "Usuário", "Ação"]
    assert len(rows) == 1 + 13  # every matching row, not one page
    assert {row[2] for row in rows[1:]} == {"Tarefa executada manualmente"}

    response = client.get("/audit/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert len(values) == 1 + 40 + 1  # header, the events, the admin's login
    assert values[1][0].tzinfo is None  # São Paulo wall-clock time, as spreadsheets expect
    assert [v[2] for v in values[1:]].count("Entrou no sistema") == 1


def test_a_long_list_counts_no_further_than_the_cap(client_as, role_user, settings):
    settings.LIST_COUNT_CAP = 40
    client = client_as("admin")
    _events(role_user("ops"), 60)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/audit/")
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 41" in counts[0]  # never a COUNT over every row
    text = page.content.decode()
    assert "mais de 40 resultados" in text and "1–25 de mais de 40" in text
    last = client.get("/audit/", {"page": 2})
    assert len(last.context["table"].page.object_list) == 15  # up to the cap; the rest by filtering
    assert last.context["table"].page.has_next() is False

    settings.LIST_COUNT_CAP = 100
    exact = client.get("/audit/").content.decode()
    assert "61 resultados" in exact and "mais de" not in exact
