from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from backoffice.selectors import HEARTBEAT_TASK, health_checks

pytestmark = pytest.mark.django_db


def _by_name(checks):
    return {str(check.name): check for check in checks}


def test_worker_and_beat_are_down_until_they_have_run():
    checks = _by_name(health_checks())
    assert checks["Banco de dados"].ok
    assert checks["Broker"].ok
    assert not checks["Heartbeat do worker"].ok
    assert not checks["Último tique do beat"].ok


def test_fresh_heartbeats_are_up_and_stale_ones_down(settings):
    TaskResult.objects.store_result("application/json", "utf-8", "hb", '"x"', "SUCCESS", task_name=HEARTBEAT_TASK)
    PeriodicTask.objects.filter(name="heartbeat").update(last_run_at=timezone.now())
    checks = _by_name(health_checks())
    assert checks["Heartbeat do worker"].ok and checks["Último tique do beat"].ok

    long_ago = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5)
    TaskResult.objects.update(date_done=long_ago)
    PeriodicTask.objects.update(last_run_at=long_ago)
    checks = _by_name(health_checks())
    assert not checks["Heartbeat do worker"].ok and not checks["Último tique do beat"].ok


def test_the_health_page_is_for_ops_and_admin(client_as):
    assert client_as("ops").get("/health/").status_code == 200
    assert client_as("staff").get("/health/").status_code == 403


def test_healthz_answers_anonymous_load_balancers_and_reveals_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable"
