"""Platform tasks."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


# Retried with backoff when the database is briefly unreachable; tasks are acks_late
# (CELERY_TASK_ACKS_LATE) and safe to repeat.
RETRY_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}


@shared_task
def heartbeat():
    """Sent by beat every minute; its stored result is the worker heartbeat shown on /health."""
    return timezone.now().isoformat()


@shared_task(**RETRY_TRANSIENT)
def import_process_task(import_id):
    """Process an uploaded spreadsheet (a finished one is left alone, so reruns are safe)."""
    from .services import import_process

    import_process(import_id=import_id)
