from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from backoffice.selectors import health_checks
from backoffice.tasks import heartbeat

pytestmark = pytest.mark.django_db


def _by_key(checks):
    return {check.key: check for check in checks}


def test_worker_and_beat_are_down_until_they_have_run():
    checks = _by_key(health_checks())
    assert checks["database"].ok
    assert checks["broker"].ok
    assert not checks["worker"].ok
    assert not checks["beat"].ok


def test_fresh_heartbeats_are_up_and_stale_ones_down(settings):
    TaskResult.objects.store_result("application/json", "utf-8", "hb", '"x"', "SUCCESS", task_name=heartbeat.name)
    PeriodicTask.objects.filter(name="heartbeat").update(last_run_at=timezone.now())
    checks = _by_key(health_checks())
    assert checks["worker"].ok and checks["beat"].ok

    long_ago = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5)
    TaskResult.objects.update(date_done=long_ago)
    PeriodicTask.objects.update(last_run_at=long_ago)
    checks = _by_key(health_checks())
    assert not checks["worker"].ok and not checks["beat"].ok


def test_the_health_page_shows_each_check(client_as):
    html = client_as("ops").get("/health/").content.decode()
    assert html.count('data-check-ok="true"') == 2  # database and broker
    assert html.count('data-check-ok="false"') == 2  # no worker, no beat yet
    assert "Heartbeat do worker" in html and "nenhum heartbeat ainda" in html


def test_the_health_command_exits_1_while_a_check_is_down():
    with pytest.raises(SystemExit) as exit:
        call_command("health", stdout=StringIO())
    assert exit.value.code == 1
    out = StringIO()
    call_command("health", "--only", "database", "--only", "broker", stdout=out)
    assert "database: ok" in out.getvalue() and "broker: ok" in out.getvalue()


def test_healthz_answers_anonymous_load_balancers_and_reveals_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_refuses_other_methods_than_get_and_head_with_405(client, method):
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head("/healthz").status_code == 200


def test_healthz_answers_a_probe_by_ip_address_over_http_in_production(client, settings):
    settings.ALLOWED_HOSTS = ["loja.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")
    assert (response.status_code, response.content) == (200, b"ok")
    assert client.get("/health/", HTTP_HOST="10.0.0.5").status_code == 400


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable"
