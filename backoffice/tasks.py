"""Platform tasks."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def heartbeat():
    """Sent by beat every minute; its stored result is the worker heartbeat shown on /health."""
    return timezone.now().isoformat()
