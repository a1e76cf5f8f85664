import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError as KombuOperationalError

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
    row = next(row for row in html.split("<tr>") if "backoffice.tasks.heartbeat" in row)
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


def test_run_now_sends_the_job_task_through_the_broker_and_records_who(client_as):
    _drain()
    client = client_as("ops")
    job = PeriodicTask.objects.get(name="heartbeat")
    response = client.post(f"/jobs/{job.pk}/run/", follow=True)
    assert "foi enfileirada" in response.content.decode()
    sent = _drain()
    assert [(h["task"], h["periodic_task_name"]) for h in sent] == [("backoffice.tasks.heartbeat", "heartbeat")]
    event = AuditEvent.objects.get(action="job.run_now")
    assert event.actor.username == "ops"
    assert event.object_repr.startswith("heartbeat")


def test_run_now_is_refused_to_roles_without_the_permission(client_as):
    job = PeriodicTask.objects.get(name="heartbeat")
    response = client_as("manager").post(f"/jobs/{job.pk}/run/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="job.run_now").exists()


def test_run_now_with_the_broker_down_says_so_and_records_nothing(client_as, monkeypatch):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The edge of the network: the broker refuses the connection.
    monkeypatch.setattr(celery_app, "send_task", broker_down)
    job = PeriodicTask.objects.get(name="heartbeat")
    response = client_as("ops").post(f"/jobs/{job.pk}/run/", follow=True)
    assert response.status_code == 200
    assert "o broker está inacessível" in response.content.decode()
    assert not AuditEvent.objects.filter(action="job.run_now").exists()


def test_the_jobs_list_exports_every_job(client_as):
    response = client_as("ops").get("/jobs/", {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "heartbeat,backoffice.tasks.heartbeat,a cada 60 segundos" in text


def test_running_an_unknown_job_is_a_404(client_as):
    assert client_as("ops").post("/jobs/999999/run/").status_code == 404
