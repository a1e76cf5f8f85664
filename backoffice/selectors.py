"""Platform read queries: the jobs list and the health checks."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from .celery import app as celery_app
from .models import AuditEvent
from .tasks import heartbeat


def audit_events():
    return AuditEvent.objects.select_related("actor", "content_type")


def jobs_list():
    """Every periodic task with its schedule and the outcome of its last run."""
    last = TaskResult.objects.filter(periodic_task_name=OuterRef("name")).order_by("-date_done")
    return PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_done=Subquery(last.values("date_done")[:1]),
        last_result=Subquery(last.values("result")[:1]),
    )


@dataclass(frozen=True)
class Check:
    key: str
    name: str
    ok: bool
    detail: str
    at: datetime | None = None


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def broker_check() -> Check:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return Check("broker", _("Broker"), True, conn.as_uri())
    except Exception as exc:  # any transport error means the broker is unusable
        return Check("broker", _("Broker"), False, f"{type(exc).__name__}: {exc}")


def _freshness(key, name, at, never):
    if at is None:
        return Check(key, name, False, never)
    stale = timezone.now() - at > timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
    return Check(key, name, not stale, _("stale") if stale else _("up to date"), at)


def heartbeat_checks() -> list[Check]:
    """Whether a worker runs jobs and beat schedules them (the home page shows ops those down)."""
    worker_at = (
        TaskResult.objects.filter(task_name=heartbeat.name, status="SUCCESS")
        .order_by("-date_done")
        .values_list("date_done", flat=True)
        .first()
    )
    beat_at = PeriodicTask.objects.filter(enabled=True).aggregate(at=Max("last_run_at"))["at"]
    return [_freshness("worker", _("Worker heartbeat"), worker_at, _("no heartbeat yet")),
            _freshness("beat", _("Beat last tick"), beat_at, _("beat has not run yet"))]


def health_checks() -> list[Check]:
    db_ok = database_ok()
    checks = [Check("database", _("Database"), db_ok, connection.vendor if db_ok else _("unreachable")), broker_check()]
    if not db_ok:
        return checks
    return [*checks, *heartbeat_checks()]
