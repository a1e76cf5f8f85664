"""Platform tasks, and how the apps send theirs."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)


# Retried with backoff when the database is briefly unreachable; tasks are acks_late
# (CELERY_TASK_ACKS_LATE) and safe to repeat.
RETRY_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}

# What still waits this long after it was stored was not queued (the broker was down) or its
# task was lost: the catch-up jobs (every five minutes) process it.
WAITING_TOO_LONG = timedelta(minutes=5)


def send_after_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits. With the broker down the
    request still succeeds and what it stored stays waiting (logged as a warning), caught up
    by a job: process_waiting_imports here, payments.process_waiting_webhooks."""

    def send():
        try:
            task.delay(*args)
        except BrokerUnreachable as exc:
            logger.warning("broker unreachable, %s%r not queued: %s", task.name, args, exc)

    transaction.on_commit(send)


@shared_task
def heartbeat():
    """Sent by beat every minute; its stored result is the worker heartbeat shown on /health."""
    return timezone.now().isoformat()


@shared_task(**RETRY_TRANSIENT)
def import_process_task(import_id):
    """Process an uploaded spreadsheet (a finished one is left alone, so reruns are safe)."""
    from .services import import_process

    import_process(import_id=import_id)


@shared_task(**RETRY_TRANSIENT)
def process_waiting_imports():
    """Catch up on the uploads stored while the broker was down (their task never queued)."""
    from .services import imports_catch_up

    return imports_catch_up()
