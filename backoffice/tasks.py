"""Platform tasks: the worker heartbeat and spreadsheet imports."""

from celery import shared_task
from django.utils import timezone

from . import services
from .queueing import RETRY_TRANSIENT


@shared_task
def heartbeat():
    """Sent by beat every minute; its stored result is the worker heartbeat shown on /health."""
    return timezone.now().isoformat()


def _import_delivery_key(task, import_id) -> str:
    return services.import_delivery_key(import_id)


def _import_poisoned(task, starts, import_id):
    services.import_stopped_the_worker(import_id=import_id, starts=starts)


@shared_task(delivery_key=_import_delivery_key, poisoned=_import_poisoned, **RETRY_TRANSIENT)
def import_process_task(import_id):
    """Process an uploaded spreadsheet (a finished one is left alone, so reruns are safe)."""
    services.import_process(import_id=import_id)


@shared_task(**RETRY_TRANSIENT)
def process_waiting_imports():
    """Catch up on the uploads stored while the broker was down (their task never queued)."""
    return services.imports_catch_up()
