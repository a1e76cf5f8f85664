import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from backoffice.celery import app as celery_app
from backoffice.jobs import PERIODIC_JOBS, periodic_jobs_install
from backoffice.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_registered_jobs_are_installed_after_migrate_and_edits_survive_a_reinstall():
    job = PeriodicTask.objects.get(name="heartbeat")
    assert job.task == "backoffice.tasks.heartbeat"
    assert job.interval.every == PERIODIC_JOBS["heartbeat"].every_seconds
    job.enabled = False
    job.save()
    periodic_jobs_install()
    job.refresh_from_db()
    assert job.enabled is False
    assert PeriodicTask.objects.filter(name="heartbeat").count() == 1


def test_the_jobs_page_shows_schedule_last_run_and_the_outcome_of_the_last_run(client_as):
    job = PeriodicTask.objects.get(name="heartbeat")
    job.last_run_at = timezone.now()
    job.save()
    TaskResult.objects.store_result(
        "application/json", "utf-8", "t-1", '"boom"', "FAILURE",
        task_name=job.task, periodic_task_name=job.name, traceback="ValueError: boom",
    )
    html = client_as("ops").get("/jobs/").content.decode()
    row = html.split('data-job="heartbeat"')[1].split("</tr>")[0]
    assert "backoffice.tasks.heartbeat" in row
    assert "60 segundos" in row
    assert "falha" in row
    assert "boom" in row
    assert "Executar agora" in row


def _drain(queue="celery"):
    """The task messages waiting in the broker's queue."""
    messages = []
    with celery_app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=True, timeout=0.5)
            except simple.Empty:
                break
            messages.append(message.headers)
            message.ack()
        simple.close()
    return messages


def test_run_now_sends_the_job_task_through_the_broker_and_records_who(client_as, django_capture_on_commit_callbacks):
    _drain()
    client = client_as("ops")
    job = PeriodicTask.objects.get(name="heartbeat")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/jobs/{job.pk}/run/", follow=True)
    assert "foi enfileirada" in response.content.decode()
    sent = _drain()
    assert [(h["task"], h["periodic_task_name"]) for h in sent] == [("backoffice.tasks.heartbeat", "heartbeat")]
    event = AuditEvent.objects.get(action="job.run_now")
    assert event.actor.username == "ops"
    assert event.object_repr.startswith("heartbeat")


def test_run_now_is_refused_to_roles_without_the_permission(client_as, django_capture_on_commit_callbacks):
    job = PeriodicTask.objects.get(name="heartbeat")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("manager").post(f"/jobs/{job.pk}/run/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="job.run_now").exists()


def test_running_an_unknown_job_is_a_404(client_as):
    assert client_as("ops").post("/jobs/999999/run/").status_code == 404
