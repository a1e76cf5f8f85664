import time
import uuid

import pytest
from celery.worker.request import Request
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError as KombuOperationalError

from backoffice.celery import app as celery_app
from backoffice.jobs import PERIODIC_JOBS, periodic_jobs_install
from backoffice.models import AuditEvent
from backoffice.tables import EMPTY
from tests.workers import start_worker

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
    assert "heartbeat;backoffice.tasks.heartbeat;a cada 60 segundos" in text


def test_running_an_unknown_job_is_a_404(client_as):
    assert client_as("ops").post("/jobs/999999/run/").status_code == 404


def _row(client, name="heartbeat"):
    """The job's row on the jobs page, and whether the page refreshes itself."""
    html = client.get("/jobs/").content.decode()
    row = next(row for row in html.split("<tr>") if f"<code>backoffice.tasks.{name}</code>" in row)
    return row, "data-running" in html


def _deliver(queue="celery"):
    """Take the next task message from the broker and run it as a worker does (its request, the
    result stored in the backend, acknowledged at the end)."""
    with celery_app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue)
        message = simple.get(block=True, timeout=5)
        Request(message, app=celery_app).execute()
        simple.close()


def test_a_run_started_by_hand_shows_queued_then_its_outcome_its_time_and_one_more_run(client_as):
    _drain()
    client = client_as("ops")
    job = PeriodicTask.objects.get(name="heartbeat")
    assert (job.last_run_at, job.total_run_count) == (None, 0)
    row, running = _row(client)
    assert str(EMPTY) in row and ">0</td>" in row and running is False

    started = timezone.now()
    client.post(f"/jobs/{job.pk}/run/")
    row, running = _row(client)
    assert "na fila" in row and running is True  # sent, not run yet: the page refreshes itself
    job.refresh_from_db()
    assert (job.last_run_at, job.total_run_count) == (None, 0)

    _deliver()
    job.refresh_from_db()
    assert job.total_run_count == 1 and job.last_run_at >= started
    result = TaskResult.objects.get(periodic_task_name="heartbeat")
    assert (result.status, result.task_name) == ("SUCCESS", "backoffice.tasks.heartbeat")
    row, running = _row(client)
    assert "sucesso" in row and "na fila" not in row and running is False
    assert timezone.localtime(job.last_run_at).strftime("%d/%m/%Y %H:%M") in row
    assert ">1</td>" in row  # one run


def test_a_run_the_worker_started_shows_running(client_as):
    # As the worker stores it when it starts the task (CELERY_TASK_TRACK_STARTED).
    TaskResult.objects.store_result("application/json", "utf-8", "t-2", None, "STARTED",
                                    task_name="backoffice.tasks.heartbeat", periodic_task_name="heartbeat")
    client = client_as("ops")
    row, running = _row(client)
    assert "em execução" in row and running is True
    # What the page asks for as it refreshes itself: the list, which keeps asking while the run lasts.
    fragment = client.get("/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="jobs" hx-get="/jobs/" hx-trigger="every 2s"')
    assert "em execução" in fragment


def test_a_run_sent_by_beat_is_not_counted_again_when_it_finishes(client_as):
    """Beat counts the runs it sends (last_run_at, total_run_count); the worker leaves those alone."""
    _drain()
    job = PeriodicTask.objects.get(name="heartbeat")
    celery_app.send_task(job.task, headers={"periodic_task_name": job.name})  # as beat sends it
    _deliver()
    job.refresh_from_db()
    assert job.total_run_count == 0 and TaskResult.objects.get(periodic_task_name="heartbeat").status == "SUCCESS"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_run_now_through_a_worker_process_is_shown_with_its_outcome_once_it_finished(client_as):
    queue = f"test-{uuid.uuid4().hex}"
    job = PeriodicTask.objects.get(name="heartbeat")
    job.queue = queue
    job.save()
    client = client_as("ops")
    client.post(f"/jobs/{job.pk}/run/")
    assert "na fila" in _row(client)[0]
    worker = start_worker("-Q", queue)
    try:
        deadline = time.monotonic() + 90
        while PeriodicTask.objects.get(pk=job.pk).total_run_count == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    job.refresh_from_db()
    assert job.total_run_count == 1 and job.last_run_at is not None
    row, running = _row(client)
    assert "sucesso" in row and ">1</td>" in row and running is False
